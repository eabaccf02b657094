/*
 * flow_read.c - the flow-lines reader: `hubble observe -o jsonpb` lines
 * (GetFlowsResponse), exporter lines (ExportEvent), bare flow objects
 * (legacy `-o json`), and the format sniffer.  hubble-flow-format.md
 * sections 1-7 are the spec.
 *
 * Speed: the input is read in large blocks, lines are found with
 * memchr, and each line is parsed in place by flow_json.c: strings are
 * NUL-terminated inside the block, arrays go to a per-line arena that is
 * reset (not freed) between lines.  Nothing is allocated per line once
 * the buffers have grown to the working size.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cilkit.h"
#include "flow.h"
#include "flow_json.h"
#include "flow_read.h"
#include "report.h"

/* ------------------------------------------------------------------ */
/* Scratch: per-line arena for arrays, and a stack to build them on. */

#define ARENA_BLOCK	((size_t)16 << 10)
#define PATH_MAX_DEPTH	16

struct arena_blk {
	struct arena_blk *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct enum_memo {
	char s[24];
	uint8_t n;
	int v;
};

struct flow_scratch {
	char *line;		/* copy of the line for flow_parse_line */
	size_t linecap;
	struct arena_blk *head;	/* blocks kept across lines */
	struct arena_blk *cur;
	unsigned char *stk;	/* array-building stack */
	size_t stkcap;
	size_t stktop;
	/*
	 * Memos of pure lookups that repeat from line to line: the last
	 * name resolved per enum (get_enum), the last time (get_time; the
	 * wrapper repeats the flow's).  n == 0: empty.
	 */
	struct enum_memo enums[FLOW_ENUM_DROP_REASON + 1];
	char time_s[40];
	size_t time_n;
	int64_t time_v;
	char minute_s[17];	/* "YYYY-MM-DDTHH:MM:" of a parsed time */
	bool minute_ok;
	int64_t minute_v;	/* that minute with :00Z, in ns */
	unsigned skip;		/* FLOW_SKIP_* */
};

struct flow_scratch *
flow_scratch_new(void)
{
	return calloc(1, sizeof(struct flow_scratch));
}

void
flow_scratch_free(struct flow_scratch *s)
{
	struct arena_blk *b, *n;

	if (s == NULL)
		return;
	for (b = s->head; b != NULL; b = n) {
		n = b->next;
		free(b);
	}
	free(s->line);
	free(s->stk);
	free(s);
}

static void
arena_reset(struct flow_scratch *s)
{
	struct arena_blk *b;

	for (b = s->head; b != NULL; b = b->next)
		b->used = 0;
	s->cur = s->head;
	s->stktop = 0;
}

static void *
arena_alloc(struct flow_scratch *s, size_t n)
{
	struct arena_blk *b, *nb, **link;
	size_t sz;

	n = (n + 15) & ~(size_t)15;
	for (b = s->cur; b != NULL; b = b->next) {
		if (b->size - b->used >= n) {
			s->cur = b;
			b->used += n;
			return b->data + b->used - n;
		}
	}
	sz = n > ARENA_BLOCK ? n : ARENA_BLOCK;
	nb = malloc(sizeof(*nb) + sz);
	if (nb == NULL)
		return NULL;
	nb->next = NULL;
	nb->size = sz;
	nb->used = n;
	for (link = &s->head; *link != NULL; link = &(*link)->next)
		;
	*link = nb;
	s->cur = nb;
	return nb->data;
}

/* ------------------------------------------------------------------ */
/* Parser context, field path for messages. */

struct pctx {
	struct flow_json j;
	struct flow_scratch *s;
	int np;
	/* per-flow state resolved after the flow object */
	bool have_desc;
	uint32_t desc;
	const char *desc_text;	/* a drop_reason_desc name we do not know */
	bool have_drop_reason;
	uint32_t drop_reason;
	bool have_is_reply;
	bool is_reply;
	bool reply;
	const char *msg;	/* own message, when not the scanner's */
	int err;
	unsigned skip;		/* FLOW_SKIP_* of the scratch */
	char *labels_at;	/* skipped labels of the current endpoint */
	/* the path, valid below np (not cleared per line) */
	const char *pk[PATH_MAX_DEPTH];	/* keys */
	long pi[PATH_MAX_DEPTH];	/* array index or -1 */
};

static void
path_push(struct pctx *c, const char *k)
{
	if (c->np < PATH_MAX_DEPTH) {
		c->pk[c->np] = k;
		c->pi[c->np] = -1;
	}
	c->np++;
}

static void
path_index(struct pctx *c, long i)
{
	if (c->np > 0 && c->np <= PATH_MAX_DEPTH)
		c->pi[c->np - 1] = i;
}

static int
oom(struct pctx *c)
{
	c->msg = "out of memory";
	return CILKIT_ENOMEM;
}

static int
own_fail(struct pctx *c, int err, const char *msg)
{
	c->msg = msg;
	c->j.err_off = (size_t)(c->j.p - c->j.buf);
	return err;
}

/* Array stack: push one element of size es (copied). */
static void *
stk_push(struct pctx *c, size_t es)
{
	struct flow_scratch *s = c->s;
	unsigned char *n;
	size_t cap;

	if (s->stkcap - s->stktop < es) {
		cap = s->stkcap ? s->stkcap * 2 : 4096;
		while (cap - s->stktop < es)
			cap *= 2;
		if ((n = realloc(s->stk, cap)) == NULL)
			return NULL;
		s->stk = n;
		s->stkcap = cap;
	}
	s->stktop += es;
	return s->stk + s->stktop - es;
}

/* Move the elements pushed since base to the arena. */
static int
stk_finish(struct pctx *c, size_t base, void **out)
{
	struct flow_scratch *s = c->s;
	size_t n = s->stktop - base;
	void *p;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((p = arena_alloc(s, n)) == NULL)
		return oom(c);
	memcpy(p, s->stk + base, n);
	s->stktop = base;
	*out = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Key tables.  Keys match the proto name exactly or its lowerCamel
 * json_name (protojson accepts both). */

struct key {
	uint8_t len;
	char c0;
	const char *name;
	/* name":, zero padded: compared 16 bytes at a time (key_fast) */
	_Alignas(16) char pat[32];
};

#define K(s) { sizeof(s) - 1, s[0], s, s "\":" }
#define NKEYS(t) ((int)(sizeof(t) / sizeof((t)[0])))

/*
 * Index of key k in t, or -1.  Producers write keys in .proto order, so
 * the search starts at *hint (one past the last match) and wraps.
 */
static int
key_find_exact(const struct key *t, int n, const char *k, size_t kl,
    int *hint)
{
	int i, c, start = *hint < n ? *hint : 0;
	size_t b;

	for (c = 0, i = start; c < n; c++, i = i + 1 == n ? 0 : i + 1) {
		if (t[i].len != kl || t[i].c0 != k[0])
			continue;
		for (b = 1; b < kl && t[i].name[b] == k[b]; b++)
			;
		if (b == kl) {
			*hint = i + 1;
			return i;
		}
	}
	return -1;
}

static int
key_find(const struct key *t, int n, const char *k, size_t kl, int *hint)
{
	char snake[64];
	size_t i, o;
	bool upper = false;
	int id;

	if (kl == 0)
		return -1;
	if ((id = key_find_exact(t, n, k, kl, hint)) >= 0)
		return id;
	/* lowerCamel -> snake_case: "sourcePort" -> "source_port". */
	for (i = 1; i < kl; i++)
		if (k[i] >= 'A' && k[i] <= 'Z')
			upper = true;
	if (!upper || kl >= sizeof(snake) / 2 || k[0] < 'a' || k[0] > 'z')
		return -1;
	for (i = 0, o = 0; i < kl; i++) {
		if (k[i] >= 'A' && k[i] <= 'Z') {
			snake[o++] = '_';
			snake[o++] = (char)(k[i] - 'A' + 'a');
		} else {
			snake[o++] = k[i];
		}
	}
	return key_find_exact(t, n, snake, o, hint);
}

/* ------------------------------------------------------------------ */
/* Typed values. */

/* A value the consumer said it does not read (FLOW_SKIP_*). */
static bool
skipped(struct pctx *c, unsigned what)
{
	return (c->skip & what) != 0;
}

static int
skip_value(struct pctx *c)
{
	return flow_json_skip(&c->j);
}

static int
get_str(struct pctx *c, const char **out)
{
	size_t n;

	return flow_json_string(&c->j, out, &n);
}

static int
get_u32(struct pctx *c, uint32_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = flow_json_uint(&c->j, UINT32_MAX, &v)) < 0)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

static int
get_u16(struct pctx *c, uint16_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = flow_json_uint(&c->j, UINT16_MAX, &v)) < 0)
		return rc;
	*out = (uint16_t)v;
	return 0;
}

