/*
 * fuzz_lab_store - the lab API server's request parsing: label and field
 * selectors, limit, continue tokens (base64 JSON from the client), the
 * discovery paths, and the List/Table builders they feed.
 *
 * Input: up to five newline-separated fields: labelSelector,
 * fieldSelector, limit, continue, a URL path.
 */
#include <stdint.h>

#include "../lab/apiserver/store.c"

struct lab_config lab_cfg;

static const char pods_json[] =
    "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
    "\"frontend\",\"namespace\":\"demo\",\"labels\":{\"app\":\"frontend\","
    "\"tier\":\"web\"}},\"spec\":{\"nodeName\":\"node1\",\"containers\":"
    "[{\"name\":\"c\"}]},\"status\":{\"phase\":\"Running\",\"podIP\":"
    "\"10.0.1.10\",\"containerStatuses\":[{\"ready\":true}]}},"
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
    "\"backend\",\"namespace\":\"demo\",\"labels\":{\"app\":\"backend\"}},"
    "\"spec\":{\"nodeName\":\"node2\",\"hostNetwork\":true},\"status\":"
    "{\"phase\":\"Pending\"}},"
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
    "\"client\",\"namespace\":\"other\"},\"spec\":{},\"status\":{}}]";

static const char *fields[5];

static const char *
query(void *cls, const char *key)
{
	(void)cls;
	if (strcmp(key, "labelSelector") == 0)
		return fields[0];
	if (strcmp(key, "fieldSelector") == 0)
		return fields[1];
	if (strcmp(key, "limit") == 0)
		return fields[2];
	if (strcmp(key, "continue") == 0)
		return fields[3];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct lab_reply rep;
	char *buf, *p, err[256], start[512];
	bool handled;
	int i, t;

	if (!ready) {
		struct json_object *a = json_tokener_parse(pods_json);
		size_t k;

		lab_cfg.start = 1700000000;
		lab_cfg.page_size = 2;
		for (k = 0; a != NULL && k < json_object_array_length(a); k++)
			add_object(json_object_array_get_idx(a, k), "fuzz",
			    err, sizeof(err));
		json_object_put(a);
		qsort(lab_resources[2].objs, lab_resources[2].nobjs,
		    sizeof(struct json_object *), cmp_obj);
		ready = true;
	}
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0, p = buf; i < 5; i++) {
		fields[i] = p;
		if (p != NULL && (p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	for (t = 0; t < 2; t++) {
		memset(&rep, 0, sizeof(rep));
		lab_serve(&rep, &lab_resources[2], t ? "demo" : NULL, NULL,
		    t == 1, query, NULL);
		json_object_put(rep.body);
	}
	memset(&rep, 0, sizeof(rep));
	lab_serve(&rep, &lab_resources[2], "demo", fields[0], true, query,
	    NULL);
	json_object_put(rep.body);
	parse_continue(fields[3] ? fields[3] : "", start, sizeof(start));
	memset(&rep, 0, sizeof(rep));
	lab_discovery(&rep, fields[4] ? fields[4] : "", &handled);
	if (handled)
		json_object_put(rep.body);
	free(buf);
	return 0;
}
