/*
 * kube_yaml.c - libyaml event stream -> json-c tree; see kube_yaml.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <yaml.h>

#include "cilkit.h"
#include "kube_yaml.h"

struct anchor {
	char *name;
	struct json_object *obj;
};

struct ctx {
	yaml_parser_t parser;
	const char *name;
	char *errbuf;
	size_t errlen;
	size_t nodes;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
};

static int
fail_at(struct ctx *c, const yaml_mark_t *m, int err, const char *what)
{
	return cilkit_fail(c->errbuf, c->errlen, err, "%s:%zu:%zu: %s",
	    c->name, m->line + 1, m->column + 1, what);
}

static int
next_event(struct ctx *c, yaml_event_t *ev)
{
	if (yaml_parser_parse(&c->parser, ev))
		return 0;
	return cilkit_fail(c->errbuf, c->errlen, CILKIT_EINVAL,
	    "%s:%zu:%zu: %s%s%s", c->name, c->parser.problem_mark.line + 1,
	    c->parser.problem_mark.column + 1,
	    c->parser.problem != NULL ? c->parser.problem : "invalid YAML",
	    c->parser.context != NULL ? " " : "",
	    c->parser.context != NULL ? c->parser.context : "");
}

/* Count a node against the cap; aliases count their whole subtree. */
static int
count_nodes(struct ctx *c, size_t n, const yaml_mark_t *m)
{
	if (n > KUBE_YAML_MAX_NODES || c->nodes > KUBE_YAML_MAX_NODES - n)
		return fail_at(c, m, CILKIT_ETOOBIG,
		    "document has too many nodes (alias expansion?)");
	c->nodes += n;
	return 0;
}

static size_t
subtree_size(struct json_object *o)
{
	size_t n = 1, i;

	switch (json_object_get_type(o)) {
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			n += subtree_size(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += subtree_size(v);
		}
		break;
	}
	default:
		break;
	}
	return n;
}

static int
remember_anchor(struct ctx *c, const yaml_char_t *anchor,
    struct json_object *obj)
{
	struct anchor *na;

	if (anchor == NULL)
		return 0;
	if (c->n_anchors == c->cap_anchors) {
		size_t ncap = c->cap_anchors ? c->cap_anchors * 2 : 8;
		na = realloc(c->anchors, ncap * sizeof(*na));
		if (na == NULL)
			return CILKIT_ENOMEM;
		c->anchors = na;
		c->cap_anchors = ncap;
	}
	c->anchors[c->n_anchors].name = strdup((const char *)anchor);
	if (c->anchors[c->n_anchors].name == NULL)
		return CILKIT_ENOMEM;
	c->anchors[c->n_anchors].obj = json_object_get(obj);
	c->n_anchors++;
	return 0;
}

static void
forget_anchors(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->n_anchors; i++) {
		free(c->anchors[i].name);
		json_object_put(c->anchors[i].obj);
	}
	c->n_anchors = 0;
}

static int
is_int(const char *s, long long *out)
{
	char *end;
	const char *p = s;
	int base = 10;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	/*
	 * "08080" stays a string, as it does in Kubernetes' YAML 1.1 reader
	 * (an invalid octal there): a leading zero never silently drops.
	 */
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p == s) {
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
		if (*p == '\0')
			return 0;
	}
	errno = 0;
	*out = strtoll(base == 10 ? s : p, &end, base);
	return *end == '\0' && errno == 0;
}

static int
is_float(const char *s, double *out)
{
	char *end;
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 ||
	    strcmp(p, ".INF") == 0) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 1;
	}
	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 ||
	    strcmp(s, ".NAN") == 0) {
		*out = NAN;
		return 1;
	}
	/* The core schema's float: digits with '.' and/or an exponent. */
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		return 0;
	if (strpbrk(p, ".eE") == NULL || strpbrk(p, "xXnN") != NULL)
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0;
}