static int
get_u8(struct pctx *c, uint8_t *out)
{
	uint64_t v;
	int rc;

	if ((rc = flow_json_uint(&c->j, UINT8_MAX, &v)) < 0)
		return rc;
	*out = (uint8_t)v;
	return 0;
}

static int
get_i32(struct pctx *c, int32_t *out)
{
	int64_t v;
	int rc;

	if ((rc = flow_json_int(&c->j, INT32_MIN, INT32_MAX, &v)) < 0)
		return rc;
	*out = (int32_t)v;
	return 0;
}

static int
get_u64(struct pctx *c, uint64_t *out)
{
	return flow_json_uint(&c->j, UINT64_MAX, out);
}

static int
get_bool(struct pctx *c, bool *out)
{
	return flow_json_bool(&c->j, out);
}

/*
 * The value of the enum name s (n bytes): memoized per enum, a quoted
 * number taken as that number; -1 for a name we do not know.
 */
static int
enum_of(struct pctx *c, int which, const char *s, size_t n)
{
	struct enum_memo *m = &c->s->enums[which];
	int e;

	if (n > 0 && n == m->n && memcmp(s, m->s, n) == 0)
		return m->v;
	e = flow_enum_parse(which, s, n);
	if (e >= 0 && n > 0 && n < sizeof(m->s)) {
		memcpy(m->s, s, n);
		m->n = (uint8_t)n;
		m->v = e;
	}
	if (e < 0 && n > 0 && n < 10 && strspn(s, "0123456789") == n) {
		/* a quoted number: the same value */
		for (e = 0; *s != '\0'; s++)
			e = e * 10 + (*s - '0');
	}
	return e;
}

/*
 * An enum: its proto name, or a number (kept even without a name).  An
 * unknown name (a newer producer) gives *known = false and *out 0.
 */
static int
get_enum(struct pctx *c, int which, int *out, bool *known)
{
	const char *s;
	size_t n;
	int32_t v;
	int rc, e;

	if (flow_json_peek(&c->j) == '"') {
		if ((rc = flow_json_string(&c->j, &s, &n)) < 0)
			return rc;
		e = enum_of(c, which, s, n);
		if (known != NULL)
			*known = e >= 0;
		*out = e >= 0 ? e : 0;
		return 0;
	}
	if ((rc = get_i32(c, &v)) < 0)
		return rc;
	if (known != NULL)
		*known = true;
	*out = v;
	return 0;
}

/*
 * A time in the minute of the last one parsed ("YYYY-MM-DDTHH:MM:"
 * identical), of the common form SS[.fraction]Z: the seconds and the
 * fraction added to the minute's value.  Exactly what
 * report_parse_rfc3339 gives for it (a fraction is cut at 9 digits);
 * false for anything else, which then takes the full parse.
 */
static bool
time_in_minute(const struct flow_scratch *sc, const char *s, size_t n,
    int64_t *t)
{
	int64_t frac = 0, v;
	unsigned ss;
	size_t i, fd = 0;

	if (!sc->minute_ok || n < 20 || s[n - 1] != 'Z' ||
	    memcmp(s, sc->minute_s, 17) != 0 ||
	    (unsigned)(s[17] - '0') > 5 || (unsigned)(s[18] - '0') > 9)
		return false;
	ss = (unsigned)(s[17] - '0') * 10 + (unsigned)(s[18] - '0');
	if (n > 20) {
		if (s[19] != '.' || n == 21)
			return false;
		for (i = 20; i < n - 1; i++) {
			if ((unsigned)(s[i] - '0') > 9)
				return false;
			if (fd < 9) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
		}
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (__builtin_add_overflow(sc->minute_v, (int64_t)ss * 1000000000 +
	    frac, &v))
		return false;
	*t = v;
	return true;
}

static int
get_time(struct pctx *c, int64_t *out)
{
	struct flow_scratch *sc = c->s;
	char minute[20];
	const char *s;
	size_t n;
	int64_t t;
	int rc;

	if ((rc = flow_json_string(&c->j, &s, &n)) < 0)
		return rc;
	if (n > 0 && n == sc->time_n && memcmp(s, sc->time_s, n) == 0) {
		*out = sc->time_v;
		return 0;
	}
	if (!time_in_minute(sc, s, n, &t)) {
		if (report_parse_rfc3339(s, n, &t) < 0)
			return own_fail(c, CILKIT_EINVAL,
			    "not an RFC 3339 time");
		/* remember the minute for the next lines */
		sc->minute_ok = false;
		if (n >= 20) {
			memcpy(minute, s, 17);
			memcpy(minute + 17, "00Z", 3);
			if (report_parse_rfc3339(minute, 20,
			    &sc->minute_v) == 0) {
				memcpy(sc->minute_s, s, 17);
				sc->minute_ok = true;
			}
		}
	}
	if (n <= sizeof(sc->time_s)) {
		memcpy(sc->time_s, s, n);
		sc->time_n = n;
		sc->time_v = t;
	}
	*out = t;
	return 0;
}

/* A decimal number as a string in the arena (enum kept by number). */
static const char *
num_str(struct pctx *c, long long v)
{
	char *p = arena_alloc(c->s, 24);

	if (p != NULL)
		snprintf(p, 24, "%lld", v);
	return p;
}

/* A string enum kept as text (lost-event source, agent event type). */
static int
get_name(struct pctx *c, const char **out)
{
	int64_t v;
	int rc;

	if (flow_json_peek(&c->j) == '"')
		return get_str(c, out);
	if ((rc = flow_json_int(&c->j, INT32_MIN, INT32_MAX, &v)) < 0)
		return rc;
	if ((*out = num_str(c, v)) == NULL)
		return oom(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Objects. */

typedef int member_fn(struct pctx *c, void *obj, int id);

/*
 * Fast path for the next member name in compact producer output: at the
 * cursor `"NAME":` (after a ',' unless first) where NAME is one of t's
 * keys written without escapes, tried from *hint (producers write keys in
 * .proto order).  Returns the key's index with the cursor after the ':',
 * or -1 with the cursor unchanged: the general path (whitespace, escapes,
 * camelCase names, unknown keys, syntax errors) then takes over.  A match
 * is exact: a key holds no '"' or '\\', so the bytes up to the quote are
 * the whole name, undecoded.
 */
static inline int
key_fast(struct flow_json *j, const struct key *t, int nk, int *hint,
    bool first)
{
	const char *p = j->p, *end = j->end;
	size_t l;
	int i, n;

	if (!first) {
		if (p >= end || *p != ',')
			return -1;
		p++;
	}
	if (p >= end || *p != '"')
		return -1;
	p++;
	i = *hint < nk ? *hint : 0;
	for (n = 0; n < nk; n++, i = i + 1 == nk ? 0 : i + 1) {
		l = t[i].len;
		if (t[i].c0 != *p)
			continue;
#if defined(__SSE2__)
		if (end - p >= 32) {
			/* name": is l + 2 <= 25 bytes of pat */
			unsigned want = (1u << (l + 2)) - 1, eq;

			eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)p),
			    _mm_load_si128((const __m128i *)(const void *)
			    t[i].pat)));
			if (l + 2 > 16)
				eq |= (unsigned)_mm_movemask_epi8(
				    _mm_cmpeq_epi8(_mm_loadu_si128(
				    (const __m128i *)(const void *)(p + 16)),
				    _mm_load_si128((const __m128i *)(const void *)
				    (t[i].pat + 16)))) << 16;
			if ((eq & want) != want)
				continue;
			goto match;
		}
#endif
		if ((size_t)(end - p) < l + 2 ||
		    p[l] != '"' || p[l + 1] != ':' ||
		    memcmp(p + 1, t[i].name + 1, l - 1) != 0)
			continue;
#if defined(__SSE2__)
match:
#endif
		*hint = i + 1;
		j->p = (char *)(uintptr_t)(p + l + 2);
		return i;
	}
	return -1;
}

