# Integration programs linked like the unit suites (release library), run
# against the real control plane by their driver scripts. For the Makefile
# to include (after the variant rules); `make integration-kube-client` runs
# the kube client suite on its own.
.PHONY: integration-kube-client

$(BUILD)/release/integration/%: test/integration/%.c $(BUILD)/release/libag.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_release) $(LDFLAGS_release) -o $@ $< \
		$(BUILD)/release/libag.a $(LIBS)

integration-kube-client: $(BUILD)/release/integration/kube_client
	@test/integration/kube_client.sh $<
