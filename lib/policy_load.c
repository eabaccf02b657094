/*
 * policy_load.c - read namespaces, pods (and workloads' pod templates),
 * services and policies from json-c objects into a policy_db, compile
 * their selectors, and index rules by the pods they select.
 *
 * Semantics: shared/docs/policy-semantics.md (sections 1 and 2).
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_yaml.h"
#include "policy.h"
#include "policy_int.h"

#define ARENA_BLK	(64u * 1024)
#define MAX_DIR_DEPTH	16
#define MAX_WARNINGS	1000

/* ------------------------------------------------------------------ */
/* arena */

void *
parena_alloc(struct parena *a, size_t n)
{
	struct parena_blk *b = a->head;
	size_t al = (n + 15) & ~(size_t)15;
	void *p;

	if (n > ((size_t)1 << 30))
		return NULL;
	if (b == NULL || b->size - b->used < al) {
		size_t sz = al > ARENA_BLK ? al : ARENA_BLK;

		b = malloc(sizeof(*b) + sz);
		if (b == NULL)
			return NULL;
		b->size = sz;
		b->used = 0;
		if (al > ARENA_BLK && a->head != NULL) {
			/* keep the current block open for small ones */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += al;
	memset(p, 0, n);
	return p;
}

char *
parena_strdup(struct parena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = parena_alloc(a, n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
parena_free(struct parena *a)
{
	struct parena_blk *b, *nx;

	for (b = a->head; b != NULL; b = nx) {
		nx = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ------------------------------------------------------------------ */
/* db basics */

int
policy_db_new(struct policy_db **out, const struct policy_opts *opts,
    char *eb, size_t el)
{
	struct policy_db *db = calloc(1, sizeof(*db));

	*out = NULL;
	if (db == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	if (opts != NULL)
		db->opts = *opts;
	if (db->opts.cluster == NULL || db->opts.cluster[0] == '\0')
		db->opts.cluster = "default";
	db->opts.cluster = parena_strdup(&db->arena, db->opts.cluster);
	if (db->opts.cluster == NULL) {
		free(db);
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	}
	*out = db;
	return 0;
}

void
policy_db_free(struct policy_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->npods; i++) {
		free(db->pods[i].rules[0]);
		free(db->pods[i].rules[1]);
	}
	for (i = 0; i < db->nsvcs; i++)
		free(db->svcs[i].backends);
	for (i = 0; i < db->nwarn; i++)
		free(db->warn[i]);
	free(db->warn);
	free(db->pods);
	free(db->nss);
	free(db->svcs);
	free(db->pols);
	free(db->nodes);
	parena_free(&db->arena);
	free(db);
}

void
pdb_warn(struct policy_db *db, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (db->nwarn >= MAX_WARNINGS)
		return;
	if (db->nwarn == db->cawarn) {
		size_t nc = db->cawarn ? db->cawarn * 2 : 16;
		char **nw = realloc(db->warn, nc * sizeof(*nw));

		if (nw == NULL)
			return;
		db->warn = nw;
		db->cawarn = nc;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		db->warn[db->nwarn++] = s;
}

size_t
policy_db_nwarnings(const struct policy_db *db)
{
	return db->nwarn;
}

const char *
policy_db_warning(const struct policy_db *db, size_t i)
{
	return i < db->nwarn ? db->warn[i] : NULL;
}

size_t
policy_db_npods(const struct policy_db *db)
{
	return db->npods;
}

size_t
policy_db_npolicies(const struct policy_db *db)
{
	return db->npols;
}

void
policy_db_pod_info(const struct policy_db *db, int pod,
    struct policy_pod_info *o)
{
	const struct ppod *p = &db->pods[pod];

	o->ns = p->ns;
	o->name = p->name;
	o->ip = p->ip_str;
	o->node = p->node;
	o->workload = p->workload;
	o->from_template = p->from_template;
}

/* Grow *arr (element size sz) so that one more fits. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void *na;
	size_t nc;

	if (n < *cap)
		return 0;
	if (n >= POLICY_MAX_OBJECTS)
		return CILKIT_ETOOBIG;
	nc = *cap ? *cap * 2 : 64;
	na = realloc(*arr, nc * sz);
	if (na == NULL)
		return CILKIT_ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* addresses */

int
policy_parse_ip(const char *s, int *family, uint8_t *ip)
{
	memset(ip, 0, 16);
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, ip) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

int
policy_parse_cidr(const char *s, int *family, uint8_t *ip, int *len)
{
	char buf[64];
	const char *slash;
	size_t n;
	char *end;
	long l;
	int i, max;

	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return -1;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (policy_parse_ip(buf, family, ip) < 0)
		return -1;
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	errno = 0;
	l = strtol(slash + 1, &end, 10);
	max = *family == 4 ? 32 : 128;
	if (*end != '\0' || errno != 0 || l < 0 || l > max)
		return -1;
	*len = (int)l;
	/* clear host bits (Kubernetes accepts them in ipBlock) */
	for (i = 0; i < 16; i++) {
		int bits = (int)l - i * 8;

		if (bits >= 8)
			continue;
		ip[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

bool
pcidr_contains(const struct pcidr *c, int family, const uint8_t *ip)
{
	int full, rem;

	if (c->family != family)
		return false;
	full = c->len / 8;
	rem = c->len % 8;
	if (memcmp(c->ip, ip, (size_t)full) != 0)
		return false;
	if (rem != 0 && ((c->ip[full] ^ ip[full]) &
	    (uint8_t)(0xff << (8 - rem))) != 0)
		return false;
	return true;
}

int
policy_proto_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "tcp") == 0)
		return POLICY_TCP;
	if (strcasecmp(s, "udp") == 0)
		return POLICY_UDP;
	if (strcasecmp(s, "sctp") == 0)
		return POLICY_SCTP;
	if (strcasecmp(s, "icmp") == 0)
		return POLICY_ICMP;
	if (strcasecmp(s, "icmpv6") == 0)
		return POLICY_ICMPV6;
	return -1;
}

const char *
policy_proto_name(enum policy_proto p)
{
	switch (p) {
	case POLICY_TCP: return "TCP";
	case POLICY_UDP: return "UDP";
	case POLICY_SCTP: return "SCTP";
	case POLICY_ICMP: return "ICMP";
	case POLICY_ICMPV6: return "ICMPv6";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* labels and selectors */

static int
lset_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *
lset_get(const struct lset *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, l->k[mid]);

		if (c == 0)
			return l->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Build a sorted set from parallel arrays (keys unique, last wins). */
static int
lset_build(struct parena *a, struct lset *l, const char **k, const char **v,
    size_t n)
{
	const char **pairs;
	size_t i, j;

	l->n = 0;
	l->k = parena_alloc(a, (n + 1) * sizeof(char *));
	l->v = parena_alloc(a, (n + 1) * sizeof(char *));
	pairs = malloc((n + 1) * 2 * sizeof(char *));
	if (l->k == NULL || l->v == NULL || pairs == NULL) {
		free(pairs);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		pairs[2 * i] = k[i];
		pairs[2 * i + 1] = v[i];
	}
	/* stable enough: qsort on key; duplicates resolved below */
	qsort(pairs, n, 2 * sizeof(char *), lset_cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && strcmp(l->k[j - 1], pairs[2 * i]) == 0) {
			l->v[j - 1] = pairs[2 * i + 1];
			continue;
		}
		l->k[j] = pairs[2 * i];
		l->v[j] = pairs[2 * i + 1];
		j++;
	}
	l->n = j;
	free(pairs);
	return 0;
}

/* Scalar JSON to string (labels are strings; numbers/bools tolerated). */
static const char *
jscalar(struct json_object *o)
{
	if (o == NULL)
		return NULL;
	switch (json_object_get_type(o)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(o);
	case json_type_null:
		return "";
	default:
		return NULL;
	}
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
jis(struct json_object *o, json_type t)
{
	return o != NULL && json_object_is_type(o, t);
}

/* Read a {k: v} map into a label set. */
static int
lset_from_map(struct parena *a, struct json_object *m, struct lset *l,
    char *eb, size_t el, const char *where)
{
	const char **k, **v;
	size_t n = 0, cap;
	int rc;

	memset(l, 0, sizeof(*l));
	if (m == NULL || jis(m, json_type_null))
		return 0;
	if (!jis(m, json_type_object))
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s: not a map",
		    where);
	cap = (size_t)json_object_object_length(m);
	k = malloc((cap + 1) * sizeof(*k));
	v = malloc((cap + 1) * sizeof(*v));
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	}
	json_object_object_foreach(m, key, val) {
		const char *s = jscalar(val);

		if (s == NULL) {
			free(k);
			free(v);
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.%s: label value is not a scalar", where, key);
		}
		if (strlen(key) > POLICY_MAX_STR || strlen(s) > POLICY_MAX_STR) {
			free(k);
			free(v);
			return cilkit_fail(eb, el, CILKIT_ETOOBIG,
			    "%s.%s: label too long", where, key);
		}
		k[n] = parena_strdup(a, key);
		v[n] = parena_strdup(a, s);
		if (k[n] == NULL || v[n] == NULL) {
			free(k);
			free(v);
			return cilkit_fail(eb, el, CILKIT_ENOMEM,
			    "out of memory");
		}
		n++;
	}
	rc = lset_build(a, l, k, v, n);
	free(k);
	free(v);
	return rc < 0 ? cilkit_fail(eb, el, rc, "out of memory") : 0;
}

bool
psel_match(const struct psel *s, const struct lset *l)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct sreq *r = &s->r[i];
		const char *v = lset_get(l, r->key);
		bool in = false;

		switch (r->op) {
		case SEL_EXISTS:
			if (v == NULL)
				return false;
			break;
		case SEL_DNE:
			if (v != NULL)
				return false;
			break;
		case SEL_IN:
		case SEL_NOTIN:
			if (v != NULL)
				for (j = 0; j < r->nv && !in; j++)
					in = strcmp(v, r->v[j]) == 0;
			if (r->op == SEL_IN ? !in : in)
				return false;
			break;
		}
	}
	return true;
}

/*
 * Strip a Cilium label source: "k8s:" and "any:" go, "reserved:" stays
 * (entities are matched as "reserved:NAME" labels), "$host" is
 * reserved:host.  Kubernetes keys never carry a source.
 */
static const char *
sel_key(struct parena *a, const char *key, bool cilium)
{
	if (!cilium)
		return parena_strdup(a, key);
	if (strcmp(key, "$host") == 0)
		return parena_strdup(a, "reserved:host");
	if (strncmp(key, "k8s:", 4) == 0)
		return parena_strdup(a, key + 4);
	if (strncmp(key, "any:", 4) == 0)
		return parena_strdup(a, key + 4);
	return parena_strdup(a, key);
}

/*
 * Compile a LabelSelector.  extra (may be NULL) is one more requirement
 * appended (namespace defaulting).  Validation follows
 * apimachinery's NewRequirement: In/NotIn need values,
 * Exists/DoesNotExist none.
 */
static int
psel_compile(struct parena *a, struct json_object *o, bool cilium,
    const struct sreq *extra, struct psel *s, char *eb, size_t el,
    const char *where)
{
	struct json_object *ml, *me;
	size_t n = 0, cap, i;

	memset(s, 0, sizeof(*s));
	if (o != NULL && !jis(o, json_type_object) && !jis(o, json_type_null))
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: selector is not a map", where);
	ml = jget(o, "matchLabels");
	me = jget(o, "matchExpressions");
	if (ml != NULL && !jis(ml, json_type_object) &&
	    !jis(ml, json_type_null))
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s.matchLabels: not a map", where);
	if (me != NULL && !jis(me, json_type_array) &&
	    !jis(me, json_type_null))
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s.matchExpressions: not a list", where);
	cap = (jis(ml, json_type_object) ? (size_t)json_object_object_length(ml)
	    : 0) + (jis(me, json_type_array) ? json_object_array_length(me) :
	    0) + 1;
	s->r = parena_alloc(a, cap * sizeof(*s->r));
	if (s->r == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	if (jis(ml, json_type_object)) {
		json_object_object_foreach(ml, key, val) {
			const char *v = jscalar(val);
			struct sreq *r = &s->r[n++];

			if (v == NULL)
				return cilkit_fail(eb, el, CILKIT_EINVAL,
				    "%s.matchLabels.%s: not a scalar", where,
				    key);
			r->key = sel_key(a, key, cilium);
			r->op = SEL_IN;
			r->nv = 1;
			r->v = parena_alloc(a, sizeof(char *));
			if (r->key == NULL || r->v == NULL ||
			    (r->v[0] = parena_strdup(a, v)) == NULL)
				return cilkit_fail(eb, el, CILKIT_ENOMEM,
				    "out of memory");
		}
	}
	for (i = 0; jis(me, json_type_array) &&
	    i < json_object_array_length(me); i++) {
		struct json_object *x = json_object_array_get_idx(me, i);
		struct json_object *vals = jget(x, "values");
		const char *key = jstr(x, "key"), *op = jstr(x, "operator");
		struct sreq *r = &s->r[n];
		size_t nv, j;

		if (key == NULL || op == NULL)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.matchExpressions[%zu]: key and operator "
			    "required", where, i);
		if (strcmp(op, "In") == 0)
			r->op = SEL_IN;
		else if (strcmp(op, "NotIn") == 0)
			r->op = SEL_NOTIN;
		else if (strcmp(op, "Exists") == 0)
			r->op = SEL_EXISTS;
		else if (strcmp(op, "DoesNotExist") == 0)
			r->op = SEL_DNE;
		else
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.matchExpressions[%zu]: unknown operator %s",
			    where, i, op);
		if (vals != NULL && !jis(vals, json_type_array) &&
		    !jis(vals, json_type_null))
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.matchExpressions[%zu].values: not a list",
			    where, i);
		nv = jis(vals, json_type_array) ? json_object_array_length(vals)
		    : 0;
		if ((r->op == SEL_IN || r->op == SEL_NOTIN) && nv == 0)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.matchExpressions[%zu]: %s needs values",
			    where, i, op);
		if ((r->op == SEL_EXISTS || r->op == SEL_DNE) && nv != 0)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "%s.matchExpressions[%zu]: %s takes no values",
			    where, i, op);
		r->key = sel_key(a, key, cilium);
		r->v = parena_alloc(a, (nv + 1) * sizeof(char *));
		if (r->key == NULL || r->v == NULL)
			return cilkit_fail(eb, el, CILKIT_ENOMEM,
			    "out of memory");
		for (j = 0; j < nv; j++) {
			const char *v = jscalar(json_object_array_get_idx(vals,
			    j));

			if (v == NULL)
				return cilkit_fail(eb, el, CILKIT_EINVAL,
				    "%s.matchExpressions[%zu].values[%zu]: "
				    "not a scalar", where, i, j);
			if ((r->v[j] = parena_strdup(a, v)) == NULL)
				return cilkit_fail(eb, el, CILKIT_ENOMEM,
				    "out of memory");
		}
		r->nv = nv;
		n++;
	}
	if (extra != NULL)
		s->r[n++] = *extra;
	s->n = n;
	return 0;
}

static bool
psel_mentions(const struct psel *s, const char *key, bool prefix)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (prefix ? strncmp(s->r[i].key, key, strlen(key)) == 0 :
		    strcmp(s->r[i].key, key) == 0)
			return true;
	}
	return false;
}