/*
 * Walk an object, calling fn for each known key whose value is not
 * null; unknown keys are skipped.  On failure the path is left pointing
 * at the member that failed.
 */
static int
walk_object(struct pctx *c, const struct key *t, int nk, member_fn *fn,
    void *obj)
{
	const char *k;
	size_t kl;
	bool first = true;
	int rc, id, hint = 0;

	if ((rc = flow_json_open(&c->j, '{')) < 0)
		return rc;
	for (;;) {
		if (c->j.p < c->j.end && *c->j.p == '}') {
			c->j.p++;	/* the usual end, no whitespace */
			return 0;
		}
		if ((id = key_fast(&c->j, t, nk, &hint, first)) >= 0) {
			first = false;
			path_push(c, t[id].name);
		} else {
			rc = flow_json_member(&c->j, &first, &k, &kl);
			if (rc <= 0)
				return rc;
			path_push(c, k);
			id = key_find(t, nk, k, kl, &hint);
			if (id < 0) {
				if ((rc = flow_json_skip(&c->j)) < 0)
					return rc;
				c->np--;
				continue;
			}
		}
		if (c->j.p < c->j.end && *c->j.p != 'n' && *c->j.p != ' ' &&
		    *c->j.p != '\t' && *c->j.p != '\r' && *c->j.p != '\n')
			rc = 0;		/* not null: no need to look */
		else if ((rc = flow_json_null(&c->j)) < 0)
			return rc;
		if (rc == 0 && (rc = fn(c, obj, id)) < 0)
			return rc;
		c->np--;
	}
}

/* An array of strings into the arena. */
static int
get_str_array(struct pctx *c, const char ***out, size_t *n)
{
	size_t base = c->s->stktop;
	const char *s, **slot;
	bool first = true;
	long i = 0;
	int rc;

	if ((rc = flow_json_open(&c->j, '[')) < 0)
		return rc;
	while ((rc = flow_json_element(&c->j, &first)) > 0) {
		path_index(c, i++);
		if ((rc = get_str(c, &s)) < 0)
			return rc;
		if ((slot = stk_push(c, sizeof(*slot))) == NULL)
			return oom(c);
		*slot = s;
	}
	if (rc < 0)
		return rc;
	path_index(c, -1);
	*n = (c->s->stktop - base) / sizeof(const char *);
	return stk_finish(c, base, (void **)out);
}

/* An array of objects, each parsed by fn into a zeroed element. */
static int
get_obj_array(struct pctx *c, const struct key *t, int nk, member_fn *fn,
    size_t es, void **out, size_t *n)
{
	size_t base = c->s->stktop;
	unsigned char elem[64];
	bool first = true;
	long i = 0;
	void *slot;
	int rc;

	if ((rc = flow_json_open(&c->j, '[')) < 0)
		return rc;
	while ((rc = flow_json_element(&c->j, &first)) > 0) {
		path_index(c, i++);
		memset(elem, 0, es);
		if ((rc = flow_json_null(&c->j)) < 0)
			return rc;
		if (rc == 0 && (rc = walk_object(c, t, nk, fn, elem)) < 0)
			return rc;
		if ((slot = stk_push(c, es)) == NULL)
			return oom(c);
		memcpy(slot, elem, es);
	}
	if (rc < 0)
		return rc;
	path_index(c, -1);
	*n = (c->s->stktop - base) / es;
	return stk_finish(c, base, out);
}

/* Endpoint ---------------------------------------------------------- */

static const struct key workload_keys[] = { K("name"), K("kind") };

static int
workload_member(struct pctx *c, void *obj, int id)
{
	struct flow_workload *w = obj;

	if (id == 1 && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	return get_str(c, id == 0 ? &w->name : &w->kind);
}

enum { EP_ID, EP_IDENTITY, EP_CLUSTER, EP_NS, EP_LABELS, EP_POD,
    EP_WORKLOADS };
static const struct key ep_keys[] = {
	K("ID"), K("identity"), K("cluster_name"), K("namespace"),
	K("labels"), K("pod_name"), K("workloads"),
};

static int
ep_member(struct pctx *c, void *obj, int id)
{
	struct flow_endpoint *e = obj;

	switch (id) {
	case EP_ID:
		if (skipped(c, FLOW_SKIP_DETAIL))
			return skip_value(c);
		return get_u32(c, &e->id);
	case EP_IDENTITY:	return get_u32(c, &e->identity);
	case EP_CLUSTER:
		if (skipped(c, FLOW_SKIP_DETAIL))
			return skip_value(c);
		return get_str(c, &e->cluster_name);
	case EP_NS:		return get_str(c, &e->namespace);
	case EP_LABELS:
		if (skipped(c, FLOW_SKIP_NAMED_LABELS)) {
			/* read later if the endpoint turns out unnamed */
			c->labels_at = c->j.p;
			e->labels = NULL;
			e->n_labels = 0;
			return skip_value(c);
		}
		return get_str_array(c, &e->labels, &e->n_labels);
	case EP_POD:		return get_str(c, &e->pod_name);
	case EP_WORKLOADS:
		return get_obj_array(c, workload_keys, NKEYS(workload_keys),
		    workload_member, sizeof(struct flow_workload),
		    (void **)&e->workloads, &e->n_workloads);
	}
	return 0;
}

static bool
named(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * An endpoint.  With FLOW_SKIP_NAMED_LABELS its labels were skipped; an
 * endpoint with neither a pod name nor a workload name is named from
 * them (flow_stats_node_name), so go back and read them after all.
 */
static int
get_endpoint(struct pctx *c, struct flow_endpoint *e)
{
	char *save;
	int rc;

	c->labels_at = NULL;
	if ((rc = walk_object(c, ep_keys, NKEYS(ep_keys), ep_member, e)) < 0)
		return rc;
	if (c->labels_at == NULL || named(e->pod_name) ||
	    (e->n_workloads > 0 && named(e->workloads[0].name)))
		return 0;
	save = c->j.p;
	c->j.p = c->labels_at;
	c->labels_at = NULL;
	path_push(c, "labels");
	if ((rc = get_str_array(c, &e->labels, &e->n_labels)) < 0)
		return rc;
	c->np--;
	c->j.p = save;
	return 0;
}

static const struct key svc_keys[] = { K("name"), K("namespace") };

static int
svc_member(struct pctx *c, void *obj, int id)
{
	struct flow_service *s = obj;

	return get_str(c, id == 0 ? &s->name : &s->namespace);
}

static const struct key policy_keys[] = {
	K("name"), K("namespace"), K("kind"),
};

static int
policy_member(struct pctx *c, void *obj, int id)
{
	struct flow_policy *p = obj;

	switch (id) {
	case 0:	return get_str(c, &p->name);
	case 1:	return get_str(c, &p->namespace);
	default: return get_str(c, &p->kind);
	}
}

static int
get_policies(struct pctx *c, struct flow_policy_list *l)
{
	if (skipped(c, FLOW_SKIP_POLICIES))
		return skip_value(c);
	return get_obj_array(c, policy_keys, NKEYS(policy_keys),
	    policy_member, sizeof(struct flow_policy), (void **)&l->v, &l->n);
}

/* IP, Ethernet ------------------------------------------------------ */

enum { IP_SRC, IP_SRC_X, IP_DST, IP_VER, IP_ENC };
static const struct key ip_keys[] = {
	K("source"), K("source_xlated"), K("destination"), K("ipVersion"),
	K("encrypted"),
};

static int
ip_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	if (id != IP_SRC && id != IP_DST && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	switch (id) {
	case IP_SRC:	return get_str(c, &f->src_ip);
	case IP_SRC_X:	return get_str(c, &f->src_ip_xlated);
	case IP_DST:	return get_str(c, &f->dst_ip);
	case IP_VER:
		return get_enum(c, FLOW_ENUM_IP_VERSION, &f->ip_version, NULL);
	case IP_ENC:	return get_bool(c, &f->ip_encrypted);
	}
	return 0;
}

static const struct key eth_keys[] = { K("source"), K("destination") };

static int
eth_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	return get_str(c, id == 0 ? &f->src_mac : &f->dst_mac);
}

/* Layer 4 ------------------------------------------------------------ */

static const struct key flag_keys[] = {
	K("FIN"), K("SYN"), K("RST"), K("PSH"), K("ACK"), K("URG"), K("ECE"),
	K("CWR"), K("NS"),
};

static int
flag_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;
	bool b;
	int rc;

	if ((rc = get_bool(c, &b)) < 0)
		return rc;
	if (b)
		f->tcp_flags |= (uint16_t)(1u << id);
	else
		f->tcp_flags &= (uint16_t)~(1u << id);
	return 0;
}

