# cilkit — top-level build.  `make` builds lib/libcilkit.a and every
# program (a folder with a main.c); `make check` runs every test.
#
# Files are found by wildcard so that adding a lib/*.c, a program folder,
# a test/unit/check_*.c, a test/integ/*.sh or a test/fuzz/fuzz_*.c needs
# no edit here.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
SHARED   ?= $(abspath ../shared)

CC       ?= cc
CFLAGS   ?= -O2 -g
WARNFLAGS = -Wall -Wextra -Wshadow -Wvla -Wmissing-prototypes -Wformat=2 \
            -Wno-format-nonliteral -Wpointer-arith -Wstrict-prototypes
ifeq ($(CI),true)
WARNFLAGS += -Werror
endif

# SANITIZE=1 is shorthand for address,undefined; any other value is passed
# to -fsanitize as it is.  Sanitized objects live in their own build tree
# so that switching back and forth never mixes objects.
BUILD ?= build
ifneq ($(SANITIZE),)
ifeq ($(SANITIZE),1)
override SANITIZE := address,undefined
endif
BUILD := build-san
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKGS      = libpcap yaml-0.1 json-c libcurl libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DCILKIT_VERSION='"$(VERSION)"' \
             -Ilib $(PKG_CFLAGS) $(WARNFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread

# Keep intermediate objects (test objects would otherwise be deleted).
.SECONDARY:

ifeq ($(V),1)
Q =
else
Q = @
endif

LIB_SRCS  = $(sort $(wildcard lib/*.c))
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBA      = $(BUILD)/libcilkit.a
PROGS     = $(sort $(patsubst %/main.c,%,$(wildcard */main.c)))
PROG_BINS = $(PROGS:%=$(BUILD)/bin/%)
UNIT_SRCS = $(sort $(wildcard test/unit/check_*.c))
UNIT_BINS = $(UNIT_SRCS:test/unit/%.c=$(BUILD)/test/%)
# Helpers that several programs' tests share, e.g. data generators.
TOOL_SRCS = $(sort $(wildcard test/tools/*.c))
TOOL_BINS = $(TOOL_SRCS:test/tools/%.c=$(BUILD)/tools/%)
MANS      = $(sort $(wildcard man/*.[1-8]))
# The lab's fake Kubernetes API server (test/lab/README.md).
LAB_SRCS  = $(sort $(wildcard test/lab/apiserver/*.c))
LAB_BIN   = $(BUILD)/tools/lab-apiserver

.PHONY: all deps check unit integ lint-man install uninstall clean fuzz \
        fuzz-smoke bench demo lab-up lab-down headers

all: deps $(LIBA) $(PROG_BINS) $(TOOL_BINS) $(LAB_BIN)

# Installs missing Debian packages when run as root; otherwise prints the
# exact apt-get command.  The stamp keeps later runs instant.
deps: $(BUILD)/.deps-ok
$(BUILD)/.deps-ok: mk/deps.sh
	$(Q)sh mk/deps.sh
	$(Q)mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

define PROG_template
$(BUILD)/bin/$(1): $$(patsubst %.c,$(BUILD)/%.o,$$(wildcard $(1)/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$(Q)$$(CC) $(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBA) $(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_template,$(p))))

$(BUILD)/tools/%: $(BUILD)/test/tools/%.o $(LIBA)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(LAB_BIN): $(LAB_SRCS:%.c=$(BUILD)/%.o) $(LIBA)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBA) $(LIBS) \
		$(shell pkg-config --libs gnutls)

# The lab: network namespaces + the fake API server; needs root.
lab-up: $(LAB_BIN)
	$(Q)BUILD=$(BUILD) sh test/lab/up.sh
lab-down:
	$(Q)sh test/lab/down.sh

$(BUILD)/test/check_%.o: test/unit/check_%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/test/check_%: $(BUILD)/test/check_%.o $(LIBA)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS) $(CHECK_LIBS)

# Every header must compile on its own (style.md rule 4).
headers: deps
	$(Q)for h in lib/*.h; do \
		printf '#include "%s"\n' "$${h#lib/}" | \
		$(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done

check: all $(UNIT_BINS) headers
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) sh test/run-tests.sh

lint-man:
	$(Q)for m in $(MANS); do mandoc -Tlint -W warning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	for p in $(PROGS); do install -m 0755 $(BUILD)/bin/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done

# libFuzzer targets: test/fuzz/fuzz_NAME.c -> test/fuzz/fuzz-NAME, built
# with clang against the library sources compiled with the fuzzer flags.
FUZZ_SRCS  = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS  = $(patsubst test/fuzz/fuzz_%.c,test/fuzz/fuzz-%,$(FUZZ_SRCS))
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -g -O1
FUZZ_OBJS  = $(LIB_SRCS:%.c=build-fuzz/%.o)
build-fuzz/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(Q)clang -std=gnu11 -D_GNU_SOURCE -DCILKIT_VERSION='"$(VERSION)"' -DCILKIT_FUZZING \
		-Ilib $(PKG_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
test/fuzz/fuzz-%: test/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(Q)clang -std=gnu11 -D_GNU_SOURCE -Ilib $(PKG_CFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_OBJS) $(LIBS)
fuzz: deps $(FUZZ_BINS)
fuzz-smoke: fuzz
	$(Q)SHARED=$(SHARED) sh test/fuzz/smoke.sh $(FUZZ_BINS)

bench: all
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) sh bench/run.sh

demo: all
	$(Q)BUILD=$(BUILD) sh mk/demo.sh

clean:
	rm -rf build build-san build-fuzz test/fuzz/fuzz-*

-include $(LIB_OBJS:.o=.d) $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
-include $(wildcard $(LAB_SRCS:%.c=$(BUILD)/%.d))
-include $(wildcard build-fuzz/lib/*.d)