/* A scalar event -> json value, typed per the YAML 1.2 core schema. */
static struct json_object *
scalar_value(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	long long iv;
	double dv;

	if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
		return json_object_new_string_len(s, (int)len);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_object_new_string_len(s, (int)len);
	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	if (strlen(s) == len && is_int(s, &iv))
		return json_object_new_int64(iv);
	if (strlen(s) == len && is_float(s, &dv))
		return json_object_new_double_s(dv, s); /* keeps "1.32" */
	return json_object_new_string_len(s, (int)len);
}

static int parse_node(struct ctx *c, yaml_event_t *ev, int depth,
    struct json_object **out);

/* A mapping key must be a scalar; JSON keys are strings. */
static int
parse_mapping(struct ctx *c, yaml_event_t *start, int depth,
    struct json_object **out)
{
	struct json_object *map = json_object_new_object();
	struct json_object *val;
	yaml_event_t kev, vev;
	int r;

	if (map == NULL)
		return CILKIT_ENOMEM;
	for (;;) {
		if ((r = next_event(c, &kev)) < 0)
			goto fail;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			r = fail_at(c, &kev.start_mark, CILKIT_EINVAL,
			    "mapping key is not a scalar");
			yaml_event_delete(&kev);
			goto fail;
		}
		if ((r = next_event(c, &vev)) < 0) {
			yaml_event_delete(&kev);
			goto fail;
		}
		val = NULL;
		r = parse_node(c, &vev, depth + 1, &val);
		yaml_event_delete(&vev);
		if (r < 0) {
			yaml_event_delete(&kev);
			goto fail;
		}
		/* "<<" merge keys: copy the merged mapping's entries. */
		if (strcmp((const char *)kev.data.scalar.value, "<<") == 0 &&
		    kev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    json_object_is_type(val, json_type_object)) {
			json_object_object_foreach(val, mk, mv) {
				if (!json_object_object_get_ex(map, mk, NULL))
					json_object_object_add(map, mk,
					    json_object_get(mv));
			}
			json_object_put(val);
		} else {
			json_object_object_add(map,
			    (const char *)kev.data.scalar.value, val);
		}
		yaml_event_delete(&kev);
	}
	/*
	 * The anchor is known only once the node is complete, so an alias
	 * inside the node to the node itself is refused as unknown: a
	 * self-reference would make a reference cycle (leaked, and endless
	 * when printed).
	 */
	if ((r = remember_anchor(c, start->data.mapping_start.anchor,
	    map)) < 0)
		goto fail;
	*out = map;
	return 0;
fail:
	json_object_put(map);
	return r;
}

static int
parse_sequence(struct ctx *c, yaml_event_t *start, int depth,
    struct json_object **out)
{
	struct json_object *arr = json_object_new_array();
	struct json_object *val;
	yaml_event_t ev;
	int r;

