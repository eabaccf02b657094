/*
 * fuzz_kube_config.c - libFuzzer target for the kubeconfig reader: the
 * input is one kubeconfig document, merged and resolved with the
 * environment ignored (no KUBECONFIG, HOME or in-cluster lookups).
 * The first byte, when it is a digit, picks a --context override so
 * the not-current contexts are resolved too.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cilkit.h"
#include "kube_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ctxs[] = { "a", "b", "x", "" };
	struct kube_config_opts o = { .no_env = true,
	    .sa_dir = "/nonexistent" };
	struct kube_config *cfg = NULL;
	char eb[CILKIT_ERRBUF_SIZE];

	if (size > 0 && data[0] >= '0' && data[0] <= '3') {
		o.context = ctxs[data[0] - '0'];
		data++;
		size--;
	}
	if (kube_config_load_buffer((const char *)data, size, "fuzz", &o,
	    &cfg, eb, sizeof(eb)) == 0) {
		if (cfg->server == NULL || cfg->ns == NULL)
			__builtin_trap();
		kube_config_free(cfg);
	} else if (memchr(eb, '\0', sizeof(eb)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