static int
psel_add(struct parena *a, struct psel *s, const char *key, enum sel_op op,
    const char *val)
{
	struct sreq *nr = parena_alloc(a, (s->n + 1) * sizeof(*nr));

	if (nr == NULL)
		return CILKIT_ENOMEM;
	if (s->n)
		memcpy(nr, s->r, s->n * sizeof(*nr));
	nr[s->n].key = key;
	nr[s->n].op = op;
	if (val != NULL) {
		nr[s->n].v = parena_alloc(a, sizeof(char *));
		if (nr[s->n].v == NULL)
			return CILKIT_ENOMEM;
		nr[s->n].v[0] = val;
		nr[s->n].nv = 1;
	}
	s->r = nr;
	s->n++;
	return 0;
}

#define NS_LABEL	"io.kubernetes.pod.namespace"
#define NSL_PREFIX	"io.cilium.k8s.namespace.labels."
#define SA_LABEL	"io.cilium.k8s.policy.serviceaccount"
#define CLUSTER_LABEL	"io.cilium.k8s.policy.cluster"

/* ------------------------------------------------------------------ */
/* namespaces, pods, workloads, services */

int
pns_find(const struct policy_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->nnss; i++)
		if (strcmp(db->nss[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
add_namespace(struct policy_db *db, struct json_object *o, const char *origin,
    char *eb, size_t el)
{
	struct json_object *md = jget(o, "metadata");
	const char *name = jstr(md, "name");
	struct pns *ns;
	int rc, i;

	if (name == NULL || name[0] == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: Namespace without metadata.name", origin);
	i = pns_find(db, name);
	if (i < 0) {
		if ((rc = grow((void **)&db->nss, &db->cansa, db->nnss,
		    sizeof(*db->nss))) < 0)
			return cilkit_fail(eb, el, rc, "too many namespaces");
		i = (int)db->nnss++;
	}
	ns = &db->nss[i];
	memset(ns, 0, sizeof(*ns));
	ns->name = parena_strdup(&db->arena, name);
	if (ns->name == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	return lset_from_map(&db->arena, jget(md, "labels"), &ns->labels, eb,
	    el, "metadata.labels");
}

static unsigned
proto_bits(const char *s, unsigned dflt)
{
	if (s == NULL || s[0] == '\0')
		return dflt;
	if (strcasecmp(s, "TCP") == 0)
		return POLICY_TCP;
	if (strcasecmp(s, "UDP") == 0)
		return POLICY_UDP;
	if (strcasecmp(s, "SCTP") == 0)
		return POLICY_SCTP;
	if (strcasecmp(s, "ANY") == 0)
		return POLICY_TCP | POLICY_UDP | POLICY_SCTP;
	return 0;
}

/* status.podIPs / hostIPs: [{ip: A}, ...]; bad entries are skipped. */
static int
read_ips(struct parena *a, struct json_object *l, struct paddr **out,
    size_t *n)
{
	size_t i, len = jis(l, json_type_array) ? json_object_array_length(l) :
	    0;

	*n = 0;
	*out = parena_alloc(a, (len + 1) * sizeof(**out));
	if (*out == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < len; i++) {
		struct paddr *x = &(*out)[*n];

		if (policy_parse_ip(jstr(json_object_array_get_idx(l, i),
		    "ip"), &x->family, x->ip) == 0)
			(*n)++;
	}
	return 0;
}

/* A Node: its addresses tell node peers (host, remote-node) apart. */
static int
add_node(struct policy_db *db, struct json_object *o, const char *origin,
    char *eb, size_t el)
{
	struct json_object *ad = jget(jget(o, "status"), "addresses");
	const char *name = jstr(jget(o, "metadata"), "name");
	size_t i;
	int rc;

	if (name == NULL || name[0] == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: Node without metadata.name", origin);
	if ((name = parena_strdup(&db->arena, name)) == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; jis(ad, json_type_array) &&
	    i < json_object_array_length(ad); i++) {
		struct json_object *x = json_object_array_get_idx(ad, i);
		const char *t = jstr(x, "type");
		struct pnode nd;

		memset(&nd, 0, sizeof(nd));
		if (t == NULL || (strcmp(t, "InternalIP") != 0 &&
		    strcmp(t, "ExternalIP") != 0) ||
		    policy_parse_ip(jstr(x, "address"), &nd.family, nd.ip) < 0)
			continue;
		nd.name = name;
		if ((rc = grow((void **)&db->nodes, &db->canodes, db->nnodes,
		    sizeof(*db->nodes))) < 0)
			return cilkit_fail(eb, el, rc, "too many nodes");
		db->nodes[db->nnodes++] = nd;
	}
	return 1;
}

/*
 * A pod from a Pod object or a template.  wl is the workload string
 * ("ns/name[Kind]") or NULL to derive it from ownerReferences.
 */
static int
add_pod(struct policy_db *db, struct json_object *md, struct json_object *spec,
    struct json_object *status, const char *dflt_name, const char *dflt_ns,
    const char *wl, bool tmpl, const char *origin, char *eb, size_t el)
{
	struct parena *a = &db->arena;
	const char *name = jstr(md, "name"), *ns = jstr(md, "namespace");
	struct json_object *cs = jget(spec, "containers");
	struct json_object *owners = jget(md, "ownerReferences");
	struct ppod *p;
	char buf[1024];
	size_t i, j, np = 0;
	int rc;

	if (name == NULL || name[0] == '\0')
		name = dflt_name;
	if (ns == NULL || ns[0] == '\0')
		ns = dflt_ns != NULL ? dflt_ns : "default";
	if (name == NULL || name[0] == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: Pod without metadata.name", origin);
	if ((rc = grow((void **)&db->pods, &db->capods, db->npods,
	    sizeof(*db->pods))) < 0)
		return cilkit_fail(eb, el, rc, "%s: too many pods", origin);
	p = &db->pods[db->npods];
	memset(p, 0, sizeof(*p));
	p->name = parena_strdup(a, name);
	p->ns = parena_strdup(a, ns);
	p->from_template = tmpl;
	p->nsidx = -1;
	if (p->name == NULL || p->ns == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	if ((rc = lset_from_map(a, jget(md, "labels"), &p->labels, eb, el,
	    "metadata.labels")) < 0)
		return rc;
	p->sa = jstr(spec, "serviceAccountName");
	if (p->sa == NULL)
		p->sa = jstr(spec, "serviceAccount");
	p->sa = parena_strdup(a, p->sa != NULL && p->sa[0] ? p->sa :
	    "default");
	p->node = jstr(spec, "nodeName");
	p->node = p->node != NULL ? parena_strdup(a, p->node) : NULL;
	p->host_network = !db->opts.k8s_semantics &&
	    jis(jget(spec, "hostNetwork"), json_type_boolean) &&
	    json_object_get_boolean(jget(spec, "hostNetwork"));
	/* a finished pod's IP may already belong to another pod */
	p->done = jstr(status, "phase") != NULL &&
	    (strcmp(jstr(status, "phase"), "Succeeded") == 0 ||
	    strcmp(jstr(status, "phase"), "Failed") == 0);
	p->ip_str = jstr(status, "podIP");
	if (p->ip_str != NULL && policy_parse_ip(p->ip_str, &p->family,
	    p->ip) == 0)
		p->ip_str = parena_strdup(a, p->ip_str);
	else
		p->ip_str = NULL;
	p->host_ip = jstr(status, "hostIP");
	p->host_ip = p->host_ip != NULL ? parena_strdup(a, p->host_ip) : NULL;
	/* dual stack: every address of the pod and of its node */
	if ((rc = read_ips(a, jget(status, "podIPs"), &p->ips, &p->nips)) < 0 ||
	    (rc = read_ips(a, jget(status, "hostIPs"), &p->hips,
	    &p->nhips)) < 0)
		return cilkit_fail(eb, el, rc, "out of memory");
	/* container ports, for named ports */
	for (i = 0; jis(cs, json_type_array) && i < json_object_array_length(cs);
	    i++) {
		struct json_object *ps = jget(json_object_array_get_idx(cs, i),
		    "ports");

		if (jis(ps, json_type_array))
			np += json_object_array_length(ps);
	}
	p->ports = parena_alloc(a, (np + 1) * sizeof(*p->ports));
	if (p->ports == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; jis(cs, json_type_array) && i < json_object_array_length(cs);
	    i++) {
		struct json_object *ps = jget(json_object_array_get_idx(cs, i),
		    "ports");

		for (j = 0; jis(ps, json_type_array) &&
		    j < json_object_array_length(ps); j++) {
			struct json_object *cp = json_object_array_get_idx(ps,
			    j);
			struct json_object *num = jget(cp, "containerPort");
			const char *pn = jstr(cp, "name");
			struct pcport *c = &p->ports[p->nports];

			if (!jis(num, json_type_int))
				continue;
			c->port = json_object_get_int(num);
			if (c->port < 1 || c->port > 65535)
				continue;
			c->proto = proto_bits(jstr(cp, "protocol"),
			    POLICY_TCP);
			if (c->proto == 0 || (c->proto & (c->proto - 1)))
				continue;
			c->name = pn != NULL ? parena_strdup(a, pn) : NULL;
			p->nports++;
		}
	}
	/* workload name, netpol-analyzer style */
	/* the controller owner names the workload; a Node owns static pods */
	for (i = 0; wl == NULL && jis(owners, json_type_array) &&
	    i < json_object_array_length(owners); i++) {
		struct json_object *ow = json_object_array_get_idx(owners, i);
		struct json_object *ctl = jget(ow, "controller");
		const char *on = jstr(ow, "name"), *ok = jstr(ow, "kind");

		if (!jis(ctl, json_type_boolean) ||
		    !json_object_get_boolean(ctl))
			continue;
		if (on != NULL && on[0] && (ok == NULL || strcmp(ok, "Node"))) {
			snprintf(buf, sizeof(buf), "%s/%s[%s]", ns, on,
			    ok != NULL && ok[0] ? ok : "Pod");
			wl = buf;
		}
		break;
	}
	if (wl == NULL) {
		snprintf(buf, sizeof(buf), "%s/%s[Pod]", ns, name);
		wl = buf;
	}
	p->workload = parena_strdup(a, wl);
	if (p->workload == NULL || p->sa == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	db->npods++;
	return 1;
}

static int
add_workload(struct policy_db *db, struct json_object *o, const char *kind,
    const char *origin, char *eb, size_t el)
{
	struct json_object *md = jget(o, "metadata");
	struct json_object *spec = jget(o, "spec"), *tmpl;
	const char *name = jstr(md, "name"), *ns = jstr(md, "namespace");
	char wl[1024];

	if (strcmp(kind, "CronJob") == 0)
		spec = jget(jget(jget(spec, "jobTemplate"), "spec"), "template");
	else
		spec = jget(spec, "template");
	tmpl = spec;
	if (name == NULL || tmpl == NULL) {
		pdb_warn(db, "%s: %s without name or pod template: skipped",
		    origin, kind);
		return 0;
	}
	if (ns == NULL || ns[0] == '\0')
		ns = "default";
	snprintf(wl, sizeof(wl), "%s/%s[%s]", ns, name, kind);
	return add_pod(db, jget(tmpl, "metadata"), jget(tmpl, "spec"), NULL,
	    name, ns, wl, true, origin, eb, el);
}

static int
add_service(struct policy_db *db, struct json_object *o, const char *origin,
    char *eb, size_t el)
{
	struct parena *a = &db->arena;
	struct json_object *md = jget(o, "metadata"), *spec = jget(o, "spec");
	struct json_object *ports = jget(spec, "ports"), *sel;
	const char *name = jstr(md, "name"), *ns = jstr(md, "namespace");
	const char *cip = jstr(spec, "clusterIP");
	struct psvc *s;
	size_t i, np;
	int rc;

	if (name == NULL)
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: Service without metadata.name", origin);
	if ((rc = grow((void **)&db->svcs, &db->casvcs, db->nsvcs,
	    sizeof(*db->svcs))) < 0)
		return cilkit_fail(eb, el, rc, "too many services");
	s = &db->svcs[db->nsvcs];
	memset(s, 0, sizeof(*s));
	s->name = parena_strdup(a, name);
	s->ns = parena_strdup(a, ns != NULL && ns[0] ? ns : "default");
	if (cip != NULL && policy_parse_ip(cip, &s->family, s->ip) == 0)
		s->cluster_ip = parena_strdup(a, cip);
	sel = jget(spec, "selector");
	s->has_selector = jis(sel, json_type_object) &&
	    json_object_object_length(sel) > 0;
	if ((rc = lset_from_map(a, sel, &s->selector, eb, el,
	    "spec.selector")) < 0 || (rc = lset_from_map(a, jget(md, "labels"),
	    &s->labels, eb, el, "metadata.labels")) < 0)
		return rc;
	np = jis(ports, json_type_array) ? json_object_array_length(ports) : 0;
	s->ports = parena_alloc(a, (np + 1) * sizeof(*s->ports));
	if (s->ports == NULL || s->name == NULL || s->ns == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < np; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *t = jget(p, "targetPort");
		struct psvcport *sp = &s->ports[s->nports];

		if (!jis(jget(p, "port"), json_type_int))
			continue;
		sp->port = json_object_get_int(jget(p, "port"));
		sp->proto = proto_bits(jstr(p, "protocol"), POLICY_TCP);
		sp->name = jstr(p, "name") ? parena_strdup(a, jstr(p, "name")) :
		    NULL;
		if (jis(t, json_type_int))
			sp->target = json_object_get_int(t);
		else if (jis(t, json_type_string))
			sp->target_name = parena_strdup(a,
			    json_object_get_string(t));
		else
			sp->target = sp->port;
		if (sp->port < 1 || sp->port > 65535 || sp->proto == 0)
			continue;
		s->nports++;
	}
	db->nsvcs++;
	return 1;
}

/* ------------------------------------------------------------------ */
/* policies */

struct pctxt {			/* parse context for messages */
	struct policy_db *db;
	const char *origin;
	struct ppolicy *pol;
	char *eb;
	size_t el;
};

/*
 * A field the reader does not know is ignored, as the API server prunes
 * it from a stored object; but kubectl refuses it, and a typo (say
 * "matchLabel" or "fromEndpoint") changes what the policy selects, so
 * say so.  known is NULL-terminated.
 */
static void
warn_unknown(struct pctxt *c, struct json_object *o,
    const char *const *known, const char *where)
{
	size_t i;

	if (!jis(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL)
			pdb_warn(c->db, "%s: %s %s%s%s: %s: unknown field "
			    "\"%s\" ignored (kubectl refuses it)", c->origin,
			    policy_kind_name(c->pol->kind), c->pol->ns,
			    c->pol->ns[0] ? "/" : "", c->pol->name, where,
			    key);
	}
}

static const char *const known_sel[] = { "matchLabels", "matchExpressions",
	NULL };

/* Protocols are upper case in the API ("tcp" is refused); read anyway. */
static void
warn_proto_case(struct pctxt *c, const char *proto, const char *where)
{
	const char *q;

	if (proto == NULL)
		return;
	for (q = proto; *q != '\0'; q++)
		if (islower((unsigned char)*q))
			break;
	if (*q != '\0')
		pdb_warn(c->db, "%s: %s %s%s%s: %s: protocol \"%s\" read as "
		    "upper case (the API server refuses it)", c->origin,
		    policy_kind_name(c->pol->kind), c->pol->ns,
		    c->pol->ns[0] ? "/" : "", c->pol->name, where, proto);
}

static int
port_value(struct json_object *p, int *num, const char **name,
    struct parena *a)
{
	*num = 0;
	*name = NULL;
	if (p == NULL || jis(p, json_type_null))
		return 0;
	if (jis(p, json_type_int)) {
		int64_t v = json_object_get_int64(p);

		if (v < 0 || v > 65535)
			return -1;
		*num = (int)v;
		return 0;
	}
	if (jis(p, json_type_string)) {
		const char *s = json_object_get_string(p);
		char *end;
		long v;

		if (s[0] == '\0')
			return 0;
		if (isdigit((unsigned char)s[0])) {
			errno = 0;
			v = strtol(s, &end, 10);
			if (*end != '\0' || errno != 0 || v < 0 || v > 65535)
				return -1;
			*num = (int)v;
			return 0;
		}
		if (strlen(s) > 63)
			return -1;
		*name = parena_strdup(a, s);
		return *name == NULL ? -1 : 0;
	}
	return -1;
}

static const char *const known_port[] = { "port", "endPort", "protocol",
	NULL };

/* NetworkPolicy "ports" list of one rule. */
static int
np_ports(struct pctxt *c, struct json_object *ports, struct pentry *e,
    const char *where)
{
	size_t i, n;

	if (ports == NULL || jis(ports, json_type_null) ||
	    (jis(ports, json_type_array) && json_object_array_length(ports) ==
	    0)) {
		e->ports_all = true;
		return 0;
	}
	if (!jis(ports, json_type_array))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.ports: not a list", where);
	n = json_object_array_length(ports);
	e->ports = parena_alloc(&c->db->arena, n * sizeof(*e->ports));
	if (e->ports == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *ep = jget(p, "endPort");
		struct pport *pp = &e->ports[i];
		const char *proto = jstr(p, "protocol");

		if (!jis(p, json_type_object))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.ports[%zu]: not a map", where, i);
		warn_unknown(c, p, known_port, where);
		warn_proto_case(c, proto, where);
		pp->protos = proto_bits(proto, POLICY_TCP);
		if (pp->protos == 0 || (proto != NULL &&
		    strcasecmp(proto, "ANY") == 0))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.ports[%zu].protocol: unknown protocol %s",
			    where, i, proto);
		/* 0 is no port here (1-65535); absent means every port */
		if (port_value(jget(p, "port"), &pp->lo, &pp->name,
		    &c->db->arena) < 0 || (pp->lo == 0 && pp->name == NULL &&
		    jget(p, "port") != NULL && !jis(jget(p, "port"),
		    json_type_null)))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.ports[%zu].port: not a port", where, i);
		pp->hi = pp->lo ? pp->lo : 65535;
		if (ep != NULL && !jis(ep, json_type_null)) {
			int64_t v;

			if (!jis(ep, json_type_int) || pp->lo == 0 ||
			    (v = json_object_get_int64(ep)) < pp->lo ||
			    v > 65535)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.ports[%zu].endPort: needs a numeric "
				    "port <= endPort <= 65535", where, i);
			pp->hi = (int)v;
		}
	}
	e->nports = n;
	return 0;
}

static int
cidr_peer(struct pctxt *c, struct ppeer *p, const char *cidr,
    struct json_object *except, const char *where)
{
	size_t i, n;

	p->kind = PEER_CIDR;
	if (policy_parse_cidr(cidr, &p->cidr.family, p->cidr.ip,
	    &p->cidr.len) < 0)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: bad CIDR %s", where, cidr ? cidr : "(missing)");
	if (except != NULL && !jis(except, json_type_array) &&
	    !jis(except, json_type_null))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.except: not a list", where);
	n = jis(except, json_type_array) ? json_object_array_length(except) : 0;
	p->except = parena_alloc(&c->db->arena, (n + 1) * sizeof(*p->except));
	if (p->except == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(except, i);
		const char *s = jis(x, json_type_string) ?
		    json_object_get_string(x) : NULL;
		struct pcidr *ex = &p->except[i];

		if (policy_parse_cidr(s, &ex->family, ex->ip, &ex->len) < 0)
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.except[%zu]: bad CIDR", where, i);
		if (!pcidr_contains(&p->cidr, ex->family, ex->ip) ||
		    ex->len < p->cidr.len)
			pdb_warn(c->db, "%s: %s/%s: %s.except[%zu] is not "
			    "inside the cidr", c->origin, c->pol->ns,
			    c->pol->name, where, i);
	}
	p->nexcept = n;
	return 0;
}

static const char *const known_peer[] = { "podSelector",
	"namespaceSelector", "ipBlock", NULL };

/* NetworkPolicy rule peers (from / to). */
static int
np_peers(struct pctxt *c, struct json_object *list, struct pentry *e,
    const char *where)
{
	struct parena *a = &c->db->arena;
	size_t i, n;
	char w[256];
	int rc;

	if (list == NULL || jis(list, json_type_null) ||
	    (jis(list, json_type_array) && json_object_array_length(list) ==
	    0)) {
		e->peer_all = true;
		return 0;
	}
	if (!jis(list, json_type_array))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: not a list", where);
	n = json_object_array_length(list);
	e->peers = parena_alloc(a, n * sizeof(*e->peers));
	if (e->peers == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(list, i);
		struct json_object *ps = jget(x, "podSelector");
		struct json_object *ns = jget(x, "namespaceSelector");
		struct json_object *ib = jget(x, "ipBlock");
		struct ppeer *p = &e->peers[i];

		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if (!jis(x, json_type_object))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s: not a map", w);
		warn_unknown(c, x, known_peer, w);
		if (jis(ps, json_type_object) || jis(ns, json_type_object)) {
			char ws[300];

			snprintf(ws, sizeof(ws), "%s.podSelector", w);
			warn_unknown(c, ps, known_sel, ws);
			snprintf(ws, sizeof(ws), "%s.namespaceSelector", w);
			warn_unknown(c, ns, known_sel, ws);
		}
		if (ib != NULL && !jis(ib, json_type_null)) {
			if (ps != NULL || ns != NULL)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s: ipBlock cannot be combined with "
				    "selectors", w);
			if ((rc = cidr_peer(c, p, jstr(ib, "cidr"),
			    jget(ib, "except"), w)) < 0)
				return rc;
			continue;
		}
		if (ps == NULL && ns == NULL) {
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s: empty peer (needs podSelector, "
			    "namespaceSelector or ipBlock)", w);
		}
		p->kind = PEER_K8S;
		if (ps != NULL) {
			p->pod = parena_alloc(a, sizeof(*p->pod));
			if (p->pod == NULL)
				return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM,
				    "out of memory");
			if ((rc = psel_compile(a, ps, false, NULL, p->pod,
			    c->eb, c->el, w)) < 0)
				return rc;
		}
		if (ns != NULL) {
			p->ns = parena_alloc(a, sizeof(*p->ns));
			if (p->ns == NULL)
				return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM,
				    "out of memory");
			if ((rc = psel_compile(a, ns, false, NULL, p->ns,
			    c->eb, c->el, w)) < 0)
				return rc;
		}
	}
	e->npeers = n;
	return 0;
}

static bool
has_type(struct json_object *types, const char *t)
{
	size_t i;

	for (i = 0; jis(types, json_type_array) &&
	    i < json_object_array_length(types); i++) {
		struct json_object *x = json_object_array_get_idx(types, i);

		if (jis(x, json_type_string) &&
		    strcmp(json_object_get_string(x), t) == 0)
			return true;
	}
	return false;
}

static const char *const known_np_spec[] = { "podSelector", "policyTypes",
	"ingress", "egress", NULL };
static const char *const known_np_rule[2][3] = { { "from", "ports", NULL },
	{ "to", "ports", NULL } };

static int
add_np(struct pctxt *c, struct json_object *o)
{
	struct parena *a = &c->db->arena;
	struct json_object *spec = jget(o, "spec");
	struct json_object *types = jget(spec, "policyTypes");
	struct json_object *sec[2];
	struct ppolicy *pol = c->pol;
	struct prule *r;
	bool typed, k8s = c->db->opts.k8s_semantics;
	size_t d, i, n, k = 0;
	char w[128];
	int rc;

	if (!jis(spec, json_type_object))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: NetworkPolicy %s/%s: no spec", c->origin, pol->ns,
		    pol->name);
	if (types != NULL && !jis(types, json_type_array) &&
	    !jis(types, json_type_null))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "spec.policyTypes: not a list");
	sec[0] = jget(spec, "ingress");
	sec[1] = jget(spec, "egress");
	for (d = 0; d < 2; d++)
		if (sec[d] != NULL && !jis(sec[d], json_type_array) &&
		    !jis(sec[d], json_type_null))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "spec.%s: not a list", d ? "egress" : "ingress");
	pol->rules = r = parena_alloc(a, sizeof(*r));
	if (r == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	pol->nrules = 1;
	r->pol = pol;
	r->k8s = true;
	if ((rc = psel_compile(a, jget(spec, "podSelector"), false, NULL,
	    &r->subj, c->eb, c->el, "spec.podSelector")) < 0)
		return rc;
	warn_unknown(c, spec, known_np_spec, "spec");
	warn_unknown(c, jget(spec, "podSelector"), known_sel,
	    "spec.podSelector");
	/* policyTypes defaulting, as the API server does (1.3) */
	typed = jis(types, json_type_array) &&
	    json_object_array_length(types) > 0;
	for (i = 0; typed && i < json_object_array_length(types); i++) {
		const char *t = jscalar(json_object_array_get_idx(types, i));

		/* the API server refuses "ingress" as much as "Foo" */
		if (t == NULL || (strcmp(t, "Ingress") != 0 &&
		    strcmp(t, "Egress") != 0))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "spec.policyTypes[%zu]: %s is not Ingress or "
			    "Egress", i, t != NULL ? t : "(not a string)");
	}
	if (typed) {
		r->dd[0] = has_type(types, "Ingress");
		r->dd[1] = has_type(types, "Egress");
	} else {
		r->dd[0] = true;
		r->dd[1] = jis(sec[1], json_type_array) &&
		    json_object_array_length(sec[1]) > 0;
	}
	n = 0;
	for (d = 0; d < 2; d++)
		if (jis(sec[d], json_type_array))
			n += json_object_array_length(sec[d]);
	r->e = parena_alloc(a, (n + 1) * sizeof(*r->e));
	if (r->e == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (d = 0; d < 2; d++) {
		size_t len = jis(sec[d], json_type_array) ?
		    json_object_array_length(sec[d]) : 0;

		r->has[d] = r->dd[d];
		if (len > 0 && !r->dd[d]) {
			pdb_warn(c->db, "%s: NetworkPolicy %s/%s has %s rules "
			    "but policyTypes lacks %s: %s", c->origin, pol->ns,
			    pol->name, d ? "egress" : "ingress",
			    d ? "Egress" : "Ingress", k8s ?
			    "ignored (Kubernetes reading)" :
			    "Cilium still applies them as allows");
			if (k8s)
				continue;
			r->has[d] = true;
		}
		for (i = 0; i < len; i++) {
			struct json_object *x = json_object_array_get_idx(sec[d],
			    i);
			struct pentry *e = &r->e[k];

			snprintf(w, sizeof(w), "spec.%s[%zu]",
			    d ? "egress" : "ingress", i);
			if (x != NULL && !jis(x, json_type_object))
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s: not a map", w);
			warn_unknown(c, x, known_np_rule[d], w);
			e->sec = d ? SEC_EGRESS : SEC_INGRESS;
			e->index = (int)i + 1;
			snprintf(w, sizeof(w), "spec.%s[%zu].%s",
			    d ? "egress" : "ingress", i, d ? "to" : "from");
			if ((rc = np_peers(c, jget(x, d ? "to" : "from"), e,
			    w)) < 0)
				return rc;
			snprintf(w, sizeof(w), "spec.%s[%zu]",
			    d ? "egress" : "ingress", i);
			if ((rc = np_ports(c, jget(x, "ports"), e, w)) < 0)
				return rc;
			k++;
		}
	}
	r->nentries = k;
	return 1;
}

/* Cilium entities (policy-semantics.md 2.5). */
static unsigned
entity_bits(const char *s)
{
	static const struct {
		const char *n;
		unsigned b;
	} t[] = {
		{ "host", ENT_HOST }, { "remote-node", ENT_REMOTE },
		{ "world", ENT_WORLD }, { "world-ipv4", ENT_WORLD4 },
		{ "world-ipv6", ENT_WORLD6 }, { "cluster", ENT_CLUSTER },
		{ "cluster-mesh", ENT_CLUSTER }, { "all", ENT_ALL },
		{ "health", ENT_HEALTH }, { "init", ENT_INIT },
		{ "ingress", ENT_INGRESS }, { "kube-apiserver", ENT_KUBEAPI },
		{ "unmanaged", ENT_UNMANAGED }, { "none", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].b;
	return ~0u;
}


/* L7 rules of one toPorts item, as text. */
static const char *
l7_text(struct parena *a, struct json_object *rules)
{
	char buf[1024] = "";
	size_t i;

	json_object_object_foreach(rules, kind, list) {
		if (buf[0])
			cilkit_strcatf(buf, sizeof(buf), "; ");
		cilkit_strcatf(buf, sizeof(buf), "%s", kind);
		if (!jis(list, json_type_array) || json_object_array_length(list)
		    == 0) {
			cilkit_strcatf(buf, sizeof(buf), " (empty: every request)");
			continue;
		}
		cilkit_strcatf(buf, sizeof(buf), ":");
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *x = json_object_array_get_idx(list,
			    i);

			cilkit_strcatf(buf, sizeof(buf), "%s", i ? "," : "");
			if (!jis(x, json_type_object)) {
				/* not a rule map: show it as it is */
				cilkit_strcatf(buf, sizeof(buf), " %s",
				    x == NULL ? "null" :
				    json_object_to_json_string_ext(x,
				    JSON_C_TO_STRING_PLAIN));
				continue;
			}
			json_object_object_foreach(x, k, v) {
				const char *s = jscalar(v);

				if (s != NULL)
					cilkit_strcatf(buf, sizeof(buf), " %s=%s", k, s);
				else
					cilkit_strcatf(buf, sizeof(buf), " %s=%s", k,
					    json_object_to_json_string_ext(v,
					    JSON_C_TO_STRING_PLAIN));
			}
		}
	}
	return buf[0] ? parena_strdup(a, buf) : NULL;
}

/* Cilium's ICMP type names (pkg/policy/api/icmp.go), per family. */
static int
icmp_type_name(const char *s, int family)
{
	static const struct {
		const char *n;
		int v4, v6;		/* -1: not a name in that family */
	} t[] = {
		{ "EchoReply", 0, 129 }, { "DestinationUnreachable", 3, 1 },
		{ "Redirect", 5, -1 }, { "Echo", 8, -1 },
		{ "EchoRequest", 8, 128 }, { "RouterAdvertisement", 9, 134 },
		{ "RouterSelection", 10, -1 }, { "TimeExceeded", 11, 3 },
		{ "ParameterProblem", 12, 4 }, { "Timestamp", 13, -1 },
		{ "TimestampReply", 14, -1 }, { "Photuris", 40, -1 },
		{ "ExtendedEchoRequest", 42, 160 },
		{ "ExtendedEchoReply", 43, 161 }, { "PacketTooBig", -1, 2 },
		{ "MulticastListenerQuery", -1, 130 },
		{ "MulticastListenerReport", -1, 131 },
		{ "MulticastListenerDone", -1, 132 },
		{ "RouterSolicitation", -1, 133 },
		{ "NeighborSolicitation", -1, 135 },
		{ "NeighborAdvertisement", -1, 136 },
		{ "RedirectMessage", -1, 137 },
		{ "RouterRenumbering", -1, 138 },
		{ "ICMPNodeInformationQuery", -1, 139 },
		{ "ICMPNodeInformationResponse", -1, 140 },
		{ "InverseNeighborDiscoverySolicitation", -1, 141 },
		{ "InverseNeighborDiscoveryAdvertisement", -1, 142 },
		{ "HomeAgentAddressDiscoveryRequest", -1, 144 },
		{ "HomeAgentAddressDiscoveryReply", -1, 145 },
		{ "MobilePrefixSolicitation", -1, 146 },
		{ "MobilePrefixAdvertisement", -1, 147 },
		{ "DuplicateAddressRequestCodeSuffix", -1, 157 },
		{ "DuplicateAddressConfirmationCodeSuffix", -1, 158 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return family == 6 ? t[i].v6 : t[i].v4;
	return -1;
}

/*
 * What a toPorts item adds above L4: L7 rules, TLS server names, an
 * Envoy listener.  The connection is allowed at L4 and then filtered.
 */
static const char *
port_l7(struct parena *a, struct json_object *t)
{
	struct json_object *rules = jget(t, "rules");
	struct json_object *sn = jget(t, "serverNames");
	struct json_object *ls = jget(t, "listener");
	char buf[1200] = "";
	const char *l7 = NULL;
	size_t i;

	if (jis(rules, json_type_object) && json_object_object_length(rules) >
	    0 && (l7 = l7_text(a, rules)) != NULL)
		cilkit_strcatf(buf, sizeof(buf), "%s", l7);
	if (jis(sn, json_type_array) && json_object_array_length(sn) > 0) {
		cilkit_strcatf(buf, sizeof(buf), "%sTLS serverNames:",
		    buf[0] ? "; " : "");
		for (i = 0; i < json_object_array_length(sn); i++) {
			const char *s = jscalar(json_object_array_get_idx(sn,
			    i));

			cilkit_strcatf(buf, sizeof(buf), "%s%s", i ? "," : " ",
			    s != NULL ? s : "?");
		}
	}
	if (jis(ls, json_type_object))
		cilkit_strcatf(buf, sizeof(buf), "%sEnvoy listener %s",
		    buf[0] ? "; " : "", jstr(ls, "name") != NULL ?
		    jstr(ls, "name") : "?");
	return buf[0] ? parena_strdup(a, buf) : NULL;
}

static bool
jlist_empty(struct json_object *o)
{
	return o == NULL || jis(o, json_type_null) ||
	    (jis(o, json_type_array) && json_object_array_length(o) == 0);
}

static const char *const known_toports[] = { "ports", "rules",
	"serverNames", "listener", "originatingTLS", "terminatingTLS", NULL };

/* Cilium toPorts / icmps of one rule item. */
static int
cil_ports(struct pctxt *c, struct json_object *x, struct pentry *e,
    bool deny, const char *where)
{
	struct parena *a = &c->db->arena;
	struct json_object *tp = jget(x, "toPorts"), *ic = jget(x, "icmps");
	size_t i, j, n = 0, k = 0;

	if (tp != NULL && !jis(tp, json_type_array) && !jis(tp, json_type_null))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.toPorts: not a list", where);
	if (ic != NULL && !jis(ic, json_type_array) && !jis(ic, json_type_null))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.icmps: not a list", where);
	/* absent or empty lists alike: no L4 restriction (len() == 0) */
	if (jlist_empty(tp) && jlist_empty(ic)) {
		e->ports_all = true;
		return 0;
	}
	if (!jlist_empty(tp) && !jlist_empty(ic))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: toPorts and icmps cannot be in one rule", where);
	for (i = 0; jis(tp, json_type_array) && i < json_object_array_length(tp);
	    i++) {
		struct json_object *ps = jget(json_object_array_get_idx(tp, i),
		    "ports");

		/* an item without ports stands for every port */
		if (jis(ps, json_type_array) && json_object_array_length(ps))
			n += json_object_array_length(ps);
		else
			n++;
	}
	e->ports = parena_alloc(a, (n + 1) * sizeof(*e->ports));
	if (e->ports == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; jis(tp, json_type_array) && i < json_object_array_length(tp);
	    i++) {
		struct json_object *t = json_object_array_get_idx(tp, i);
		struct json_object *ps = jget(t, "ports");
		size_t nps = jis(ps, json_type_array) ?
		    json_object_array_length(ps) : 0;
		const char *l7;

		if (t != NULL && !jis(t, json_type_object))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.toPorts[%zu]: not a map", where, i);
		warn_unknown(c, t, known_toports, where);
		l7 = port_l7(a, t);
		if (l7 != NULL && deny)
			/* PortDenyRule has only ports (2.8) */
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.toPorts[%zu]: L7 rules, serverNames and "
			    "listener are not allowed in deny rules", where,
			    i);
		if (nps == 0) {
			/* toPorts item without ports: every port */
			e->ports[k].protos = POLICY_TCP | POLICY_UDP |
			    POLICY_SCTP;
			e->ports[k].lo = 0;
			e->ports[k].hi = 65535;
			e->ports[k].l7 = l7;
			k++;
			continue;
		}
		for (j = 0; j < nps; j++) {
			struct json_object *p = json_object_array_get_idx(ps, j);
			struct json_object *ep = jget(p, "endPort");
			struct pport *pp = &e->ports[k];
			const char *proto = jstr(p, "protocol");

			warn_unknown(c, p, known_port, where);
			warn_proto_case(c, proto, where);
			pp->protos = proto_bits(proto, POLICY_TCP | POLICY_UDP |
			    POLICY_SCTP);
			if (pp->protos == 0)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.toPorts[%zu].ports[%zu].protocol: "
				    "unsupported %s", where, i, j, proto);
			if (port_value(jget(p, "port"), &pp->lo, &pp->name,
			    a) < 0)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.toPorts[%zu].ports[%zu].port: not a "
				    "port", where, i, j);
			pp->hi = pp->lo ? pp->lo : 65535;
			pp->l7 = l7;
			if (jis(ep, json_type_int) && pp->lo > 0 &&
			    pp->name == NULL) {
				int64_t v = json_object_get_int64(ep);

				if (v < pp->lo || v > 65535)
					return cilkit_fail(c->eb, c->el,
					    CILKIT_EINVAL, "%s.toPorts[%zu]."
					    "ports[%zu].endPort: out of range",
					    where, i, j);
				pp->hi = (int)v;
			}
			k++;
		}
	}
	e->nports = k;
	n = jis(ic, json_type_array) ? json_object_array_length(ic) : 0;
	for (i = 0, k = 0; i < n; i++) {
		struct json_object *f = jget(json_object_array_get_idx(ic, i),
		    "fields");

		if (jis(f, json_type_array))
			k += json_object_array_length(f);
	}
	e->icmp = parena_alloc(a, (k + 1) * sizeof(*e->icmp));
	if (e->icmp == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *f = jget(json_object_array_get_idx(ic, i),
		    "fields");

		for (j = 0; jis(f, json_type_array) &&
		    j < json_object_array_length(f); j++) {
			struct json_object *fx = json_object_array_get_idx(f,
			    j);
			struct json_object *t = jget(fx, "type");
			const char *fam = jstr(fx, "family");
			struct picmp *pi = &e->icmp[e->nicmp];

			if (fam != NULL && strcmp(fam, "IPv4") != 0 &&
			    strcmp(fam, "IPv6") != 0)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.icmps[%zu].fields[%zu].family: %s is "
				    "not IPv4 or IPv6", where, i, j, fam);
			pi->family = fam != NULL && strcmp(fam, "IPv6") == 0
			    ? 6 : 4;
			pi->type = -1;
			if (jis(t, json_type_int)) {
				int64_t v = json_object_get_int64(t);

				pi->type = v < 0 || v > 255 ? 256 : (int)v;
			} else if (jis(t, json_type_string)) {
				const char *s = json_object_get_string(t);
				char *end;
				long v;

				if (isdigit((unsigned char)s[0])) {
					errno = 0;
					v = strtol(s, &end, 10);
					pi->type = *end != '\0' || errno != 0 ||
					    v > 255 ? 256 : (int)v;
				} else if ((pi->type = icmp_type_name(s,
				    pi->family)) < 0)
					return cilkit_fail(c->eb, c->el,
					    CILKIT_EINVAL, "%s.icmps[%zu]."
					    "fields[%zu].type: %s is not an "
					    "ICMP%s type name", where, i, j, s,
					    pi->family == 6 ? "v6" : "");
			} else if (t != NULL && !jis(t, json_type_null)) {
				pi->type = 256;
			}
			if (pi->type > 255)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.icmps[%zu].fields[%zu].type: not a "
				    "type 0-255", where, i, j);
			e->nicmp++;
		}
	}
	return 0;
}

