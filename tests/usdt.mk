# USDT test targets (tests/usdt/), run by tests/test_usdt.c: a shared library
# with a probe and the program that uses it, built as ET_EXEC and as PIE.
# They live in $(O)/tests/data, which vm/matrix.sh copies into the guests
# (with the libraries ldd lists); $ORIGIN finds libusdt_lib.so beside them.
USDT_DIR  := $(O)/tests/data
USDT_BINS := $(USDT_DIR)/libusdt_lib.so $(USDT_DIR)/usdt_target $(USDT_DIR)/usdt_target_pie
USDT_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -g

all: $(USDT_BINS)
$(O)/tests/warden-test: | $(USDT_BINS)

$(USDT_DIR)/libusdt_lib.so: tests/usdt/lib.c tests/usdt/target.h
	@mkdir -p $(dir $@)
	$(CC) $(USDT_CFLAGS) -fPIC -shared -o $@ $<

$(USDT_DIR)/usdt_target: tests/usdt/target.c tests/usdt/target_sema.c tests/usdt/target.h $(USDT_DIR)/libusdt_lib.so
	$(CC) $(USDT_CFLAGS) -fno-pie -no-pie -o $@ tests/usdt/target.c tests/usdt/target_sema.c \
		-L$(USDT_DIR) -lusdt_lib -Wl,-rpath,'$$ORIGIN'

$(USDT_DIR)/usdt_target_pie: tests/usdt/target.c tests/usdt/target_sema.c tests/usdt/target.h $(USDT_DIR)/libusdt_lib.so
	$(CC) $(USDT_CFLAGS) -fPIE -pie -o $@ tests/usdt/target.c tests/usdt/target_sema.c \
		-L$(USDT_DIR) -lusdt_lib -Wl,-rpath,'$$ORIGIN'