enum { P_SPORT, P_DPORT, P_FLAGS };
static const struct key ports_keys[] = {
	K("source_port"), K("destination_port"), K("flags"),
};

static int
ports_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	switch (id) {
	case P_SPORT:	return get_u16(c, &f->sport);
	case P_DPORT:	return get_u16(c, &f->dport);
	case P_FLAGS:
		/* Only TCP has flags; UDP/SCTP tables stop before it. */
		return walk_object(c, flag_keys, NKEYS(flag_keys),
		    flag_member, f);
	}
	return 0;
}

static const struct key icmp_keys[] = { K("type"), K("code") };

static int
icmp_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	return get_u8(c, id == 0 ? &f->icmp_type : &f->icmp_code);
}

static int
none_member(struct pctx *c, void *obj, int id)
{
	(void)c;
	(void)obj;
	(void)id;
	return 0;
}

static const struct key l4_keys[] = {
	K("TCP"), K("UDP"), K("ICMPv4"), K("ICMPv6"), K("SCTP"), K("VRRP"),
	K("IGMP"),
};

static int
l4_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	f->l4 = FLOW_L4_TCP + id;
	switch (f->l4) {
	case FLOW_L4_TCP:
		return walk_object(c, ports_keys, 3, ports_member, f);
	case FLOW_L4_UDP:
	case FLOW_L4_SCTP:
		return walk_object(c, ports_keys, 2, ports_member, f);
	case FLOW_L4_ICMPV4:
	case FLOW_L4_ICMPV6:
		return walk_object(c, icmp_keys, 2, icmp_member, f);
	}
	/* VRRP, IGMP: kind only. */
	return walk_object(c, NULL, 0, none_member, f);
}

/* Layer 7 ------------------------------------------------------------ */

enum { DNS_QUERY, DNS_IPS, DNS_TTL, DNS_OBS, DNS_RCODE, DNS_QTYPES };
static const struct key dns_keys[] = {
	K("query"), K("ips"), K("ttl"), K("observation_source"), K("rcode"),
	K("qtypes"),
};

static int
dns_member(struct pctx *c, void *obj, int id)
{
	struct flow_dns *d = obj;

	if (id != DNS_QUERY && id != DNS_RCODE && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	switch (id) {
	case DNS_QUERY:	return get_str(c, &d->query);
	case DNS_IPS:	return get_str_array(c, &d->ips, &d->n_ips);
	case DNS_TTL:	return get_u32(c, &d->ttl);
	case DNS_OBS:	return get_str(c, &d->observation_source);
	case DNS_RCODE:	return get_u32(c, &d->rcode);
	case DNS_QTYPES:
		return get_str_array(c, &d->qtypes, &d->n_qtypes);
	}
	return 0;
}

enum { HTTP_CODE, HTTP_METHOD, HTTP_URL, HTTP_PROTO };
static const struct key http_keys[] = {
	K("code"), K("method"), K("url"), K("protocol"),
};

static int
http_member(struct pctx *c, void *obj, int id)
{
	struct flow_http *h = obj;

	if (id != HTTP_CODE && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	switch (id) {
	case HTTP_CODE:		return get_u32(c, &h->code);
	case HTTP_METHOD:	return get_str(c, &h->method);
	case HTTP_URL:		return get_str(c, &h->url);
	case HTTP_PROTO:	return get_str(c, &h->protocol);
	}
	return 0;
}

enum { KAFKA_ERR, KAFKA_VER, KAFKA_KEY, KAFKA_CORR, KAFKA_TOPIC };
static const struct key kafka_keys[] = {
	K("error_code"), K("api_version"), K("api_key"), K("correlation_id"),
	K("topic"),
};

static int
kafka_member(struct pctx *c, void *obj, int id)
{
	struct flow_kafka *k = obj;

	if (id != KAFKA_ERR && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	switch (id) {
	case KAFKA_ERR:		return get_i32(c, &k->error_code);
	case KAFKA_VER:		return get_i32(c, &k->api_version);
	case KAFKA_KEY:		return get_str(c, &k->api_key);
	case KAFKA_CORR:	return get_i32(c, &k->correlation_id);
	case KAFKA_TOPIC:	return get_str(c, &k->topic);
	}
	return 0;
}

enum { L7_TYPE, L7_LAT, L7_DNS, L7_HTTP, L7_KAFKA };
static const struct key l7_keys[] = {
	K("type"), K("latency_ns"), K("dns"), K("http"), K("kafka"),
};

static int
l7_member(struct pctx *c, void *obj, int id)
{
	struct flow_l7 *l = obj;

	switch (id) {
	case L7_TYPE:
		return get_enum(c, FLOW_ENUM_L7_TYPE, &l->type, NULL);
	case L7_LAT:	return get_u64(c, &l->latency_ns);
	case L7_DNS:
		l->kind = FLOW_L7_DNS;
		return walk_object(c, dns_keys, NKEYS(dns_keys), dns_member,
		    &l->dns);
	case L7_HTTP:
		l->kind = FLOW_L7_HTTP;
		return walk_object(c, http_keys, NKEYS(http_keys),
		    http_member, &l->http);
	case L7_KAFKA:
		l->kind = FLOW_L7_KAFKA;
		return walk_object(c, kafka_keys, NKEYS(kafka_keys),
		    kafka_member, &l->kafka);
	}
	return 0;
}

/* Small sub-objects -------------------------------------------------- */

static const struct key evtype_keys[] = { K("type"), K("sub_type") };

static int
evtype_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;
	int32_t v;
	int rc;

	if ((rc = get_i32(c, &v)) < 0)
		return rc;
	if (id == 0)
		f->event_type = v;
	else
		f->event_subtype = v;
	return 0;
}

static const struct key file_keys[] = { K("name"), K("line") };

static int
file_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	return id == 0 ? get_str(c, &f->file_name) : get_u32(c, &f->file_line);
}

static const struct key iface_keys[] = { K("index"), K("name") };

static int
iface_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	return id == 0 ? get_u32(c, &f->iface_index) :
	    get_str(c, &f->iface_name);
}

static const struct key tunnel_keys[] = { K("protocol"), K("vni") };

static int
tunnel_member(struct pctx *c, void *obj, int id)
{
	struct flow *f = obj;

	if (id == 0)
		return get_enum(c, FLOW_ENUM_TUNNEL, &f->tunnel_proto, NULL);
	return get_u32(c, &f->tunnel_vni);
}

/* Flow ---------------------------------------------------------------- */

enum {
	F_TIME, F_UUID, F_VERDICT, F_DROP_REASON, F_ETHERNET, F_IP, F_L4,
	F_TUNNEL, F_SOURCE, F_DESTINATION, F_TYPE, F_NODE_NAME,
	F_SOURCE_NAMES, F_DESTINATION_NAMES, F_L7, F_REPLY, F_EVENT_TYPE,
	F_SOURCE_SERVICE, F_DESTINATION_SERVICE, F_TRAFFIC_DIRECTION,
	F_POLICY_MATCH_TYPE, F_TRACE_OBSERVATION_POINT, F_TRACE_REASON,
	F_FILE, F_DROP_REASON_DESC, F_IS_REPLY, F_INTERFACE, F_PROXY_PORT,
	F_SUMMARY, F_EGRESS_ALLOWED_BY, F_INGRESS_ALLOWED_BY,
	F_EGRESS_DENIED_BY, F_INGRESS_DENIED_BY,
};

/* In .proto declaration order, which is the order keys arrive in. */
static const struct key flow_keys[] = {
	K("time"), K("uuid"), K("verdict"), K("drop_reason"), K("ethernet"),
	K("IP"), K("l4"), K("tunnel"), K("source"), K("destination"),
	K("Type"), K("node_name"), K("source_names"), K("destination_names"),
	K("l7"), K("reply"), K("event_type"), K("source_service"),
	K("destination_service"), K("traffic_direction"),
	K("policy_match_type"), K("trace_observation_point"),
	K("trace_reason"), K("file"), K("drop_reason_desc"), K("is_reply"),
	K("interface"), K("proxy_port"), K("Summary"),
	K("egress_allowed_by"), K("ingress_allowed_by"),
	K("egress_denied_by"), K("ingress_denied_by"),
};