/* Count peers in the L3 fields of a Cilium rule item. */
static size_t
cil_npeers(struct json_object *x, const char *const *fields)
{
	size_t n = 0, i;

	for (i = 0; fields[i] != NULL; i++) {
		struct json_object *v = jget(x, fields[i]);

		if (jis(v, json_type_array))
			n += json_object_array_length(v);
	}
	return n;
}

/*
 * The L3 peer fields of a rule item.  Cilium refuses a rule that uses
 * two of them (IngressCommonRule/EgressCommonRule Validate: "combining
 * X and Y is not supported yet"); fromRequires/toRequires are not peers
 * but constraints and may come with any of them.
 */
static const char *const cil_from[] = { "fromEndpoints", "fromCIDR",
	"fromCIDRSet", "fromEntities", "fromGroups", "fromNodes", NULL };
static const char *const cil_to[] = { "toEndpoints", "toCIDR", "toCIDRSet",
	"toEntities", "toGroups", "toNodes", "toServices", "toFQDNs", NULL };

static const char *const known_ingress[] = { "fromEndpoints", "fromCIDR",
	"fromCIDRSet", "fromEntities", "fromGroups", "fromNodes",
	"fromRequires", "toPorts", "icmps", "authentication", NULL };
static const char *const known_egress[] = { "toEndpoints", "toCIDR",
	"toCIDRSet", "toEntities", "toGroups", "toNodes", "toServices",
	"toFQDNs", "toRequires", "toPorts", "icmps", "authentication", NULL };

