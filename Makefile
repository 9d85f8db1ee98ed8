# signet -- build, run, test, benchmark.  See README.md.
#
#   make               build build/signetd and build/signet (+ test tools)
#   make deps          install the Debian packages needed to build and test
#   make run           build and start signetd in the foreground (etc/signetd.conf)
#   make check         every test: unit, integration, interop, Postfix, fuzz smoke
#   make check SANITIZE=1   the same under AddressSanitizer + UBSan
#   make bench         throughput/latency/CPU benchmark against OpenDKIM
#   make fuzz          run each libFuzzer harness (FUZZ_SECONDS each)

CC       ?= gcc
SANITIZE ?= 0
FUZZ_SECONDS ?= 20

ifeq ($(SANITIZE),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      := -O1 -g
else
BUILD    := build
SANFLAGS :=
OPT      := -O2 -g
endif

PKGS     := libconfig libcares openssl sqlite3
CPPFLAGS += -D_GNU_SOURCE -I.
CFLAGS   += -std=c11 $(OPT) -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
            -pthread $(SANFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  += -pthread $(SANFLAGS)
LDLIBS   += -lmilter $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lconfig -lcares -lssl -lcrypto -lsqlite3)

# Library code: everything in common/ dkim/ spf/ dmarc/ (no libmilter, no libconfig).
LIB_SRCS    := $(wildcard common/*.c dkim/*.c spf/*.c dmarc/*.c)
# milter/: main.c is signetd, cli.c is signet; the rest is shared by both.
MILTER_SRCS := $(filter-out milter/main.c milter/cli.c,$(wildcard milter/*.c))
TEST_LIB    := $(filter-out tests/lib/miltc_main.c,$(wildcard tests/lib/*.c))
UNIT_SRCS   := $(wildcard tests/unit/*_test.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

LIB_OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
MILTER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(MILTER_SRCS))
TEST_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_LIB))

BINS := $(BUILD)/signetd $(BUILD)/signet $(BUILD)/miltc $(BUILD)/loadgen

.SECONDARY:
.PHONY: all deps run check unit integration interop postfix inbound history dmarc-milter conformance spf-suite dmarc-suite fuzz fuzz-build bench clean
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libsignet.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/signetd: $(BUILD)/obj/milter/main.o $(MILTER_OBJS) $(BUILD)/libsignet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/signet: $(BUILD)/obj/milter/cli.o $(MILTER_OBJS) $(BUILD)/libsignet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/miltc: $(BUILD)/obj/tests/lib/miltc_main.o $(TEST_OBJS) $(BUILD)/libsignet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/loadgen: $(BUILD)/obj/tests/bench/loadgen.o $(TEST_OBJS) $(BUILD)/libsignet.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests of library code link the library alone; milter_*_test also
# links milter/ (config, tables glue) without main().
$(BUILD)/tests/milter_%_test: $(BUILD)/obj/tests/unit/milter_%_test.o $(MILTER_OBJS) $(BUILD)/libsignet.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%_test: $(BUILD)/obj/tests/unit/%_test.o $(BUILD)/libsignet.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer harnesses: clang, always with ASan+UBSan.
FUZZ_CFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined
build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) -lssl -lcrypto -lcares -lsqlite3 -lpthread

deps:
	@bash tests/lib/deps.sh

run: all
	$(BUILD)/signetd -f -c etc/signetd.conf

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

inbound: all
	@SIGNET_BUILD=$(BUILD) bash tests/integration/inbound.sh

history: all
	@SIGNET_BUILD=$(BUILD) bash tests/integration/history.sh

dmarc-milter: all
	@SIGNET_BUILD=$(BUILD) bash tests/dmarc/milter.sh

conformance: all
	@SIGNET_BUILD=$(BUILD) bash tests/conformance/run.sh

spf-suite: all
	@SIGNET_BUILD=$(BUILD) bash tests/spf/run.sh

dmarc-suite: all
	@SIGNET_BUILD=$(BUILD) bash tests/dmarc/run.sh

integration: all
	@SIGNET_BUILD=$(BUILD) bash tests/integration/run.sh

interop: all
	@SIGNET_BUILD=$(BUILD) bash tests/interop/run.sh

postfix: all
	@SIGNET_BUILD=$(BUILD) bash tests/integration/postfix.sh

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BINS)

# The whole suite; each part prints its own "N passed, N failed" and the
# runner sums them up at the end.
check: all $(UNIT_BINS)
	@SIGNET_BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run_all.sh $(UNIT_BINS)

$(BUILD)/nullmilter: $(BUILD)/obj/tests/bench/nullmilter.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: all $(BUILD)/nullmilter
	@SIGNET_BUILD=$(BUILD) bash tests/bench/bench.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
