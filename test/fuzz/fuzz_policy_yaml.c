/*
 * fuzz_policy_yaml.c - the policy reader on arbitrary YAML manifests:
 * kube_yaml documents into a policy_db, then every query path.  No
 * crash, no leak, no undefined behaviour whatever the input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kube_yaml.h"
#include "policy_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object **docs = NULL;
	char eb[CILKIT_ERRBUF_SIZE];
	int n;

	n = kube_yaml_parse((const char *)data, size, "fuzz", &docs, eb,
	    sizeof(eb));
	if (n <= 0)
		return 0;
	fuzz_policy_objects(docs, n, size > 0 ? data[0] & 3 : 0);
	kube_yaml_free_docs(docs, n);
	return 0;
}