/* Endpoint selector peer with Cilium's namespace defaulting (2.4). */
static int
cil_ep_sel(struct pctxt *c, struct json_object *sel, struct psel *ps,
    const char *where)
{
	struct parena *a = &c->db->arena;
	int rc;

	if ((rc = psel_compile(a, sel, true, NULL, ps, c->eb, c->el,
	    where)) < 0)
		return rc;
	warn_unknown(c, sel, known_sel, where);
	if (psel_mentions(ps, "reserved:", true) ||
	    psel_mentions(ps, NS_LABEL, false) ||
	    psel_mentions(ps, NSL_PREFIX, true))
		return 0;
	if (c->pol->kind == POLICY_KIND_CNP)
		rc = psel_add(a, ps, NS_LABEL, SEL_IN, c->pol->ns);
	else
		rc = psel_add(a, ps, NS_LABEL, SEL_EXISTS, NULL);
	return rc < 0 ? cilkit_fail(c->eb, c->el, rc, "out of memory") : 0;
}

static int
cil_ep_peer(struct pctxt *c, struct json_object *sel, struct ppeer *p,
    const char *where)
{
	p->kind = PEER_EP;
	return cil_ep_sel(c, sel, &p->sel, where);
}

/* A peer the offline engine cannot decide: it may match ent_maybe. */
static void
undecided_peer(struct pctxt *c, struct ppeer *p, const char *what,
    unsigned maybe, const char *where)
{
	pdb_warn(c->db, "%s: %s %s%s%s: %s: %s is not evaluated offline "
	    "(verdicts that hinge on it are undecided)", c->origin,
	    policy_kind_name(c->pol->kind), c->pol->ns, c->pol->ns[0] ? "/" :
	    "", c->pol->name, where, what);
	p->kind = PEER_UNDECIDED;
	p->text = what;
	p->ent_maybe = maybe;
}