static int
flow_member(struct pctx *c, void *obj, int id)
{
	/* What FLOW_SKIP_DETAIL leaves out of a flow. */
	const uint64_t detail = 1ull << F_UUID | 1ull << F_ETHERNET |
	    1ull << F_TUNNEL | 1ull << F_POLICY_MATCH_TYPE |
	    1ull << F_TRACE_OBSERVATION_POINT | 1ull << F_TRACE_REASON |
	    1ull << F_FILE | 1ull << F_INTERFACE | 1ull << F_PROXY_PORT |
	    1ull << F_SUMMARY;
	struct flow *f = obj;
	const char *s;
	size_t n;
	int v, rc;

	if ((detail >> id & 1) && skipped(c, FLOW_SKIP_DETAIL))
		return skip_value(c);
	switch (id) {
	case F_TIME:		return get_time(c, &f->time_ns);
	case F_UUID:		return get_str(c, &f->uuid);
	case F_VERDICT:
		return get_enum(c, FLOW_ENUM_VERDICT, &f->verdict, NULL);
	case F_DROP_REASON:
		c->have_drop_reason = true;
		return get_u32(c, &c->drop_reason);
	case F_ETHERNET:
		return walk_object(c, eth_keys, NKEYS(eth_keys), eth_member, f);
	case F_IP:
		return walk_object(c, ip_keys, NKEYS(ip_keys), ip_member, f);
	case F_L4:
		return walk_object(c, l4_keys, NKEYS(l4_keys), l4_member, f);
	case F_TUNNEL:
		return walk_object(c, tunnel_keys, NKEYS(tunnel_keys),
		    tunnel_member, f);
	case F_SOURCE:		return get_endpoint(c, &f->src);
	case F_DESTINATION:	return get_endpoint(c, &f->dst);
	case F_TYPE:
		return get_enum(c, FLOW_ENUM_TYPE, &f->type, NULL);
	case F_NODE_NAME:	return get_str(c, &f->node_name);
	case F_SOURCE_NAMES:
		return get_str_array(c, &f->src_names, &f->n_src_names);
	case F_DESTINATION_NAMES:
		return get_str_array(c, &f->dst_names, &f->n_dst_names);
	case F_L7:
		f->has_l7 = true;
		return walk_object(c, l7_keys, NKEYS(l7_keys), l7_member,
		    &f->l7);
	case F_REPLY:		return get_bool(c, &c->reply);
	case F_EVENT_TYPE:
		f->event_type = 0;
		return walk_object(c, evtype_keys, NKEYS(evtype_keys),
		    evtype_member, f);
	case F_SOURCE_SERVICE:
		return walk_object(c, svc_keys, NKEYS(svc_keys), svc_member,
		    &f->src_svc);
	case F_DESTINATION_SERVICE:
		return walk_object(c, svc_keys, NKEYS(svc_keys), svc_member,
		    &f->dst_svc);
	case F_TRAFFIC_DIRECTION:
		return get_enum(c, FLOW_ENUM_DIRECTION, &f->direction, NULL);
	case F_POLICY_MATCH_TYPE:
		return get_u32(c, &f->policy_match_type);
	case F_TRACE_OBSERVATION_POINT:
		return get_enum(c, FLOW_ENUM_OBS_POINT, &f->obs_point, NULL);
	case F_TRACE_REASON:
		return get_enum(c, FLOW_ENUM_TRACE_REASON, &f->trace_reason,
		    NULL);
	case F_FILE:
		return walk_object(c, file_keys, NKEYS(file_keys), file_member,
		    f);
	case F_DROP_REASON_DESC:
		/* Datapath codes are uint32 (drop_reason); names per enum. */
		if (flow_json_peek(&c->j) != '"') {
			c->have_desc = true;
			return get_u32(c, &c->desc);
		}
		if ((rc = flow_json_string(&c->j, &s, &n)) < 0)
			return rc;
		if ((v = enum_of(c, FLOW_ENUM_DROP_REASON, s, n)) >= 0) {
			c->have_desc = true;
			c->desc = (uint32_t)v;
		} else if (n > 0) {
			c->desc_text = s;	/* newer than our table */
		}
		return 0;
	case F_IS_REPLY:
		c->have_is_reply = true;
		return get_bool(c, &c->is_reply);
	case F_INTERFACE:
		return walk_object(c, iface_keys, NKEYS(iface_keys),
		    iface_member, f);
	case F_PROXY_PORT:	return get_u32(c, &f->proxy_port);
	case F_SUMMARY:		return get_str(c, &f->summary);
	case F_EGRESS_ALLOWED_BY:
		return get_policies(c, &f->egress_allowed_by);
	case F_INGRESS_ALLOWED_BY:
		return get_policies(c, &f->ingress_allowed_by);
	case F_EGRESS_DENIED_BY:
		return get_policies(c, &f->egress_denied_by);
	case F_INGRESS_DENIED_BY:
		return get_policies(c, &f->ingress_denied_by);
	}
	return 0;
}

/* Resolve what depends on several keys (flow.h documents the rules). */
static void
flow_finish(struct pctx *c, struct flow *f)
{
	if (c->have_desc)
		f->drop_reason = c->desc;
	else if (c->have_drop_reason)
		f->drop_reason = c->drop_reason;
	else if (f->event_type == 1 && f->event_subtype > 0)
		/* a drop event's sub type is its drop reason (section 6) */
		f->drop_reason = (uint32_t)f->event_subtype;
	/* A name newer than our table, unless a code we know says more. */
	if (c->desc_text != NULL && (f->drop_reason == 0 ||
	    flow_drop_reason_name(f->drop_reason) == NULL))
		f->drop_reason_text = c->desc_text;
	if (c->have_is_reply)
		f->is_reply = c->is_reply;
	else if (c->reply)
		f->is_reply = 1;
	else
		f->is_reply = -1;
}

/* Non-flow events ------------------------------------------------------ */

enum { LOST_SOURCE, LOST_NUM, LOST_CPU };
static const struct key lost_keys[] = {
	K("source"), K("num_events_lost"), K("cpu"),
};

static int
lost_member(struct pctx *c, void *obj, int id)
{
	struct flow_other *o = obj;
	int32_t cpu;
	int rc;

	switch (id) {
	case LOST_SOURCE:	return get_name(c, &o->lost_source);
	case LOST_NUM:		return get_u64(c, &o->num_events_lost);
	case LOST_CPU:
		if ((rc = get_i32(c, &cpu)) < 0)
			return rc;
		o->cpu = cpu;
		return 0;
	}
	return 0;
}

/* agent_event / debug_event / node_status: their type, debug cpu. */
static const struct key evt_keys[] = {
	K("type"), K("state_change"), K("cpu"),
};

static int
evt_member(struct pctx *c, void *obj, int id)
{
	struct flow_other *o = obj;
	int32_t cpu;
	int rc;

	if (id < 2)
		return get_name(c, &o->subtype);
	if ((rc = get_i32(c, &cpu)) < 0)
		return rc;
	o->cpu = cpu;
	return 0;
}

/* Top level -------------------------------------------------------------- */

enum { T_FLOW, T_LOST, T_AGENT, T_DEBUG, T_NODE_STATUS, T_TIME,
    T_NODE_NAME };
static const struct key top_keys[] = {
	K("flow"), K("lost_events"), K("agent_event"), K("debug_event"),
	K("node_status"), K("time"), K("node_name"),
};

static const int top_kind[] = {
	FLOW_EV_FLOW, FLOW_EV_LOST, FLOW_EV_AGENT, FLOW_EV_DEBUG,
	FLOW_EV_NODE_STATUS,
};

