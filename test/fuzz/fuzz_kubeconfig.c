/*
 * Fuzz target for src/kube/kubeconfig.c: any kubeconfig text (with or
 * without a named context) either loads into a config with a server URL
 * and a namespace, or fails with a message naming the file; nothing leaks
 * (the config is freed) and no field is read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = { NULL, "a" };
	struct kube_config c;
	struct err e;
	size_t i;

	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		if (kube_config_load_buf(&c, "/fuzz/config", (const char *)data,
		    size, contexts[i], &e) < 0) {
			if (strncmp(e.msg, "kubeconfig /fuzz/config: ", 25) != 0)
				abort();
			continue;
		}
		if (c.server == NULL || c.namespace == NULL ||
		    (c.ca_pem != NULL && strlen(c.ca_pem) > c.ca_pem_len))
			abort();
		kube_config_free(&c);
	}
	return 0;
}