/* fromRequires / toRequires of one item: label constraints on peers. */
static int
cil_requires(struct pctxt *c, struct json_object *x, struct pentry *e,
    bool egress, const char *where)
{
	const char *f = egress ? "toRequires" : "fromRequires";
	struct json_object *v = jget(x, f);
	char w[512];
	size_t i, n;
	int rc;

	if (v == NULL || jis(v, json_type_null))
		return 0;
	if (!jis(v, json_type_array))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.%s: not a list", where, f);
	n = json_object_array_length(v);
	e->req = parena_alloc(&c->db->arena, (n + 1) * sizeof(*e->req));
	if (e->req == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "%s.%s[%zu]", where, f, i);
		if ((rc = cil_ep_sel(c, json_object_array_get_idx(v, i),
		    &e->req[i], w)) < 0)
			return rc;
	}
	e->nreq = n;
	if (n > 0)
		c->db->has_requires = true;
	return 0;
}

static int
cil_item(struct pctxt *c, struct json_object *x, struct pentry *e,
    bool egress, bool deny, const char *where)
{
	struct parena *a = &c->db->arena;
	const char *const *fields = egress ? cil_to : cil_from;
	const char *first = NULL;
	struct json_object *v;
	size_t n, i, k = 0;
	bool any_l3 = false;
	char w[512];
	int rc;

	if (x != NULL && !jis(x, json_type_object))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL, "%s: not a map",
		    where);
	warn_unknown(c, x, egress ? known_egress : known_ingress, where);
	for (i = 0; fields[i] != NULL; i++) {
		v = jget(x, fields[i]);
		if (v != NULL && !jis(v, json_type_null)) {
			if (!jis(v, json_type_array))
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s.%s: not a list", where, fields[i]);
			any_l3 = true;
			if (json_object_array_length(v) == 0)
				continue;
			if (first != NULL)
				return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
				    "%s: combining %s and %s is not supported "
				    "(Cilium refuses the rule)", where, first,
				    fields[i]);
			first = fields[i];
		}
	}
	if (deny && jget(x, "toFQDNs") != NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s.toFQDNs: not allowed in deny rules", where);
	if ((rc = cil_requires(c, x, e, egress, where)) < 0)
		return rc;
	if (e->nreq > 0)
		any_l3 = true;
	n = cil_npeers(x, fields);
	e->peers = parena_alloc(a, (n + 1) * sizeof(*e->peers));
	if (e->peers == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (i = 0; fields[i] != NULL; i++) {
		const char *f = fields[i];
		const char *fn = f + (egress ? 2 : 4);
		size_t j, len;

		v = jget(x, f);
		len = jis(v, json_type_array) ? json_object_array_length(v) : 0;
		for (j = 0; j < len; j++) {
			struct json_object *y = json_object_array_get_idx(v, j);
			struct ppeer *p = &e->peers[k];

			snprintf(w, sizeof(w), "%s.%s[%zu]", where, f, j);
			if (strcmp(fn, "Endpoints") == 0) {
				if ((rc = cil_ep_peer(c, y, p, w)) < 0)
					return rc;
			} else if (strcmp(fn, "CIDR") == 0) {
				const char *s = jis(y, json_type_string) ?
				    json_object_get_string(y) : NULL;

				if ((rc = cidr_peer(c, p, s, NULL, w)) < 0)
					return rc;
			} else if (strcmp(fn, "CIDRSet") == 0) {
				if (!jis(y, json_type_object))
					return cilkit_fail(c->eb, c->el,
					    CILKIT_EINVAL, "%s: not a map", w);
				if (jstr(y, "cidr") == NULL)
					undecided_peer(c, p, jget(y,
					    "cidrGroupRef") != NULL ?
					    "cidrGroupRef" :
					    "cidrGroupSelector", ENT_WORLD, w);
				else if ((rc = cidr_peer(c, p, jstr(y, "cidr"),
				    jget(y, "except"), w)) < 0)
					return rc;
			} else if (strcmp(fn, "Entities") == 0) {
				const char *s = jis(y, json_type_string) ?
				    json_object_get_string(y) : "";
				unsigned b = entity_bits(s);

				if (b == ~0u)
					return cilkit_fail(c->eb, c->el,
					    CILKIT_EINVAL, "%s: unknown entity "
					    "\"%s\"", w, s);
				p->kind = PEER_ENTITY;
				p->ent = b;
			} else if (strcmp(f, "toFQDNs") == 0) {
				const char *mn = jstr(y, "matchName");
				const char *mp = jstr(y, "matchPattern");

				p->kind = PEER_FQDN;
				p->text = parena_strdup(a, mn ? mn : mp ? mp :
				    "?");
			} else if (strcmp(f, "toServices") == 0) {
				struct json_object *ks = jget(y, "k8sService");
				struct json_object *kss = jget(y,
				    "k8sServiceSelector");

				p->kind = PEER_SERVICE;
				if (ks != NULL) {
					p->svc_name = jstr(ks, "serviceName");
					p->svc_ns = jstr(ks, "namespace");
					p->svc_name = p->svc_name ?
					    parena_strdup(a, p->svc_name) :
					    NULL;
				} else if (kss != NULL) {
					p->svc_ns = jstr(kss, "namespace");
					p->svc_sel = parena_alloc(a,
					    sizeof(*p->svc_sel));
					if (p->svc_sel == NULL)
						return cilkit_fail(c->eb, c->el,
						    CILKIT_ENOMEM, "out of "
						    "memory");
					if ((rc = psel_compile(a, jget(kss,
					    "selector"), true, NULL, p->svc_sel,
					    c->eb, c->el, w)) < 0)
						return rc;
				}
				p->svc_ns = parena_strdup(a, p->svc_ns ?
				    p->svc_ns : c->pol->ns[0] ? c->pol->ns :
				    "default");
			} else if (strcmp(fn, "Nodes") == 0) {
				/* node labels are not known offline */
				undecided_peer(c, p, f, ENT_HOST | ENT_REMOTE,
				    w);
			} else {
				/* fromGroups/toGroups: cloud security groups */
				undecided_peer(c, p, f, ENT_WORLD, w);
			}
			k++;
		}
	}
	e->npeers = k;
	if ((rc = cil_ports(c, x, e, deny, where)) < 0)
		return rc;
	/* no L3 field: wildcard peer if L4 is given, else nothing (2.4) */
	if (!any_l3)
		e->peer_all = !e->ports_all;
	if (!any_l3 && e->ports_all)
		e->ports_all = false, e->nports = 0;
	if (jget(x, "authentication") != NULL)
		pdb_warn(c->db, "%s: %s/%s: %s.authentication is not evaluated "
		    "(allowed here if the mutual authentication succeeds)",
		    c->origin, c->pol->ns, c->pol->name, where);
	return 0;
}

static const char *const known_rule[] = { "endpointSelector", "nodeSelector",
	"ingress", "ingressDeny", "egress", "egressDeny", "labels",
	"description", "enableDefaultDeny", "log", NULL };

static int
cil_rule(struct pctxt *c, struct json_object *spec, struct prule *r,
    const char *where)
{
	static const char *const secs[] = { "ingress", "egress", "ingressDeny",
		"egressDeny" };
	struct parena *a = &c->db->arena;
	struct json_object *es = jget(spec, "endpointSelector");
	struct json_object *dd = jget(spec, "enableDefaultDeny");
	size_t s, i, n = 0, k = 0;
	char w[256];
	int rc;

	r->pol = c->pol;
	if (!jis(spec, json_type_object))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL, "%s: not a map",
		    where);
	if (es != NULL && jget(spec, "nodeSelector") != NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: endpointSelector and nodeSelector cannot be in one "
		    "rule", where);
	if (es == NULL && jget(spec, "nodeSelector") != NULL) {
		/*
		 * Host firewall: node labels are not known offline, so
		 * verdicts at a node's end are undecided (see dir_eval).
		 */
		pdb_warn(c->db, "%s: %s %s: %s: nodeSelector (host) rules are "
		    "not evaluated (verdicts at a node are undecided)",
		    c->origin, policy_kind_name(c->pol->kind), c->pol->name,
		    where);
		for (s = 0; s < 4; s++) {
			struct json_object *v = jget(spec, secs[s]);

			if (jis(v, json_type_array) &&
			    json_object_array_length(v) > 0)
				c->db->host_pol[s % 2] = c->db->npols + 1;
		}
		r->nentries = 0;
		return 0;
	}
	if (es == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: needs endpointSelector or nodeSelector", where);
	snprintf(w, sizeof(w), "%s.endpointSelector", where);
	if ((rc = psel_compile(a, es, true, NULL, &r->subj, c->eb, c->el, w))
	    < 0)
		return rc;
	warn_unknown(c, es, known_sel, w);
	warn_unknown(c, spec, known_rule, where);
	if (c->pol->kind == POLICY_KIND_CNP) {
		/* a CNP only ever selects pods of its namespace (2.3) */
		size_t j, m = 0;

		for (j = 0; j < r->subj.n; j++)
			if (strcmp(r->subj.r[j].key, NS_LABEL) != 0)
				r->subj.r[m++] = r->subj.r[j];
		r->subj.n = m;
		if (psel_add(a, &r->subj, NS_LABEL, SEL_IN, c->pol->ns) < 0)
			return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM,
			    "out of memory");
	}
	for (s = 0; s < 4; s++) {
		struct json_object *v = jget(spec, secs[s]);

		if (v != NULL && !jis(v, json_type_array) &&
		    !jis(v, json_type_null))
			return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
			    "%s.%s: not a list", where, secs[s]);
		if (jis(v, json_type_array))
			n += json_object_array_length(v);
	}
	if (n == 0)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "%s: rule must have at least one of ingress, ingressDeny, "
		    "egress, egressDeny", where);
	r->e = parena_alloc(a, n * sizeof(*r->e));
	if (r->e == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	for (s = 0; s < 4; s++) {
		struct json_object *v = jget(spec, secs[s]);
		size_t len = jis(v, json_type_array) ?
		    json_object_array_length(v) : 0;

		if (len > 0)
			r->has[s % 2] = true;
		for (i = 0; i < len; i++) {
			struct pentry *e = &r->e[k++];

			e->sec = (enum psection)s;
			e->index = (int)i + 1;
			e->deny = s >= 2;
			snprintf(w, sizeof(w), "%s.%s[%zu]", where, secs[s], i);
			if ((rc = cil_item(c, json_object_array_get_idx(v, i),
			    e, s % 2 == 1, s >= 2, w)) < 0)
				return rc;
		}
	}
	r->nentries = k;
	for (s = 0; s < 2; s++) {
		struct json_object *b = jget(dd, s ? "egress" : "ingress");

		r->dd[s] = r->has[s];
		if (jis(b, json_type_boolean) && !json_object_get_boolean(b))
			r->dd[s] = false;
	}
	return 0;
}