static int
parse_top(struct pctx *c, struct flow_record *rec)
{
	struct flow *f = &rec->flow;
	const char *k;
	size_t kl;
	bool first = true, bare = false, wrapped = false;
	int rc, id, hint = 0, fhint = 0;

	if ((rc = flow_json_open(&c->j, '{')) < 0) {
		if (rc == CILKIT_EINVAL)
			c->j.err = "not a JSON object";
		return rc;
	}
	for (;;) {
		if ((id = key_fast(&c->j, top_keys, NKEYS(top_keys), &hint,
		    first)) >= 0) {
			first = false;
			k = top_keys[id].name;
			kl = top_keys[id].len;
		} else if ((rc = flow_json_member(&c->j, &first, &k,
		    &kl)) > 0) {
			id = key_find(top_keys, NKEYS(top_keys), k, kl, &hint);
		} else {
			break;
		}
		path_push(c, k);
		if ((rc = flow_json_null(&c->j)) < 0)
			return rc;
		if (rc == 1) {
			c->np--;
			continue;
		}
		if (id >= T_FLOW && id <= T_NODE_STATUS) {
			if (wrapped && rec->kind != top_kind[id])
				return own_fail(c, CILKIT_EINVAL,
				    "more than one of flow, lost_events, "
				    "agent_event, debug_event, node_status");
			wrapped = true;
			rec->kind = top_kind[id];
		}
		switch (id) {
		case T_FLOW:
			rc = walk_object(c, flow_keys, NKEYS(flow_keys),
			    flow_member, f);
			break;
		case T_LOST:
			rc = walk_object(c, lost_keys, NKEYS(lost_keys),
			    lost_member, &rec->other);
			break;
		case T_AGENT:
		case T_DEBUG:
		case T_NODE_STATUS:
			rc = walk_object(c, evt_keys, NKEYS(evt_keys),
			    evt_member, &rec->other);
			break;
		case T_TIME:
			rc = get_time(c, &rec->time_ns);
			break;
		case T_NODE_NAME:
			rc = get_str(c, &rec->node_name);
			break;
		default:
			/* A bare flow (legacy -o json): flow keys on top. */
			id = key_find(flow_keys, NKEYS(flow_keys), k, kl,
			    &fhint);
			if (id < 0) {
				rc = flow_json_skip(&c->j);
			} else {
				bare = true;
				rc = flow_member(c, f, id);
			}
			break;
		}
		if (rc < 0)
			return rc;
		c->np--;
	}
	if (rc < 0)
		return rc;
	if ((rc = flow_json_finish(&c->j)) < 0)
		return rc;
	if (!wrapped)
		rec->kind = bare ? FLOW_EV_FLOW : FLOW_EV_OTHER;
	if (rec->kind != FLOW_EV_FLOW)
		return 1;
	flow_finish(c, f);
	if (!wrapped) {
		f->time_ns = rec->time_ns;
		f->node_name = rec->node_name;
	} else {
		/* Field-masked exporter lines may keep only the wrapper. */
		if (rec->time_ns == 0)
			rec->time_ns = f->time_ns;
		else if (f->time_ns == 0)
			f->time_ns = rec->time_ns;
		if (rec->node_name == NULL)
			rec->node_name = f->node_name;
		else if (f->node_name == NULL)
			f->node_name = rec->node_name;
	}
	return 1;
}

static const char *
kind_of(int ch)
{
	switch (ch) {
	case '{':	return "an object";
	case '[':	return "an array";
	case '"':	return "a string";
	case 't':
	case 'f':	return "a boolean";
	case 'n':	return "null";
	}
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return "a number";
	return "an invalid character";
}

/*
 * Where a line came from, for messages: "NAME:LINE: " when name is not
 * NULL (formatted only when there is a message to write).
 */
struct line_src {
	const char *name;
	size_t line;
};

/* "[NAME:LINE: ]path: message[, got KIND] (byte N)". */
static int
format_error(struct pctx *c, int rc, const struct line_src *src, char *eb,
    size_t el)
{
	char path[256], prefix[300];
	size_t o = 0, len = (size_t)(c->j.end - c->j.buf);
	const char *msg = c->msg != NULL ? c->msg : c->j.err;
	const char *got = NULL;
	int i, n;

	if (msg == NULL)
		msg = cilkit_strerror(rc);
	prefix[0] = '\0';
	if (src != NULL)
		snprintf(prefix, sizeof(prefix), "%s:%zu: ", src->name,
		    src->line);
	path[0] = '\0';
	for (i = 0; i < c->np && i < PATH_MAX_DEPTH; i++) {
		n = snprintf(path + o, sizeof(path) - o, "%s%s",
		    i > 0 ? "." : "", c->pk[i]);
		if (n < 0 || (size_t)n >= sizeof(path) - o)
			break;
		o += (size_t)n;
		if (c->pi[i] >= 0) {
			n = snprintf(path + o, sizeof(path) - o, "[%ld]",
			    c->pi[i]);
			if (n < 0 || (size_t)n >= sizeof(path) - o)
				break;
			o += (size_t)n;
		}
	}
	if (c->msg == NULL && strncmp(msg, "expected a", 10) == 0 &&
	    c->j.err_off < len)
		got = kind_of((uint8_t)c->j.buf[c->j.err_off]);
	return cilkit_fail(eb, el, rc, "%s%s%s%s%s%s (byte %zu)",
	    prefix, path, path[0] ? ": " : "", msg,
	    got != NULL ? ", got " : "", got != NULL ? got : "",
	    c->j.err_off + 1);
}

/*
 * Parse the line in buf (mutable: strings are terminated in place).
 * src (may be NULL) names the line in a message.
 */
static int
parse_mut(struct flow_scratch *s, char *buf, size_t len,
    struct flow_record *rec, const struct line_src *src, char *eb,
    size_t el)
{
	struct pctx c;
	int rc;

	rec->kind = 0;
	rec->time_ns = 0;
	rec->node_name = NULL;
	flow_clear(&rec->flow);
	memset(&rec->other, 0, sizeof(rec->other));
	rec->other.cpu = -1;
	arena_reset(s);
	memset(&c, 0, offsetof(struct pctx, pk));
	c.s = s;
	c.skip = s->skip;
	flow_json_init(&c.j, buf, len);
	if (flow_json_peek(&c.j) == -1) {
		if (src == NULL)
			return cilkit_fail(eb, el, CILKIT_EINVAL,
			    "empty line");
		return cilkit_fail(eb, el, CILKIT_EINVAL, "%s:%zu: empty line",
		    src->name, src->line);
	}
	rc = parse_top(&c, rec);
	if (rc < 0)
		return format_error(&c, rc, src, eb, el);
	return rc;
}

int
flow_parse_line_mut(struct flow_scratch *s, char *buf, size_t len,
    struct flow_record *rec, char *errbuf, size_t errlen)
{
	return parse_mut(s, buf, len, rec, NULL, errbuf, errlen);
}

int
flow_parse_line(struct flow_scratch *s, const char *buf, size_t len,
    struct flow_record *rec, char *errbuf, size_t errlen)
{
	char *n;
	size_t cap;

	if (s->linecap < len + 1) {
		cap = len + 1 < 4096 ? 4096 : len + 1;
		if ((n = realloc(s->line, cap)) == NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
			    "out of memory");
		s->line = n;
		s->linecap = cap;
	}
	memcpy(s->line, buf, len);
	s->line[len] = '\0';
	return parse_mut(s, s->line, len, rec, NULL, errbuf, errlen);
}

/* ------------------------------------------------------------------ */
/* The streaming reader. */

#define READ_BLOCK	((size_t)64 << 10)

struct flow_reader {
	FILE *fp;
	char *name;
	char *buf;
	size_t cap;
	size_t start;		/* first unconsumed byte */
	size_t fill;		/* end of data */
	size_t line;		/* lines consumed */
	size_t max_line;
	bool eof;
	bool skipping;		/* inside a line over max_line */
	struct flow_scratch *s;
	const volatile sig_atomic_t *cancel;	/* set: stop reading */
	bool cancelled;
	/*
	 * Pretty-printed input (flow_sniff_multiline): a record is one
	 * top-level object, however many lines it takes.  scan: bytes of
	 * buf[start..] looked at; depth, in_str, esc: where the scan is in
	 * the object; obj: the object started at start; nl: newlines
	 * scanned since start.
	 */
	bool mode_known;
	bool objects;
	size_t scan;
	int depth;
	bool in_str, esc, obj;
	bool midline;		/* bytes scanned since the last newline */
	bool discard;		/* the object is over max_line: drop it */
	size_t nl;
};

struct flow_reader *
flow_reader_new_prefixed(FILE *fp, const char *name, const void *prefix,
    size_t n)
{
	struct flow_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fp = fp;
	r->max_line = FLOW_READ_MAX_LINE;
	r->cap = READ_BLOCK > n ? READ_BLOCK : n;
	r->name = strdup(name != NULL ? name : "<input>");
	r->buf = malloc(r->cap);
	r->s = flow_scratch_new();
	if (r->name == NULL || r->buf == NULL || r->s == NULL) {
		flow_reader_free(r);
		return NULL;
	}
	if (n > 0)
		memcpy(r->buf, prefix, n);
	r->fill = n;
	return r;
}

