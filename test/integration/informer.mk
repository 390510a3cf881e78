# Build rule of the informer integration program (included by the Makefile;
# run by test/integration/informer.sh). Linked like the unit suites, against
# the release library.
INFORMER_IT := $(BUILD)/release/integration/informer
INTEGRATION_DEPS += $(INFORMER_IT)

$(INFORMER_IT): $(BUILD)/release/obj/test/integration/informer.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_release) -o $@ $^ $(LIBS)
