# libFuzzer targets (issue 13): `make fuzz` builds them with clang
# (-fsanitize=fuzzer,address,undefined), seeds their corpora from the test
# objects and runs each for FUZZ_SECONDS (default 60), printing executions/s
# and coverage.  Findings are fixed and kept in fuzz/regress/<target>/, which
# `make check` replays (tests/test_fuzz_regress.c, loader group).
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="elf btf btf_ext core verify_log"]

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= elf btf btf_ext core verify_log
FUZZ_O       := $(O)/fuzz
# WFLAGS as the Makefile sets them for clang (-Wno-format-truncation is gcc's)
FUZZ_WFLAGS  := $(filter-out -Wno-format-truncation,$(WFLAGS))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(LIB_SRC) diag/verify.c)
FUZZ_BINS    := $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_O)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_WFLAGS) $(FUZZ_CFLAGS) $(CPPFLAGS) -c $< -o $@

$(FUZZ_O)/libwarden-fuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@; ar rcs $@ $^

$(FUZZ_O)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_O)/libwarden-fuzz.a
	$(CLANG) $(FUZZ_WFLAGS) $(FUZZ_CFLAGS) $(CPPFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_O)/libwarden-fuzz.a $(LDLIBS) -lpthread

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build $(TBPF_OBJ) $(ABPF_OBJ)
	./fuzz/run.sh $(O) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# valgrind memcheck of the CLI over the test objects: 0 errors, 0 definitely lost.
.PHONY: valgrind
valgrind: $(O)/warden $(TBPF_OBJ) $(ABPF_OBJ)
	./scripts/valgrind-cli.sh $(O)