	if (arr == NULL)
		return CILKIT_ENOMEM;
	for (;;) {
		if ((r = next_event(c, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		val = NULL;
		r = parse_node(c, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (r < 0)
			goto fail;
		json_object_array_add(arr, val);
	}
	/* anchored once complete, as for mappings */
	if ((r = remember_anchor(c, start->data.sequence_start.anchor,
	    arr)) < 0)
		goto fail;
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return r;
}

static int
parse_node(struct ctx *c, yaml_event_t *ev, int depth,
    struct json_object **out)
{
	size_t i;
	int r;

	if (depth > KUBE_YAML_MAX_DEPTH)
		return fail_at(c, &ev->start_mark, CILKIT_ETOOBIG,
		    "nesting deeper than 64 levels");
	if ((r = count_nodes(c, 1, &ev->start_mark)) < 0)
		return r;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = scalar_value(ev);
		return remember_anchor(c, ev->data.scalar.anchor, *out);
	case YAML_MAPPING_START_EVENT:
		return parse_mapping(c, ev, depth, out);
	case YAML_SEQUENCE_START_EVENT:
		return parse_sequence(c, ev, depth, out);
	case YAML_ALIAS_EVENT:
		for (i = c->n_anchors; i-- > 0;) {
			if (strcmp(c->anchors[i].name,
			    (const char *)ev->data.alias.anchor) != 0)
				continue;
			r = count_nodes(c, subtree_size(c->anchors[i].obj),
			    &ev->start_mark);
			if (r < 0)
				return r;
			/* Shared reference: json-c trees are refcounted. */
			*out = json_object_get(c->anchors[i].obj);
			return 0;
		}
		return fail_at(c, &ev->start_mark, CILKIT_EINVAL,
		    "alias to an unknown anchor");
	default:
		return fail_at(c, &ev->start_mark, CILKIT_EINVAL,
		    "unexpected YAML event");
	}
}

int
kube_yaml_parse(const char *buf, size_t len, const char *name,
    struct json_object ***docs, char *errbuf, size_t errlen)
{
	struct ctx c;
	struct json_object **arr = NULL, **na, *root;
	yaml_event_t ev;
	int n = 0, cap = 0, r = 0, done = 0;

	*docs = NULL;
	if (len > KUBE_YAML_MAX_BYTES)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "%s: larger than %zu MiB", name, KUBE_YAML_MAX_BYTES >> 20);
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.errbuf = errbuf;
	c.errlen = errlen;
	if (!yaml_parser_initialize(&c.parser))
		return CILKIT_ENOMEM;
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf,
	    len);
	while (!done) {
		if ((r = next_event(&c, &ev)) < 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			forget_anchors(&c);
			c.nodes = 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_START_EVENT:
			break;
		default:
			root = NULL;
			r = parse_node(&c, &ev, 0, &root);
			if (r < 0) {
				yaml_event_delete(&ev);
				goto fail;
			}
			if (root == NULL)
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				na = realloc(arr, (size_t)cap * sizeof(*na));
				if (na == NULL) {
					json_object_put(root);
					yaml_event_delete(&ev);
					r = CILKIT_ENOMEM;
					goto fail;
				}
				arr = na;
			}
			arr[n++] = root;
			break;
		}
		yaml_event_delete(&ev);
	}
	forget_anchors(&c);
	free(c.anchors);
	yaml_parser_delete(&c.parser);
	*docs = arr;
	return n;
fail:
	forget_anchors(&c);
	free(c.anchors);
	yaml_parser_delete(&c.parser);
	kube_yaml_free_docs(arr, n);
	return r;
}

void
kube_yaml_free_docs(struct json_object **docs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		json_object_put(docs[i]);
	free(docs);
}

int
kube_read_file(const char *path, size_t max, char **out, size_t *len,
    char *errbuf, size_t errlen)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int r = 0;

	*out = NULL;
	*len = 0;
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL)
		return cilkit_fail(errbuf, errlen,
		    errno == ENOENT ? CILKIT_ENOTFOUND : CILKIT_EIO,
		    "%s: %s", path, strerror(errno));
	for (;;) {
		if (n + 1 >= cap) {
			/* One byte past max is enough to tell "too big". */
			size_t ncap = cap ? cap * 2 : 65536;
			if (ncap > max + 2)
				ncap = max + 2;
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				r = CILKIT_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
		if (n > max) {
			r = cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
			    "%s: larger than %zu bytes", path, max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (fp != stdin)
		fclose(fp);
	free(buf);
	return r;
}

int
kube_yaml_load_file(const char *path, struct json_object ***docs,
    char *errbuf, size_t errlen)
{
	char *buf;
	size_t len;
	int r;

	*docs = NULL;
	r = kube_read_file(path, KUBE_YAML_MAX_BYTES, &buf, &len, errbuf,
	    errlen);
	if (r < 0)
		return r;
	r = kube_yaml_parse(buf, len, strcmp(path, "-") == 0 ? "<stdin>" :
	    path, docs, errbuf, errlen);
	free(buf);
	return r;
}
