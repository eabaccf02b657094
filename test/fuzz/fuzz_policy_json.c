/*
 * fuzz_policy_json.c - the policy reader on arbitrary JSON, as the API
 * returns it (one object, a List, or an array of objects): json-c's
 * tokener with a depth cap, then every query path.
 */
#include <stdint.h>
#include <stdlib.h>

#include "policy_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o, **objs;
	int n = 1, i;

	if (tok == NULL)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		n = (int)json_object_array_length(o);
		if (n > 64)
			n = 64;
		objs = calloc((size_t)n + 1, sizeof(*objs));
		for (i = 0; objs != NULL && i < n; i++)
			objs[i] = json_object_array_get_idx(o, (size_t)i);
	} else {
		objs = calloc(1, sizeof(*objs));
		if (objs != NULL)
			objs[0] = o;
	}
	if (objs != NULL)
		fuzz_policy_objects(objs, n, size > 1 ? data[1] & 3 : 0);
	free(objs);
	json_object_put(o);
	return 0;
}
