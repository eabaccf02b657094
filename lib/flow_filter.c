/*
 * flow_filter.c - hubble-style flow filters (see flow_filter.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cilkit.h"
#include "flow_filter.h"
#include "flow_read.h"

/* Longest filter value accepted (a pod name is at most 253 bytes). */
#define FLT_MAX_VALUE	1024
/* Values per kind; more on a command line is a mistake. */
#define FLT_MAX_VALUES	256

enum flt_proto {
	P_TCP, P_UDP, P_ICMP, P_ICMPV4, P_ICMPV6, P_SCTP, P_HTTP, P_DNS,
	P_KAFKA
};

enum flt_type {
	T_L7, T_L3L4, T_DROP, T_TRACE, T_POLICY, T_SOCK
};

static const char *const proto_names[] = {
	"tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "http", "dns",
	"kafka", NULL
};

static const char *const type_names[] = {
	"l7", "l3l4", "drop", "trace", "policy-verdict", "sock", NULL
};

struct flt_list {
	char **v;
	size_t n;
	int *num;		/* parsed value per entry (verdict, port ...) */
};

struct flow_filter {
	struct flt_list k[FLOW_FILTER_NKINDS];
	int64_t since_ns, until_ns;
};

unsigned
flow_filter_skippable(const struct flow_filter *flt)
{
	unsigned skip = FLOW_SKIP_POLICIES | FLOW_SKIP_DETAIL;

	if (flt == NULL || flt->k[FLOW_FILTER_LABEL].n == 0)
		skip |= FLOW_SKIP_NAMED_LABELS;
	return skip;
}

struct flow_filter *
flow_filter_new(void)
{
	return calloc(1, sizeof(struct flow_filter));
}

void
flow_filter_free(struct flow_filter *flt)
{
	size_t i;
	int k;

	if (flt == NULL)
		return;
	for (k = 0; k < FLOW_FILTER_NKINDS; k++) {
		for (i = 0; i < flt->k[k].n; i++)
			free(flt->k[k].v[i]);
		free(flt->k[k].v);
		free(flt->k[k].num);
	}
	free(flt);
}

static int
name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Check a [NS/]PREFIX pod value. */
static int
check_pod(const char *v, char *errbuf, size_t errlen)
{
	const char *slash = strchr(v, '/');

	if (slash != NULL && (slash == v || strchr(slash + 1, '/') != NULL))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "bad pod '%s': want [NAMESPACE/]NAME", v);
	return 0;
}

int
flow_filter_add(struct flow_filter *flt, int kind, const char *value,
    char *errbuf, size_t errlen)
{
	struct flt_list *l;
	char **nv, *copy, *end;
	int *nn, num = 0;
	unsigned long port;
	size_t len;

	if (flt == NULL || kind < 0 || kind >= FLOW_FILTER_NKINDS ||
	    value == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "bad filter");
	len = strlen(value);
	if (len == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "empty filter value");
	if (len > FLT_MAX_VALUE)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "filter value longer than %d bytes", FLT_MAX_VALUE);
	switch (kind) {
	case FLOW_FILTER_POD:
	case FLOW_FILTER_FROM_POD:
	case FLOW_FILTER_TO_POD:
		if (check_pod(value, errbuf, errlen) < 0)
			return CILKIT_EINVAL;
		break;
	case FLOW_FILTER_VERDICT:
		num = flow_verdict_parse(value);
		if (num <= 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "unknown verdict '%s'", value);
		break;
	case FLOW_FILTER_PROTOCOL:
		num = name_index(proto_names, value);
		if (num < 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "unknown protocol '%s' (tcp, udp, icmp, icmpv4, "
			    "icmpv6, sctp, http, dns, kafka)", value);
		break;
	case FLOW_FILTER_PORT:
		if (value[0] < '0' || value[0] > '9')
			goto badport;
		port = strtoul(value, &end, 10);
		if (*end != '\0' || port > 65535)
			goto badport;
		num = (int)port;
		break;
	case FLOW_FILTER_TYPE:
		num = name_index(type_names, value);
		if (num < 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "unknown type '%s' (l7, l3l4, drop, trace, "
			    "policy-verdict, sock)", value);
		break;
	case FLOW_FILTER_LABEL:
		if (value[0] == '=')
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "bad label '%s': want KEY=VALUE or KEY", value);
		break;
	default:
		break;
	}
	l = &flt->k[kind];
	if (l->n >= FLT_MAX_VALUES)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "more than %d values for one filter", FLT_MAX_VALUES);
	if ((copy = strdup(value)) == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(copy);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	l->v = nv;
	nn = realloc(l->num, (l->n + 1) * sizeof(*nn));
	if (nn == NULL) {
		free(copy);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	l->num = nn;
	l->v[l->n] = copy;
	l->num[l->n] = num;
	l->n++;
	return 0;
badport:
	return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
	    "bad port '%s': want 0-65535", value);
}

void
flow_filter_set_time(struct flow_filter *flt, int64_t since_ns,
    int64_t until_ns)
{
	flt->since_ns = since_ns;
	flt->until_ns = until_ns;
}

bool
flow_filter_empty(const struct flow_filter *flt)
{
	int k;

	if (flt->since_ns != 0 || flt->until_ns != 0)
		return false;
	for (k = 0; k < FLOW_FILTER_NKINDS; k++)
		if (flt->k[k].n > 0)
			return false;
	return true;
}

const char *const *
flow_filter_values(const struct flow_filter *flt, int kind, size_t *n)
{
	if (kind < 0 || kind >= FLOW_FILTER_NKINDS) {
		*n = 0;
		return NULL;
	}
	*n = flt->k[kind].n;
	return (const char *const *)flt->k[kind].v;
}

