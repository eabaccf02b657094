/*
 * fuzz_kube_objects.c - libFuzzer target for what the kube module reads
 * from an API server besides frames and kubeconfigs: the typed readers
 * over a JSON list of objects (every kind, so mistyped fields of one
 * kind's shape reach another's reader), and the exec exit Status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_exec.h"
#include "kube_objects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*reader)(struct json_object *, struct kube_objlist *, char *,
    size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const reader readers[] = { kube_pods_from_json,
	    kube_services_from_json, kube_slices_from_json,
	    kube_nodes_from_json, kube_namespaces_from_json,
	    kube_ceps_from_json };
	struct json_tokener *tok;
	struct json_object *o;
	struct kube_objlist l;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t i;
	int code, r;

	(void)kube_exec_parse_status((const char *)data, size, &code, eb,
	    sizeof(eb));
	if (size > (1 << 20) || (tok = json_tokener_new_ex(64)) == NULL)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (o == NULL)
		return 0;
	for (i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		r = readers[i](o, &l, eb, sizeof(eb));
		if (r >= 0) {
			if ((size_t)r != l.n)
				abort();
			kube_objlist_free(&l);
		}
	}
	json_object_put(o);
	return 0;
}