static int
add_cnp(struct pctxt *c, struct json_object *o)
{
	struct json_object *spec = jget(o, "spec"), *specs = jget(o, "specs");
	struct ppolicy *pol = c->pol;
	size_t n = 0, i;
	char w[64];
	int rc;

	if (specs != NULL && !jis(specs, json_type_array) &&
	    !jis(specs, json_type_null))
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "specs: not a list");
	if (spec != NULL && !jis(spec, json_type_null))
		n++;
	if (jis(specs, json_type_array))
		n += json_object_array_length(specs);
	if (n == 0)
		return cilkit_fail(c->eb, c->el, CILKIT_EINVAL,
		    "needs spec or specs");
	pol->rules = parena_alloc(&c->db->arena, n * sizeof(*pol->rules));
	if (pol->rules == NULL)
		return cilkit_fail(c->eb, c->el, CILKIT_ENOMEM, "out of memory");
	if (spec != NULL && !jis(spec, json_type_null)) {
		if ((rc = cil_rule(c, spec, &pol->rules[0], "spec")) < 0)
			return rc;
		pol->nrules = 1;
	}
	for (i = 0; jis(specs, json_type_array) &&
	    i < json_object_array_length(specs); i++) {
		struct prule *r = &pol->rules[pol->nrules];

		snprintf(w, sizeof(w), "specs[%zu]", i);
		if ((rc = cil_rule(c, json_object_array_get_idx(specs, i), r,
		    w)) < 0)
			return rc;
		r->spec = (int)i + 1;
		pol->nrules++;
	}
	return 1;
}