static bool
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* [NS/]PREFIX against one endpoint; no NS means "default". */
static bool
pod_match(const char *v, const struct flow_endpoint *ep)
{
	const char *slash = strchr(v, '/'), *ns, *prefix;
	size_t nslen;

	if (ep->pod_name == NULL)
		return false;
	if (slash != NULL) {
		nslen = (size_t)(slash - v);
		prefix = slash + 1;
		ns = ep->namespace;
		if (ns == NULL || strlen(ns) != nslen ||
		    strncmp(ns, v, nslen) != 0)
			return false;
	} else {
		prefix = v;
		if (!str_eq(ep->namespace, "default"))
			return false;
	}
	return strncmp(ep->pod_name, prefix, strlen(prefix)) == 0;
}

/*
 * A label value "KEY=VALUE" or "KEY" against "source:key=value" labels;
 * a value that itself carries a source ("k8s:app=x") must match it too.
 */
static bool
label_match(const char *v, const struct flow_endpoint *ep)
{
	const char *lab, *body, *vcolon, *veq;
	size_t i, vlen = strlen(v);

	vcolon = strchr(v, ':');
	veq = strchr(v, '=');
	if (vcolon != NULL && (veq == NULL || vcolon < veq)) {
		/* explicit source: compare whole strings */
		for (i = 0; i < ep->n_labels; i++) {
			lab = ep->labels[i];
			if (lab == NULL)
				continue;
			if (strcmp(lab, v) == 0)
				return true;
			if (veq == NULL && strncmp(lab, v, vlen) == 0 &&
			    lab[vlen] == '=')
				return true;
		}
		return false;
	}
	for (i = 0; i < ep->n_labels; i++) {
		lab = ep->labels[i];
		if (lab == NULL)
			continue;
		body = strchr(lab, ':');
		body = body != NULL ? body + 1 : lab;
		if (strcmp(body, v) == 0)
			return true;
		if (veq == NULL && strncmp(body, v, vlen) == 0 &&
		    body[vlen] == '=')
			return true;
	}
	return false;
}

static bool
proto_match(int p, const struct flow *f)
{
	switch (p) {
	case P_TCP:
		return f->l4 == FLOW_L4_TCP;
	case P_UDP:
		return f->l4 == FLOW_L4_UDP;
	case P_ICMP:
		return f->l4 == FLOW_L4_ICMPV4 || f->l4 == FLOW_L4_ICMPV6;
	case P_ICMPV4:
		return f->l4 == FLOW_L4_ICMPV4;
	case P_ICMPV6:
		return f->l4 == FLOW_L4_ICMPV6;
	case P_SCTP:
		return f->l4 == FLOW_L4_SCTP;
	case P_HTTP:
		return f->has_l7 && f->l7.kind == FLOW_L7_HTTP;
	case P_DNS:
		return f->has_l7 && f->l7.kind == FLOW_L7_DNS;
	case P_KAFKA:
		return f->has_l7 && f->l7.kind == FLOW_L7_KAFKA;
	}
	return false;
}

static bool
type_match(int t, const struct flow *f)
{
	switch (t) {
	case T_L7:
		return f->type == FLOW_TYPE_L7;
	case T_L3L4:
		return f->type == FLOW_TYPE_L3_L4;
	case T_DROP:
		return f->verdict == FLOW_DROPPED || f->event_type == 1;
	case T_TRACE:
		return f->event_type == 4;
	case T_POLICY:
		return f->event_type == 5;
	case T_SOCK:
		return f->type == FLOW_TYPE_SOCK || f->event_type == 7;
	}
	return false;
}

static bool
one_match(int kind, const char *v, int num, const struct flow *f)
{
	switch (kind) {
	case FLOW_FILTER_NAMESPACE:
		return str_eq(f->src.namespace, v) ||
		    str_eq(f->dst.namespace, v);
	case FLOW_FILTER_POD:
		return pod_match(v, &f->src) || pod_match(v, &f->dst);
	case FLOW_FILTER_FROM_POD:
		return pod_match(v, &f->src);
	case FLOW_FILTER_TO_POD:
		return pod_match(v, &f->dst);
	case FLOW_FILTER_VERDICT:
		return f->verdict == num;
	case FLOW_FILTER_PROTOCOL:
		return proto_match(num, f);
	case FLOW_FILTER_PORT:
		return (f->l4 == FLOW_L4_TCP || f->l4 == FLOW_L4_UDP ||
		    f->l4 == FLOW_L4_SCTP) &&
		    (f->sport == num || f->dport == num);
	case FLOW_FILTER_LABEL:
		return label_match(v, &f->src) || label_match(v, &f->dst);
	case FLOW_FILTER_TYPE:
		return type_match(num, f);
	}
	return false;
}

bool
flow_filter_match(const struct flow_filter *flt, const struct flow *f)
{
	const struct flt_list *l;
	size_t i;
	int k;
	bool ok;

	if (f->time_ns != 0) {
		if (flt->since_ns != 0 && f->time_ns < flt->since_ns)
			return false;
		if (flt->until_ns != 0 && f->time_ns > flt->until_ns)
			return false;
	}
	for (k = 0; k < FLOW_FILTER_NKINDS; k++) {
		l = &flt->k[k];
		if (l->n == 0)
			continue;
		ok = false;
		for (i = 0; i < l->n && !ok; i++)
			ok = one_match(k, l->v[i], l->num[i], f);
		if (!ok)
			return false;
	}
	return true;
}
