# Replay of the committed fuzz corpora with gcc (included by the Makefile).
#
# Every test/fuzz/fuzz_NAME.c, compiled in the asan variant (ASan+UBSan,
# -fno-sanitize-recover), is linked with the plain driver replay_main.c into
# build/asan/replay/fuzz_NAME; test/fuzz/replay.sh runs each over
# test/fuzz/corpus/fuzz_NAME/ and prints "fuzz-replay: N passed, N failed"
# (one per input), which `make test` tallies. `make fuzz-replay` runs it alone.

REPLAY_NAMES := $(patsubst test/fuzz/%.c,%,$(FUZZ_SRC))
REPLAY_BINS  := $(addprefix $(BUILD)/asan/replay/,$(REPLAY_NAMES))

$(BUILD)/asan/replay/%: $(BUILD)/asan/obj/test/fuzz/%.o \
                        $(BUILD)/asan/obj/test/fuzz/replay_main.o $(BUILD)/asan/libag.a
	@mkdir -p $(@D)
	$(CC_asan) $(LDFLAGS_asan) -o $@ $^ $(LIBS)

.PHONY: fuzz-replay
fuzz-replay: $(REPLAY_BINS)
	@test/fuzz/replay.sh $(REPLAY_BINS)