struct flow_reader *
flow_reader_new(FILE *fp, const char *name)
{
	return flow_reader_new_prefixed(fp, name, NULL, 0);
}

void
flow_reader_free(struct flow_reader *r)
{
	if (r == NULL)
		return;
	flow_scratch_free(r->s);
	free(r->buf);
	free(r->name);
	free(r);
}

size_t
flow_reader_line(const struct flow_reader *r)
{
	return r->line;
}

void
flow_reader_set_cancel(struct flow_reader *r,
    const volatile sig_atomic_t *cancel)
{
	r->cancel = cancel;
}

bool
flow_reader_cancelled(const struct flow_reader *r)
{
	return r->cancelled;
}

void
flow_reader_set_max_line(struct flow_reader *r, size_t max)
{
	r->max_line = max > 0 ? max : 1;
}

void
flow_reader_set_skip(struct flow_reader *r, unsigned skip)
{
	flow_scratch_set_skip(r->s, skip);
}

void
flow_scratch_set_skip(struct flow_scratch *s, unsigned skip)
{
	s->skip = skip;
}

/*
 * Read more bytes into buf[fill, cap).  A stream with a descriptor is
 * read with read(2) so that a live pipe yields each line as it arrives
 * (fread would wait for a full block); bytes stdio has already
 * buffered are taken first.  Returns bytes read, 0 at EOF, -1 error,
 * -2 when the reader was cancelled.
 */
static ssize_t
fill_more(struct flow_reader *r)
{
	size_t want = r->cap - r->fill;
	ssize_t n;
	int fd;

	fd = fileno(r->fp);
#if defined(__GLIBC__)
	if (fd >= 0 && r->fp->_IO_read_ptr < r->fp->_IO_read_end) {
		size_t have = (size_t)(r->fp->_IO_read_end -
		    r->fp->_IO_read_ptr);

		return (ssize_t)fread(r->buf + r->fill, 1,
		    have < want ? have : want, r->fp);
	}
#else
	fd = -1;
#endif
	if (fd < 0) {
		n = (ssize_t)fread(r->buf + r->fill, 1, want, r->fp);
		if (n == 0 && ferror(r->fp))
			return -1;
		return n;
	}
	if (r->cancel != NULL && *r->cancel)
		return -2;
	do {
		n = read(fd, r->buf + r->fill, want);
	} while (n < 0 && errno == EINTR &&
	    (r->cancel == NULL || !*r->cancel));
	if (n < 0 && errno == EINTR)
		return -2;	/* the signal asked to stop */
	return n;
}