static int
add_policy(struct policy_db *db, struct json_object *o, enum policy_kind kind,
    const char *origin, char *eb, size_t el)
{
	struct json_object *md = jget(o, "metadata");
	const char *name = jstr(md, "name"), *ns = jstr(md, "namespace");
	struct pctxt c;
	struct ppolicy *pol;
	char sub[CILKIT_ERRBUF_SIZE] = "";
	int rc;

	if (name == NULL || name[0] == '\0')
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "%s: %s without metadata.name", origin,
		    policy_kind_name(kind));
	if ((rc = grow((void **)&db->pols, &db->capols, db->npols,
	    sizeof(*db->pols))) < 0)
		return cilkit_fail(eb, el, rc, "too many policies");
	pol = &db->pols[db->npols];
	memset(pol, 0, sizeof(*pol));
	pol->kind = kind;
	pol->name = parena_strdup(&db->arena, name);
	pol->ns = parena_strdup(&db->arena, kind == POLICY_KIND_CCNP ? "" :
	    ns != NULL && ns[0] ? ns : "default");
	if (pol->name == NULL || pol->ns == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
	c.db = db;
	c.origin = origin;
	c.pol = pol;
	c.eb = sub;
	c.el = sizeof(sub);
	rc = kind == POLICY_KIND_NP ? add_np(&c, o) : add_cnp(&c, o);
	if (rc < 0)
		return cilkit_fail(eb, el, rc, "%s: %s %s%s%s: %s", origin,
		    policy_kind_name(kind), pol->ns, pol->ns[0] ? "/" : "",
		    pol->name, sub);
	db->npols++;
	return 1;
}

