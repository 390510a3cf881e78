# The informer integration program (test/integration/informer.c), linked
# like the unit suites against the release library, run against the real
# control plane by test/integration/informer.sh. For the Makefile to include
# after the variant rules and BEFORE the `test:` rule (a rule's prerequisites
# are expanded when it is read, so INTEGRATION_DEPS must be complete then).
# `make integration-informer` runs the suite on its own.
.PHONY: integration-informer
INFORMER_IT := $(BUILD)/release/integration/informer
INTEGRATION_DEPS += $(INFORMER_IT)

$(INFORMER_IT): $(BUILD)/release/obj/test/integration/informer.o $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_release) -o $@ $^ $(LIBS)

integration-informer: $(INFORMER_IT)
	@INFORMER_IT=$(INFORMER_IT) test/integration/informer.sh