static int
line_done(struct flow_reader *r, char *p, size_t len, struct flow_record *rec,
    char *eb, size_t el)
{
	struct line_src src = { r->name, r->line };
	size_t i;

	if (r->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			break;
	if (i == len)
		return 0;	/* blank */
	return parse_mut(r->s, p, len, rec, &src, eb, el);
}

/* Whether p[0..len) holds only blanks (and a BOM when first). */
static bool
blank_line(const char *p, size_t len, bool first)
{
	size_t i = 0;

	if (first && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/*
 * A full buffer doubles, up to a line's cap and a read block: 1 when it
 * grew, 0 when it is at the cap already, or CILKIT_ENOMEM.
 */
static int
grow_buf(struct flow_reader *r, char *eb, size_t el)
{
	size_t ncap = r->cap * 2;
	char *nb;

	if (ncap > r->max_line + READ_BLOCK)
		ncap = r->max_line + READ_BLOCK;
	if (ncap <= r->cap)
		return 0;
	if ((nb = realloc(r->buf, ncap)) == NULL)
		return cilkit_fail(eb, el, CILKIT_ENOMEM, "%s: out of memory",
		    r->name);
	r->buf = nb;
	r->cap = ncap;
	return 1;
}

/*
 * Read more into the buffer: 1 when bytes came or the end was reached
 * (r->eof), 0 when the reader was cancelled (the end of the input: what
 * is left is a record still being written, dropped, not an error), or
 * CILKIT_EIO.
 */
static int
read_more(struct flow_reader *r, char *eb, size_t el)
{
	ssize_t n = fill_more(r);

	if (n == -2) {
		r->cancelled = true;
		r->eof = true;
		r->start = r->fill = 0;
		return 0;
	}
	if (n < 0)
		return cilkit_fail(eb, el, CILKIT_EIO, "%s: read error",
		    r->name);
	if (n == 0)
		r->eof = true;
	r->fill += (size_t)n;
	return 1;
}

/*
 * Make room in the buffer and read more (object mode).  Returns 1 when
 * bytes came or the end was reached, 0 when cancelled, or a negative
 * error.  keep: the bytes from start on are still needed.
 */
static int
objects_fill(struct flow_reader *r, char *eb, size_t el)
{
	int rc;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->fill - r->start);
		r->fill -= r->start;
		r->start = 0;
	}
	if (r->fill == r->cap && (rc = grow_buf(r, eb, el)) < 0)
		return rc;
	if ((rc = read_more(r, eb, el)) == 0)
		r->scan = 0;
	return rc;
}

/*
 * The next record of pretty-printed input: one top-level object, its
 * lines as they are (JSON whitespace), in an array ("[", "," and "]"
 * between objects are skipped) or not.  Anything else at the top level
 * is returned up to the end of its line, for the parser to name.  The
 * message of a bad object gives the line it starts on.
 */
static int
objects_next(struct flow_reader *r, struct flow_record *rec, char *eb,
    size_t el)
{
	struct line_src src;
	char *p, c;
	size_t len;
	int rc;

again:
	for (;;) {
		p = r->buf + r->start;
		/* Between objects: blanks, the array's punctuation, a BOM. */
		while (!r->obj && r->scan < r->fill - r->start) {
			c = p[r->scan];
			r->midline = c != '\n';
			if (c == '\n') {
				r->line++;
			} else if (c != ' ' && c != '\t' && c != '\r' &&
			    c != ',' && c != '[' && c != ']' &&
			    !(r->line == 0 && r->start + r->scan == 0 &&
			    r->fill - r->start >= 3 &&
			    memcmp(p, "\xef\xbb\xbf", 3) == 0)) {
				r->start += r->scan;
				p = r->buf + r->start;
				r->scan = 0;
				r->obj = true;
				r->depth = 0;
				r->in_str = r->esc = false;
				r->nl = 0;
				break;
			} else if (c == '\xef') {
				r->scan += 2;	/* the BOM */
			}
			r->scan++;
		}
		if (!r->obj) {
			r->start += r->scan;
			r->scan = 0;
		}
		/* In an object: find its end. */
		while (r->obj && r->scan < r->fill - r->start) {
			c = p[r->scan++];
			r->midline = c != '\n';
			if (c == '\n')
				r->nl++;
			if (r->in_str) {
				if (r->esc)
					r->esc = false;
				else if (c == '\\')
					r->esc = true;
				else if (c == '"')
					r->in_str = false;
				continue;
			}
			if (c == '"') {
				r->in_str = true;
			} else if (c == '{' || c == '[') {
				r->depth++;
			} else if (c == '}' || c == ']') {
				if (--r->depth <= 0)
					goto done;
			} else if (r->depth <= 0 && c == '\n') {
				r->scan--;	/* junk: up to its line end */
				r->nl--;
				goto done;
			}
		}
		if (r->obj && r->eof && r->start < r->fill)
			goto done;	/* cut short: the parser says so */
		if (r->eof) {
			if (r->midline)
				r->line++;	/* the last line, unterminated */
			r->midline = false;
			return 0;
		}
		if (r->obj && r->fill - r->start > r->max_line) {
			/* Too long: drop what was scanned, skip to its end. */
			src.line = r->line + 1;
			r->line += r->nl;
			r->nl = 0;
			r->start += r->scan;
			r->scan = 0;
			if (!r->discard) {
				r->discard = true;
				return cilkit_fail(eb, el, CILKIT_ETOOBIG,
				    "%s:%zu: object longer than %zu bytes, "
				    "skipped", r->name, src.line, r->max_line);
			}
		}
		if ((rc = objects_fill(r, eb, el)) <= 0)
			return rc;
	}
done:
	len = r->scan;
	src.name = r->name;
	src.line = r->line + 1;
	r->line += r->nl;
	r->start += len;
	r->scan = 0;
	r->obj = false;
	if (r->discard) {
		r->discard = false;	/* the end of a dropped object */
		goto again;
	}
	if (len > r->max_line)
		return cilkit_fail(eb, el, CILKIT_ETOOBIG, "%s:%zu: object "
		    "longer than %zu bytes, skipped", r->name, src.line,
		    r->max_line);
	return parse_mut(r->s, p, len, rec, &src, eb, el);
}

int
flow_reader_next(struct flow_reader *r, struct flow_record *rec,
    char *errbuf, size_t errlen)
{
	char *nl, *p;
	size_t len;
	int rc;

	for (;;) {
		if (r->objects)
			return objects_next(r, rec, errbuf, errlen);
		p = r->buf + r->start;
		nl = memchr(p, '\n', r->fill - r->start);
		if (nl != NULL || (r->eof && r->start < r->fill)) {
			len = nl != NULL ? (size_t)(nl - p) : r->fill - r->start;
			if (!r->mode_known && !blank_line(p, len, r->line == 0)) {
				r->mode_known = true;
				if (flow_sniff_multiline(p, len + (nl != NULL))) {
					r->objects = true;
					continue;
				}
				if (flow_sniff_hubble_text(p, len)) {
					/* no line of it will do: stop here */
					r->line++;
					r->eof = true;
					r->start = r->fill = 0;
					return cilkit_fail(errbuf, errlen,
					    CILKIT_EINVAL, "%s:%zu: %s", r->name,
					    r->line, FLOW_HUBBLE_TEXT_ADVICE);
				}
			}
			r->start += len + (nl != NULL);
			r->line++;
			if (r->skipping) {
				r->skipping = false;
				return cilkit_fail(errbuf, errlen,
				    CILKIT_ETOOBIG,
				    "%s:%zu: line longer than %zu bytes, "
				    "skipped", r->name, r->line, r->max_line);
			}
			if (len > r->max_line)
				return cilkit_fail(errbuf, errlen,
				    CILKIT_ETOOBIG,
				    "%s:%zu: line longer than %zu bytes, "
				    "skipped", r->name, r->line, r->max_line);
			rc = line_done(r, p, len, rec, errbuf, errlen);
			if (rc != 0)
				return rc;
			continue;
		}
		if (r->eof) {
			if (r->skipping) {
				r->skipping = false;
				r->line++;
				return cilkit_fail(errbuf, errlen,
				    CILKIT_ETOOBIG,
				    "%s:%zu: line longer than %zu bytes, "
				    "skipped", r->name, r->line, r->max_line);
			}
			return 0;
		}
		/* No complete line in the buffer: make room, read more. */
		if (r->skipping || r->fill - r->start > r->max_line) {
			r->skipping = true;
			r->start = r->fill = 0;
		} else if (r->start > 0) {
			memmove(r->buf, r->buf + r->start,
			    r->fill - r->start);
			r->fill -= r->start;
			r->start = 0;
		}
		if (r->fill == r->cap) {
			if ((rc = grow_buf(r, errbuf, errlen)) < 0)
				return rc;
			if (rc == 0) {
				/* Full of one line that is over the cap. */
				r->skipping = true;
				r->start = r->fill = 0;
			}
		}
		if ((rc = read_more(r, errbuf, errlen)) < 0)
			return rc;
		if (rc == 0) {
			r->skipping = false;
			return 0;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Format sniffing. */

static bool
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s[0..n) starts with "Mmm dd HH:MM:SS" (time.Stamp, day padded). */
static bool
stamp_at(const char *s, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t m;

	if (n < 15)
		return false;
	for (m = 0; m < 12; m++)
		if (memcmp(s, months + 3 * m, 3) == 0)
			break;
	return m < 12 && s[3] == ' ' && (s[4] == ' ' ||
	    (s[4] >= '0' && s[4] <= '3')) && digit(s[5]) && s[6] == ' ' &&
	    digit(s[7]) && digit(s[8]) && s[9] == ':' && digit(s[10]) &&
	    digit(s[11]) && s[12] == ':' && digit(s[13]) && digit(s[14]);
}

/*
 * After the seconds of a compact line's time: the rest of the time (a
 * fraction, a zone), then ": " or " [node]: ", as hubble prints it (and
 * not a log prefix such as kubectl --timestamps gives).
 */
static bool
compact_after(const char *p, const char *end)
{
	while (p < end && (digit(*p) || *p == '.' || *p == 'Z' ||
	    *p == '+' || *p == '-' || *p == ':'))
		p++;
	if (end - p < 2)
		return false;
	return (p[-1] == ':' && p[0] == ' ') || (p[0] == ' ' && p[1] == '[');
}

bool
flow_sniff_hubble_text(const void *buf, size_t n)
{
	const char *b = buf, *end = b + n;
	size_t k;

	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		b += 3;
	while (b < end && (*b == '\n' || *b == '\r'))
		b++;
	k = (size_t)(end - b);
	/* -o dict: "  TIMESTAMP: ..." */
	while (k > 0 && *b == ' ') {
		b++;
		k--;
	}
	if (k >= 11 && memcmp(b, "TIMESTAMP: ", 11) == 0)
		return true;
	/* -o table: the header */
	if (k >= 10 && memcmp(b, "TIMESTAMP ", 10) == 0)
		return true;
	/* -o compact: "Jan  2 15:04:05.000: " or "... [node]: " */
	if (stamp_at(b, k))
		return compact_after(b + 15, end);
	/* --time-format RFC3339 and friends: "2024-05-01T10:00:00..." */
	if (k >= 20 && digit(b[0]) && digit(b[1]) && digit(b[2]) &&
	    digit(b[3]) && b[4] == '-' && b[7] == '-' && b[10] == 'T' &&
	    b[13] == ':' && b[16] == ':')
		return compact_after(b + 19, end);
	return false;
}

bool
flow_sniff_multiline(const void *buf, size_t n)
{
	const char *b = buf, *end = b + n, *q;

	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		b += 3;
	for (;;) {
		while (b < end && (*b == ' ' || *b == '\t' || *b == '\r' ||
		    *b == '\n'))
			b++;
		if (b == end)
			return false;
		if (*b == '[') {
			/*
			 * An array of objects ("[" alone, or "[{"), not a
			 * log line's "[2018-10-17 06:34:51] ...".
			 */
			for (q = b + 1; q < end && (*q == ' ' || *q == '\t' ||
			    *q == '\r' || *q == '\n'); q++)
				;
			return q == end || *q == '{' || *q == ']';
		}
		if (*b != '{')
			return false;
		/* "{" alone on its line */
		for (q = b + 1; q < end && (*q == ' ' || *q == '\t' ||
		    *q == '\r'); q++)
			;
		return q < end && *q == '\n';
	}
}

int
flow_sniff(const void *buf, size_t n)
{
	const uint8_t *b = buf;
	uint32_t be;
	size_t i = 0, ctrl = 0;

	if (n == 0)
		return FLOW_FMT_EMPTY;
	if (n >= 4) {
		be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		if (be == 0xa1b2c3d4 || be == 0xd4c3b2a1 ||
		    be == 0xa1b23c4d || be == 0x4d3cb2a1)
			return FLOW_FMT_PCAP;
		if (be == 0x0a0d0d0a)
			return FLOW_FMT_PCAPNG;
	}
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return FLOW_FMT_GZIP;
	if (n >= 2 && ((b[0] == 0xff && b[1] == 0xfe) ||
	    (b[0] == 0xfe && b[1] == 0xff)))
		return FLOW_FMT_UTF16;
	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' ||
	    b[i] == '\n'))
		i++;
	if (i == n)
		return FLOW_FMT_EMPTY;
	if (b[i] == '{')
		return FLOW_FMT_JSON_LINES;
	for (; i < n; i++) {
		if (b[i] == 0)
			return FLOW_FMT_UNKNOWN;
		if (b[i] < 0x20 && b[i] != '\t' && b[i] != '\r' &&
		    b[i] != '\n')
			ctrl++;
	}
	/* Text with a stray control byte is still text; binary is not. */
	return ctrl * 16 > n ? FLOW_FMT_UNKNOWN : FLOW_FMT_TEXT;
}
