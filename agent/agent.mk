# agent/: install rules and the agent's extras (included by the top-level
# Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=...]   warden, libwarden (.so with
#       soname + .a), public headers, libwarden.pc, the bundled BPF objects,
#       the man page, the systemd unit and (if absent) /etc/warden/warden.conf
#   make uninstall [PREFIX=...] [DESTDIR=...]       the same files (not the config)

WARDEN_VERSION := 0.1.0
WARDEN_SOMAJOR := 0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
BPFDIR     ?= $(LIBDIR)/warden/bpf
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
INSTALL    ?= install

comma := ,
SO_REAL := libwarden.so.$(WARDEN_VERSION)
SO_NAME := libwarden.so.$(WARDEN_SOMAJOR)

# The installed shared library carries a soname (the build tree's
# $(O)/libwarden.so, used by the tests, does not need one), and exports
# what the build tree's does (the Makefile's version script, when there is one).
# Staged under $(O)/staged, not $(O)/install: the matrix's host row puts
# $(O) first in PATH, where a directory named `install` hides install(1).
SO_MAP := $(if $(wildcard scripts/public-symbols.sh),$(O)/libwarden.map)
$(O)/staged/$(SO_REAL): $(LIB_OBJ) $(SO_MAP)
	@mkdir -p $(dir $@)
	$(CC) -shared $(SAN) $(if $(SO_MAP),-Wl$(comma)--version-script=$(SO_MAP)) -Wl,-soname,$(SO_NAME) \
		-o $@ $(LIB_OBJ) $(LDLIBS)

$(O)/staged/libwarden.pc: dist/libwarden.pc.in agent/agent.mk
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(WARDEN_VERSION)|' $< > $@

$(O)/staged/warden.service: dist/warden.service agent/agent.mk
	@mkdir -p $(dir $@)
	sed -e 's|@BINDIR@|$(BINDIR)|' $< > $@

$(O)/cli/version.o: CPPFLAGS += -DWARDEN_VERSION='"$(WARDEN_VERSION)"'
$(O)/cli/version.o: agent/agent.mk

.PHONY: install uninstall
install: $(O)/warden $(O)/libwarden.a $(O)/staged/$(SO_REAL) $(O)/staged/libwarden.pc \
	 $(O)/staged/warden.service $(ABPF_OBJ)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/warden \
		$(DESTDIR)$(BPFDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/warden
	$(INSTALL) -m 0755 $(O)/warden $(DESTDIR)$(BINDIR)/warden
	$(INSTALL) -m 0755 $(O)/staged/$(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libwarden.so
	$(INSTALL) -m 0644 $(O)/libwarden.a $(DESTDIR)$(LIBDIR)/libwarden.a
	$(INSTALL) -m 0644 $(wildcard include/warden/*.h) $(DESTDIR)$(INCLUDEDIR)/warden/
	$(INSTALL) -m 0644 $(O)/staged/libwarden.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libwarden.pc
	$(if $(ABPF_OBJ),$(INSTALL) -m 0644 $(ABPF_OBJ) $(DESTDIR)$(BPFDIR)/)
	$(INSTALL) -m 0644 docs/man/warden.1 $(DESTDIR)$(MANDIR)/man1/warden.1
	$(INSTALL) -m 0644 $(O)/staged/warden.service $(DESTDIR)$(UNITDIR)/warden.service
	@# an administrator's config is never overwritten
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/warden/warden.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/warden/warden.conf"; \
	else \
		echo "$(INSTALL) -m 0644 dist/warden.conf $(DESTDIR)$(SYSCONFDIR)/warden/warden.conf"; \
		$(INSTALL) -m 0644 dist/warden.conf $(DESTDIR)$(SYSCONFDIR)/warden/warden.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/warden $(DESTDIR)$(LIBDIR)/$(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME) \
	      $(DESTDIR)$(LIBDIR)/libwarden.so $(DESTDIR)$(LIBDIR)/libwarden.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/libwarden.pc $(DESTDIR)$(MANDIR)/man1/warden.1 \
	      $(DESTDIR)$(UNITDIR)/warden.service
	rm -rf $(DESTDIR)$(INCLUDEDIR)/warden $(DESTDIR)$(LIBDIR)/warden

# examples/: small libwarden programs, built with the rest (`make`), linked
# here against the build tree; tests/test_install.c builds them again
# against an installed tree through pkg-config.
EXAMPLES := $(patsubst examples/%.c,$(O)/examples/%,$(wildcard examples/*.c))
all: $(EXAMPLES)
$(O)/examples/%: examples/%.c $(O)/libwarden.a $(wildcard include/warden/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(SAN) -Iinclude -D_GNU_SOURCE -o $@ $< $(O)/libwarden.a $(LDLIBS)

# bench/agent: ECS JSON events/s from synthetic events (the 1 M events/s goal)
$(O)/bench/bench_agent_json: bench/agent/bench_json.c $(O)/libagent.a $(O)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(O)/libagent.a $(O)/libwarden.a $(LDLIBS) $(APP_LDLIBS)

# bench/agent/pipeline: the agent's records through a BPF ring buffer, the
# engine's consumer and decoder, the JSON writer and the file output, end to
# end, against libbpf counting the same records (libbpf linked here only)
$(O)/bench/pipeline.bpf.o: bench/agent/pipeline.bpf.c $(wildcard bpf/include/*.h) $(O)/include/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# bench/agent/floor: an empty program on the agent's open hook (the floor)
$(O)/bench/floor.bpf.o: bench/agent/floor.bpf.c $(O)/include/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bench/bench_agent_pipeline: bench/agent/pipeline.c $(O)/libagent.a $(O)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(O)/libagent.a $(O)/libwarden.a $(LDLIBS) $(APP_LDLIBS) -lbpf

$(O)/bench/gen_ops: bench/agent/gen_ops.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) -o $@ $<

$(O)/bench/agent_startup: bench/agent/startup.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) -o $@ $<

$(O)/bench/bpf_stats: bench/agent/bpf_stats.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) -o $@ $<

# The agent's peers in bench/agent/run.sh: bcc's tools, libbpf-tools and
# bpftrace (Debian); `make bench-deps` (root) installs the missing ones.
BENCH_DEPS += bpfcc-tools libbpf-tools bpftrace
.PHONY: bench-deps
bench-deps:
	@./scripts/install-deps.sh $(BENCH_DEPS)

# the writer alone, the whole pipeline through a ring buffer (root), then the
# agent against nothing attached and its peers (root)
.PHONY: bench-agent
bench-agent: bench-deps $(O)/bench/bench_agent_json $(O)/bench/gen_ops $(O)/bench/agent_startup $(O)/bench/bpf_stats $(O)/warden \
	     $(ABPF_OBJ) $(O)/bench/bench_agent_pipeline $(O)/bench/pipeline.bpf.o $(O)/bench/floor.bpf.o
	$(O)/bench/bench_agent_json 2000000
	$(O)/bench/bench_agent_pipeline $(O)/bench/pipeline.bpf.o
	@# the same without the agent's wake-up threshold (the kernel's policy)
	$(O)/bench/bench_agent_pipeline -w 0 $(O)/bench/pipeline.bpf.o
	./bench/agent/run.sh $(O)
bench: bench-agent

# tests/test_agent_output.c parses the agent's lines back with jq
TEST_DEPS += jq