const char *
policy_kind_name(enum policy_kind k)
{
	switch (k) {
	case POLICY_KIND_NP: return "NetworkPolicy";
	case POLICY_KIND_CNP: return "CiliumNetworkPolicy";
	case POLICY_KIND_CCNP: return "CiliumClusterwideNetworkPolicy";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* dispatch */

static int
add_object(struct policy_db *db, struct json_object *o, const char *origin,
    int depth, char *eb, size_t el)
{
	const char *kind;
	int rc;

	if (db->finalized)
		return cilkit_fail(eb, el, CILKIT_EINVAL,
		    "policy db already finalized");
	if (jis(o, json_type_array) && depth == 0) {
		/* a bare JSON array: objects with a kind are read */
		size_t i;
		int total = 0;

		for (i = 0; i < json_object_array_length(o); i++) {
			rc = add_object(db, json_object_array_get_idx(o, i),
			    origin, depth + 1, eb, el);
			if (rc < 0)
				return rc;
			total += rc;
		}
		return total;
	}
	if (!jis(o, json_type_object)) {
		if (o != NULL && !jis(o, json_type_null) && depth == 0)
			pdb_warn(db, "%s: a document is not a Kubernetes "
			    "object: skipped", origin);
		return 0;
	}
	if (++db->nobjects > POLICY_MAX_OBJECTS)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG,
		    "%s: more than %u objects", origin, POLICY_MAX_OBJECTS);
	kind = jstr(o, "kind");
	if (kind == NULL) {
		/* cilium-dbg's rule files: rules with no object around */
		if (jget(o, "endpointSelector") != NULL ||
		    jget(o, "nodeSelector") != NULL)
			pdb_warn(db, "%s: a Cilium rule without kind (the "
			    "cilium-dbg policy import format) is not read: "
			    "put it in the spec of a CiliumNetworkPolicy",
			    origin);
		/* other data (Helm values, outputs) is simply not ours */
		return 0;
	}
	if (strcmp(kind, "List") == 0 || (strlen(kind) > 4 &&
	    strcmp(kind + strlen(kind) - 4, "List") == 0)) {
		struct json_object *items = jget(o, "items");
		size_t i;
		int total = 0;

		if (depth > 4 || !jis(items, json_type_array))
			return 0;
		for (i = 0; i < json_object_array_length(items); i++) {
			struct json_object *it = json_object_array_get_idx(items,
			    i);
			char sub[64];

			/* typed lists omit the items' kind */
			if (jstr(it, "kind") == NULL && jis(it,
			    json_type_object) && strcmp(kind, "List") != 0) {
				size_t kl = strlen(kind) - 4;

				snprintf(sub, sizeof(sub), "%.*s", (int)kl,
				    kind);
				json_object_object_add(it, "kind",
				    json_object_new_string(sub));
			}
			rc = add_object(db, it, origin, depth + 1, eb, el);
			if (rc < 0)
				return rc;
			total += rc;
		}
		return total;
	}
	if (strcmp(kind, "Namespace") == 0)
		return add_namespace(db, o, origin, eb, el);
	if (strcmp(kind, "Pod") == 0) {
		return add_pod(db, jget(o, "metadata"), jget(o, "spec"),
		    jget(o, "status"), NULL, NULL, NULL, false, origin, eb, el);
	}
	if (strcmp(kind, "Deployment") == 0 ||
	    strcmp(kind, "StatefulSet") == 0 ||
	    strcmp(kind, "DaemonSet") == 0 || strcmp(kind, "ReplicaSet") == 0 ||
	    strcmp(kind, "ReplicationController") == 0 ||
	    strcmp(kind, "Job") == 0 || strcmp(kind, "CronJob") == 0)
		return add_workload(db, o, kind, origin, eb, el);
	if (strcmp(kind, "Service") == 0)
		return add_service(db, o, origin, eb, el);
	if (strcmp(kind, "Node") == 0)
		return add_node(db, o, origin, eb, el);
	if (strcmp(kind, "NetworkPolicy") == 0)
		return add_policy(db, o, POLICY_KIND_NP, origin, eb, el);
	if (strcmp(kind, "CiliumNetworkPolicy") == 0)
		return add_policy(db, o, POLICY_KIND_CNP, origin, eb, el);
	if (strcmp(kind, "CiliumClusterwideNetworkPolicy") == 0)
		return add_policy(db, o, POLICY_KIND_CCNP, origin, eb, el);
	/* other policy kinds (ANP, Calico, Istio...) change verdicts */
	if (strstr(kind, "Policy") != NULL || strcmp(kind,
	    "CiliumCIDRGroup") == 0)
		pdb_warn(db, "%s: %s %s is not evaluated", origin, kind,
		    jstr(jget(o, "metadata"), "name") != NULL ?
		    jstr(jget(o, "metadata"), "name") : "(no name)");
	return 0;
}

int
policy_db_add_object(struct policy_db *db, struct json_object *obj,
    const char *origin, char *eb, size_t el)
{
	return add_object(db, obj, origin ? origin : "-", 0, eb, el);
}

static int
load_file(struct policy_db *db, const char *path, char *eb, size_t el)
{
	struct json_object **docs = NULL;
	char sub[CILKIT_ERRBUF_SIZE];
	int n, i, rc, total = 0;

	n = kube_yaml_load_file(path, &docs, eb, el);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		rc = add_object(db, docs[i], path, 0, sub, sizeof(sub));
		if (rc == CILKIT_ENOMEM || rc == CILKIT_ETOOBIG) {
			cilkit_fail(eb, el, rc, "%s", sub);
			total = rc;
			break;
		}
		if (rc < 0)
			pdb_warn(db, "%s (document %d skipped)", sub, i + 1);
		else
			total += rc;
	}
	kube_yaml_free_docs(docs, n);
	return total;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
manifest_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	    (l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
	    (l > 5 && strcmp(n + l - 5, ".json") == 0);
}

static int
load_dir(struct policy_db *db, const char *path, int depth, char *eb,
    size_t el)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0, total = 0;

	if (depth > MAX_DIR_DEPTH)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG,
		    "%s: folders nested too deep", path);
	if ((d = opendir(path)) == NULL)
		return cilkit_fail(eb, el, CILKIT_EIO, "%s: %s", path,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (grow((void **)&names, &cap, n, sizeof(*names)) < 0 ||
		    asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
			rc = cilkit_fail(eb, el, CILKIT_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; rc == 0 && i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = load_dir(db, names[i], depth + 1, eb, el);
		else if (S_ISREG(st.st_mode) && manifest_name(names[i]))
			rc = load_file(db, names[i], eb, el);
		else
			continue;
		if (rc >= 0) {
			total += rc;
			rc = 0;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc < 0 ? rc : total;
}

int
policy_db_load_path(struct policy_db *db, const char *path, char *eb,
    size_t el)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return load_dir(db, path, 0, eb, el);
	return load_file(db, path, eb, el);
}

/* ------------------------------------------------------------------ */
/* finalize: namespaces, identity labels, index */

/* Cilium's default label filter (policy-semantics.md 2.2). */
static bool
label_filtered(const char *k)
{
	static const char *const pfx[] = { "io.kubernetes", "kubernetes.io",
		"k8s.io", "pod-template-generation", "pod-template-hash",
		"controller-revision-hash", "controller-uid", "annotation",
		"statefulset.kubernetes.io/pod-name",
		"apps.kubernetes.io/pod-index", "batch.kubernetes.io/",
		"topology.kubernetes.io/", "job-name", "etcd_node", NULL };
	size_t i;

	for (i = 0; pfx[i] != NULL; i++)
		if (strncmp(k, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return strstr(k, "beta.kubernetes.io") != NULL;
}

static int
ensure_ns(struct policy_db *db, const char *name)
{
	struct pns *ns;
	const char *k, *v;
	int rc;

	if (pns_find(db, name) >= 0)
		return 0;
	if ((rc = grow((void **)&db->nss, &db->cansa, db->nnss,
	    sizeof(*db->nss))) < 0)
		return rc;
	ns = &db->nss[db->nnss++];
	memset(ns, 0, sizeof(*ns));
	ns->name = name;
	k = "kubernetes.io/metadata.name";
	v = name;
	return lset_build(&db->arena, &ns->labels, &k, &v, 1);
}

static int
build_ilabels(struct policy_db *db, struct ppod *p)
{
	const struct pns *ns = &db->nss[p->nsidx];
	size_t n = 0, cap = p->labels.n + ns->labels.n + 4, i;
	const char **k = malloc(cap * sizeof(*k));
	const char **v = malloc(cap * sizeof(*v));
	int rc = CILKIT_ENOMEM;

	if (k == NULL || v == NULL)
		goto out;
	for (i = 0; i < p->labels.n; i++) {
		if (!db->opts.k8s_semantics && label_filtered(p->labels.k[i]))
			continue;
		k[n] = p->labels.k[i];
		v[n++] = p->labels.v[i];
	}
	k[n] = NS_LABEL;
	v[n++] = p->ns;
	if (!db->opts.k8s_semantics) {
		k[n] = SA_LABEL;
		v[n++] = p->sa;
		k[n] = CLUSTER_LABEL;
		v[n++] = db->opts.cluster;
		for (i = 0; i < ns->labels.n; i++) {
			char *key;

			if (asprintf(&key, NSL_PREFIX "%s", ns->labels.k[i]) < 0)
				goto out;
			k[n] = parena_strdup(&db->arena, key);
			free(key);
			if (k[n] == NULL)
				goto out;
			v[n++] = ns->labels.v[i];
		}
	}
	rc = lset_build(&db->arena, &p->ilabels, k, v, n);
out:
	free(k);
	free(v);
	return rc;
}

static int
push_rule(struct ppod *p, int d, struct prule *r, size_t *cap)
{
	if (p->nrules[d] == cap[d]) {
		size_t nc = cap[d] ? cap[d] * 2 : 4;
		struct prule **nr = realloc(p->rules[d], nc * sizeof(*nr));

		if (nr == NULL)
			return CILKIT_ENOMEM;
		p->rules[d] = nr;
		cap[d] = nc;
	}
	p->rules[d][p->nrules[d]++] = r;
	return 0;
}

/* Does rule r's subject select pod p? */
static bool
subject_selects(const struct prule *r, const struct ppod *p)
{
	if (p->host_network)
		return false;	/* host identity: nodeSelector only */
	if (r->k8s && strcmp(r->pol->ns, p->ns) != 0)
		return false;
	return psel_match(&r->subj, &p->ilabels);
}

/* Add a node address once; a name learnt later fills a missing one. */
static int
add_node_addr(struct policy_db *db, const struct pnode *nd)
{
	size_t j;
	int rc;

	for (j = 0; j < db->nnodes; j++)
		if (db->nodes[j].family == nd->family &&
		    memcmp(db->nodes[j].ip, nd->ip, 16) == 0)
			break;
	if (j < db->nnodes) {
		if (db->nodes[j].name == NULL)
			db->nodes[j].name = nd->name;
		return 0;
	}
	if ((rc = grow((void **)&db->nodes, &db->canodes, db->nnodes,
	    sizeof(*db->nodes))) < 0)
		return rc;
	db->nodes[db->nnodes++] = *nd;
	return 0;
}

int
policy_db_finalize(struct policy_db *db, char *eb, size_t el)
{
	size_t i, j, k;
	int rc;

	if (db->finalized)
		return 0;
	/* db->pols moved while it grew: point the rules at their policy */
	for (i = 0; i < db->npols; i++)
		for (j = 0; j < db->pols[i].nrules; j++)
			db->pols[i].rules[j].pol = &db->pols[i];
	for (i = 0; i < db->npods; i++)
		if ((rc = ensure_ns(db, db->pods[i].ns)) < 0)
			return cilkit_fail(eb, el, rc, "out of memory");
	for (i = 0; i < db->npols; i++)
		if (db->pols[i].ns[0] &&
		    (rc = ensure_ns(db, db->pols[i].ns)) < 0)
			return cilkit_fail(eb, el, rc, "out of memory");
	/* every namespace carries kubernetes.io/metadata.name (1.5) */
	for (i = 0; i < db->nnss; i++) {
		struct pns *ns = &db->nss[i];

		if (lset_get(&ns->labels, "kubernetes.io/metadata.name") ==
		    NULL) {
			const char **kk = malloc((ns->labels.n + 1) *
			    sizeof(*kk));
			const char **vv = malloc((ns->labels.n + 1) *
			    sizeof(*vv));

			if (kk == NULL || vv == NULL) {
				free(kk);
				free(vv);
				return cilkit_fail(eb, el, CILKIT_ENOMEM,
				    "out of memory");
			}
			for (j = 0; j < ns->labels.n; j++) {
				kk[j] = ns->labels.k[j];
				vv[j] = ns->labels.v[j];
			}
			kk[j] = "kubernetes.io/metadata.name";
			vv[j] = ns->name;
			rc = lset_build(&db->arena, &ns->labels, kk, vv, j + 1);
			free(kk);
			free(vv);
			if (rc < 0)
				return cilkit_fail(eb, el, rc, "out of memory");
		}
	}
	for (i = 0; i < db->npods; i++) {
		struct ppod *p = &db->pods[i];
		size_t cap[2] = { 0, 0 };

		p->nsidx = pns_find(db, p->ns);
		if ((rc = build_ilabels(db, p)) < 0)
			return cilkit_fail(eb, el, rc, "out of memory");
		for (j = 0; j < db->npols; j++) {
			struct ppolicy *pol = &db->pols[j];

			for (k = 0; k < pol->nrules; k++) {
				struct prule *r = &pol->rules[k];
				int d;

				if (!r->has[0] && !r->has[1])
					continue;
				if (!subject_selects(r, p))
					continue;
				for (d = 0; d < 2; d++)
					if (r->has[d] &&
					    (rc = push_rule(p, d, r, cap)) < 0)
						return cilkit_fail(eb, el, rc,
						    "out of memory");
			}
		}
	}
	/* node addresses, so that a peer IP can be told host/remote-node */
	for (i = 0; i < db->npods; i++) {
		const struct ppod *p = &db->pods[i];

		for (j = 0; j <= p->nhips; j++) {
			struct pnode nd;

			memset(&nd, 0, sizeof(nd));
			if (j == p->nhips) {
				if (p->host_ip == NULL || policy_parse_ip(
				    p->host_ip, &nd.family, nd.ip) < 0)
					continue;
			} else {
				nd.family = p->hips[j].family;
				memcpy(nd.ip, p->hips[j].ip, 16);
			}
			nd.name = p->node;
			if ((rc = add_node_addr(db, &nd)) < 0)
				return cilkit_fail(eb, el, rc, "too many nodes");
		}
	}
	for (i = 0; i < db->nsvcs; i++) {
		struct psvc *s = &db->svcs[i];
		size_t cap = 0;

		if (!s->has_selector)
			continue;
		for (j = 0; j < db->npods; j++) {
			struct ppod *p = &db->pods[j];
			size_t m;
			bool ok = strcmp(p->ns, s->ns) == 0;

			for (m = 0; ok && m < s->selector.n; m++) {
				const char *v = lset_get(&p->labels,
				    s->selector.k[m]);

				ok = v != NULL && strcmp(v, s->selector.v[m]) ==
				    0;
			}
			if (!ok)
				continue;
			if (grow((void **)&s->backends, &cap, s->nbackends,
			    sizeof(int)) < 0)
				return cilkit_fail(eb, el, CILKIT_ENOMEM,
				    "out of memory");
			s->backends[s->nbackends++] = (int)j;
		}
	}
	db->finalized = true;
	return 0;
}
