/*
 * report_json.c - JSON output over json-c: strings always valid UTF-8,
 * ownership handed over even on failure, printing with an error check.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "report.h"

size_t report__utf8_decode(const unsigned char *s, uint32_t *cp);

struct json_object *
report_json_string(const char *s)
{
	const unsigned char *p;
	struct json_object *o;
	size_t len, n, off = 0;
	uint32_t c;
	char *fixed;

	if (s == NULL)
		return NULL;	/* json-c's null */
	/* Fast path: already valid UTF-8 (the usual case). */
	for (p = (const unsigned char *)s; *p != '\0'; p += n)
		if ((n = report__utf8_decode(p, &c)) == 0)
			break;
	if (*p == '\0')
		return json_object_new_string(s);
	len = strlen(s);
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	fixed = malloc(len * 3 + 1);
	if (fixed == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = report__utf8_decode(p, &c);
		if (n == 0) {
			memcpy(fixed + off, "\xef\xbf\xbd", 3);
			off += 3;
			n = 1;
		} else {
			memcpy(fixed + off, p, n);
			off += n;
		}
	}
	o = json_object_new_string_len(fixed, (int)off);
	free(fixed);
	return o;
}

int
report_json_add(struct json_object *obj, const char *key,
    struct json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return CILKIT_ENOMEM;
	}
	return 0;
}

int
report_json_append(struct json_object *arr, struct json_object *val)
{
	if (json_object_array_add(arr, val) != 0) {
		json_object_put(val);
		return CILKIT_ENOMEM;
	}
	return 0;
}

int
report_json_add_str(struct json_object *obj, const char *key, const char *s)
{
	struct json_object *v = report_json_string(s);

	if (s != NULL && v == NULL)
		return CILKIT_ENOMEM;
	return report_json_add(obj, key, v);
}

int
report_json_add_int(struct json_object *obj, const char *key, int64_t v)
{
	struct json_object *o = json_object_new_int64(v);

	return o == NULL ? CILKIT_ENOMEM : report_json_add(obj, key, o);
}

int
report_json_add_uint(struct json_object *obj, const char *key, uint64_t v)
{
	struct json_object *o = json_object_new_uint64(v);

	return o == NULL ? CILKIT_ENOMEM : report_json_add(obj, key, o);
}

int
report_json_add_double(struct json_object *obj, const char *key, double v)
{
	struct json_object *o = json_object_new_double(v);

	return o == NULL ? CILKIT_ENOMEM : report_json_add(obj, key, o);
}

int
report_json_add_bool(struct json_object *obj, const char *key, bool v)
{
	struct json_object *o = json_object_new_boolean(v);

	return o == NULL ? CILKIT_ENOMEM : report_json_add(obj, key, o);
}

int
report_json_add_time(struct json_object *obj, const char *key, int64_t ns)
{
	char buf[48];

	if (ns == 0)
		return report_json_add(obj, key, NULL);
	report_format_time(ns, 9, buf, sizeof(buf));
	return report_json_add_str(obj, key, buf);
}

int
report_json_print(FILE *fp, struct json_object *obj, bool pretty,
    char *eb, size_t el)
{
	const char *s;
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= pretty ? JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	s = json_object_to_json_string_ext(obj, flags);
	if (s == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM,
		    "out of memory formatting JSON");
	if (fputs(s, fp) == EOF || fputc('\n', fp) == EOF)
		return cilkit_fail(eb, el, CILKIT_EIO, "writing JSON: %s",
		    strerror(errno));
	return 0;
}
