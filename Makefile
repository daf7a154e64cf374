# warden: build, test, demo.  No autotools: one Makefile, GNU make.
#   make            libwarden.a, libwarden.so, warden, BPF test objects, test runner
#   sudo make demo  install missing Debian packages, build, trace exec events for a few seconds
#   sudo make check install missing test packages, build, run every test (+ ASan/UBSan build)
#   make matrix     run the kernel-facing tests in QEMU guests (vm/)

CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
O       ?= build
CFLAGS  ?= -O2 -g
WFLAGS  := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers
# snprintf truncation is by design (messages are cut, never overflow); gcc only
WFLAGS  += $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),,-Wno-format-truncation)
CPPFLAGS += -Iinclude -Ilib -I. -D_GNU_SOURCE
LDLIBS  := -lelf -lz
# the agent and the fleet sink (above libwarden): inih for the config file,
# libcurl for ClickHouse's HTTP interface
APP_LDLIBS := -linih -lcurl -lpthread
SAN     ?=

LIB_SRC   := $(shell find lib -name '*.c' | sort)
DIAG_SRC  := $(wildcard diag/*.c)
AGENT_SRC := $(wildcard agent/*.c)
FLEET_SRC := $(wildcard fleet/*.c)
CLI_SRC   := $(wildcard cli/*.c)
TEST_SRC  := $(wildcard tests/*.c)
TBPF_SRC  := $(wildcard tests/bpf/*.bpf.c)
ABPF_SRC  := $(wildcard bpf/*.bpf.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(O)/%.o)
DIAG_OBJ  := $(DIAG_SRC:%.c=$(O)/%.o)
AGENT_OBJ := $(AGENT_SRC:%.c=$(O)/%.o)
FLEET_OBJ := $(FLEET_SRC:%.c=$(O)/%.o)
# the libraries above libwarden, linked into warden and the test runner
APP_LIBS  := $(O)/libfleet.a $(O)/libagent.a $(O)/libdiag.a
TEST_OBJ  := $(TEST_SRC:%.c=$(O)/%.o)
TBPF_OBJ  := $(TBPF_SRC:tests/bpf/%.bpf.c=$(O)/bpf/%.o)
ABPF_OBJ  := $(ABPF_SRC:bpf/%.bpf.c=$(O)/bpf/%.o)

# Debian's multiarch include dir (asm/types.h): clang -dumpmachine says
# x86_64-pc-linux-gnu where the directory is x86_64-linux-gnu, so ask for the
# multiarch name (gcc and clang both answer it).
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || gcc -print-multiarch)
BPF_CFLAGS := -target bpf -g -O2 -I/usr/include/$(MULTIARCH) -D__TARGET_ARCH_x86 -I$(O)/include -Ibpf/include \
	      -Wall -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types \
	      -Wno-unused-variable -Wno-unused-function -Wno-unused-but-set-variable

.PHONY: all clean check demo matrix deps test-deps bench asan clang-check
all: $(O)/libwarden.a $(O)/libwarden.so $(O)/warden $(O)/tests/warden-test $(TBPF_OBJ) $(ABPF_OBJ)

# Each object depends on the headers it includes (-MMD), nothing more.
$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(SAN) $(CPPFLAGS) -MMD -MP -fPIC -c $< -o $@
-include $(shell find $(O) -name '*.d' 2>/dev/null)

$(O)/libwarden.a: $(LIB_OBJ)
	ar rcs $@ $^

# libwarden.so exports the public API and nothing else: the functions
# include/warden/*.h declare (less libdiag's doctor.h and tailcalls.h), as
# a linker version script made from the headers themselves.
LIB_HDRS := $(filter-out include/warden/doctor.h include/warden/tailcalls.h,$(wildcard include/warden/*.h))
$(O)/libwarden.map: $(LIB_HDRS) scripts/public-symbols.sh
	@mkdir -p $(dir $@)
	{ echo '{ global:'; CC=$(CC) ./scripts/public-symbols.sh $(LIB_HDRS) | sed 's/.*/\t&;/'; \
	  echo 'local: *; };'; } > $@.tmp && mv $@.tmp $@

$(O)/libwarden.so: $(LIB_OBJ) $(O)/libwarden.map
	$(CC) -shared $(SAN) -Wl,--version-script=$(O)/libwarden.map -o $@ $(LIB_OBJ) $(LDLIBS)

$(O)/libdiag.a: $(DIAG_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@; ar rcs $@ $^
$(O)/libagent.a: $(AGENT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@; ar rcs $@ $^
$(O)/libfleet.a: $(FLEET_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@; ar rcs $@ $^

$(O)/warden: $(CLI_OBJ) $(APP_LIBS) $(O)/libwarden.a
	$(CC) $(SAN) -o $@ $(CLI_OBJ) $(APP_LIBS) $(O)/libwarden.a $(LDLIBS) $(APP_LDLIBS)

$(O)/tests/warden-test: $(TEST_OBJ) $(APP_LIBS) $(O)/libwarden.a
	$(CC) $(SAN) -o $@ $(TEST_OBJ) $(APP_LIBS) $(O)/libwarden.a $(LDLIBS) $(APP_LDLIBS) -lcmocka -lbpf

# vmlinux.h from the running kernel's BTF, for the CO-RE objects.
$(O)/include/vmlinux.h:
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(O)/bpf/%.o: tests/bpf/%.bpf.c $(wildcard tests/bpf/*.h bpf/include/*.h) $(O)/include/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bpf/%.o: bpf/%.bpf.c $(wildcard bpf/*.h bpf/include/*.h) $(O)/include/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

BUILD_DEPS := clang llvm libelf-dev zlib1g-dev bpftool libbpf-dev libcmocka-dev pkg-config make gcc libc6-dev \
	      libinih-dev libcurl4-openssl-dev
TEST_DEPS  := $(BUILD_DEPS) iproute2 qemu-system-x86 busybox-static clickhouse-server clickhouse-client \
	      systemtap-sdt-dev

deps:
	@./scripts/install-deps.sh $(BUILD_DEPS)

test-deps:
	@./scripts/install-deps.sh $(TEST_DEPS)

# The test suite, then the same suite built with ASan+UBSan.
check: test-deps
	$(MAKE) all
	$(MAKE) clang-check
	$(MAKE) O=$(O)/asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" CFLAGS="-O1 -g" $(O)/asan/tests/warden-test
	./scripts/run-tests.sh $(O)

# The demo needs only the library, the CLI and the bundled BPF programs.
demo: deps
	$(MAKE) $(O)/warden $(ABPF_OBJ)
	./scripts/demo.sh $(O)

$(O)/bench/bench_load: bench/load/bench_load.c $(O)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(O)/libwarden.a $(LDLIBS) -lbpf

# Every benchmark prints warden against its peer (libbpf) in the same run.
bench: all $(O)/bench/bench_load
	$(O)/bench/bench_load $(O)/bpf
	./bench/core/run.sh $(O) 10
	./bench/ringbuf/run.sh $(O)
	./bench/snoop/run.sh $(O)

# The same tree with clang -Werror: no warnings with either compiler.
clang-check:
	$(MAKE) CC=clang O=$(O)/clang $(O)/clang/libwarden.a $(O)/clang/warden $(O)/clang/tests/warden-test

# Per-folder additions (rules, tests, benches) live beside the code.
-include $(wildcard agent/*.mk fleet/*.mk diag/*.mk tests/*.mk)
-include fuzz/*.mk

matrix: all
	./vm/matrix.sh

clean:
	rm -rf $(O)
