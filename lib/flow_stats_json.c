/*
 * flow_stats_json.c - the JSON report of a flow analysis, the schema
 * documented in man/flow-analyzer-json.5 ("flows" part), and the
 * <script>-safe serialization the HTML page embeds.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "report.h"

#define CK(x)	do { if ((x) < 0) goto fail; } while (0)

static const char *const rcode_names[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
	"RCODE12", "RCODE13", "RCODE14", "RCODE15+"
};

static struct json_object *
verdicts(const uint64_t *v)
{
	struct json_object *o = json_object_new_object();
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < FLOW_STATS_NVERDICT; i++)
		if (v[i] > 0 && report_json_add_uint(o,
		    flow_stats_verdict_slot_name(i), v[i]) < 0)
			goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
latency(const struct flow_stats_l7 *l7)
{
	struct json_object *o;

	if (flow_stats_latency_count(l7) == 0)
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	CK(report_json_add_uint(o, "count", flow_stats_latency_count(l7)));
	CK(report_json_add_uint(o, "p50_ns", flow_stats_latency_q(l7, 0.5)));
	CK(report_json_add_uint(o, "p90_ns", flow_stats_latency_q(l7, 0.9)));
	CK(report_json_add_uint(o, "p99_ns", flow_stats_latency_q(l7, 0.99)));
	CK(report_json_add_uint(o, "max_ns", l7->latency_max_ns));
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static int
add_l7(struct json_object *o, const struct flow_stats_l7 *l7)
{
	struct json_object *lat;

	CK(report_json_add_uint(o, "l7_requests", l7->requests));
	CK(report_json_add_uint(o, "l7_responses", l7->responses));
	CK(report_json_add_uint(o, "http_responses", l7->http_responses));
	CK(report_json_add_uint(o, "http_4xx", l7->http_4xx));
	CK(report_json_add_uint(o, "http_5xx", l7->http_5xx));
	CK(report_json_add_uint(o, "dns_responses", l7->dns_responses));
	CK(report_json_add_uint(o, "dns_errors", l7->dns_errors));
	CK(report_json_add_uint(o, "kafka_responses", l7->kafka_responses));
	CK(report_json_add_uint(o, "kafka_errors", l7->kafka_errors));
	lat = latency(l7);
	if (lat == NULL && flow_stats_latency_count(l7) > 0)
		goto fail;
	CK(report_json_add(o, "latency", lat));
	return 0;
fail:
	return CILKIT_ENOMEM;
}

static struct json_object *
counts(const struct flow_stats_count *c, size_t n, size_t top, bool sort)
{
	struct json_object *a = json_object_new_array(), *o;
	struct flow_stats_count *s = NULL;
	size_t i;

	if (a == NULL)
		return NULL;
	if (sort) {
		/* reuse the text writer's order: by count, then name */
		if ((s = malloc((n + 1) * sizeof(*s))) == NULL)
			goto fail;
		if (n > 0)
			memcpy(s, c, n * sizeof(*s));
		for (i = 1; i < n; i++) {	/* insertion sort: n small */
			struct flow_stats_count k = s[i];
			size_t j = i;

			while (j > 0 && (s[j - 1].count < k.count ||
			    (s[j - 1].count == k.count &&
			    strcmp(s[j - 1].name, k.name) > 0))) {
				s[j] = s[j - 1];
				j--;
			}
			s[j] = k;
		}
		c = s;
	}
	for (i = 0; i < n && i < top; i++) {
		if (c[i].count == 0)
			break;
		if ((o = json_object_new_object()) == NULL)
			goto fail;
		if (report_json_append(a, o) < 0)
			goto fail;
		CK(report_json_add_str(o, "name", c[i].name));
		CK(report_json_add_uint(o, "flows", c[i].count));
	}
	free(s);
	return a;
fail:
	free(s);
	json_object_put(a);
	return NULL;
}

static struct json_object *
mix(const char *const *names, const uint64_t *v, size_t n)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i] > 0 && report_json_add_uint(o, names[i], v[i]) < 0)
			goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
summary(const struct flow_stats *st)
{
	static const char *const l4n[] = { "none", "TCP", "UDP", "ICMPv4",
		"ICMPv6", "SCTP", "VRRP", "IGMP" };
	static const char *const l7n[] = { "none", "DNS", "HTTP", "Kafka" };
	static const char *const dn[] = { "unknown", "ingress", "egress" };
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	CK(report_json_add_uint(o, "flows", st->flows));
	CK(report_json_add_time(o, "first", st->first_ns));
	CK(report_json_add_time(o, "last", st->last_ns));
	CK(report_json_add_double(o, "duration_s", st->first_ns == 0 ? 0 :
	    (double)(st->last_ns - st->first_ns) / 1e9));
	CK(report_json_add(o, "verdicts", verdicts(st->verdict)));
	CK(report_json_add(o, "protocols", mix(l4n, st->l4, 8)));
	CK(report_json_add(o, "l7", mix(l7n + 1, st->l7 + 1, 3)));
	CK(report_json_add(o, "direction", mix(dn, st->direction, 3)));
	CK(report_json_add_uint(o, "replies", st->replies));
	CK(report_json_add_uint(o, "lost_events", st->lost_events));
	CK(report_json_add_uint(o, "other_records", st->other_records));
	CK(report_json_add_uint(o, "nodes", st->n_nodes));
	CK(report_json_add_uint(o, "edges", st->n_edges));
	CK(report_json_add_uint(o, "tcp_resets", st->tcp_resets));
	CK(report_json_add_uint(o, "http_responses", st->http_responses));
	CK(report_json_add_uint(o, "http_4xx", st->http_4xx));
	CK(report_json_add_uint(o, "http_5xx", st->http_5xx));
	CK(report_json_add_uint(o, "dns_responses", st->dns_responses));
	CK(report_json_add_uint(o, "dns_errors", st->dns_errors));
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
edge_obj(const struct flow_stats *st, const struct flow_stats_edge *e)
{
	struct json_object *o = json_object_new_object(), *ra, *r;
	char nb[32];
	size_t j;

	if (o == NULL)
		return NULL;
	CK(report_json_add_uint(o, "source", e->src));
	CK(report_json_add_uint(o, "destination", e->dst));
	CK(report_json_add_str(o, "source_name", st->nodes[e->src].name));
	CK(report_json_add_str(o, "destination_name",
	    st->nodes[e->dst].name));
	CK(report_json_add_str(o, "protocol", flow_stats_proto_name(e->proto)));
	CK(report_json_add_uint(o, "port", e->port));
	CK(report_json_add_str(o, "service", e->service));
	CK(report_json_add_uint(o, "flows", e->flows));
	CK(report_json_add_uint(o, "replies", e->replies));
	CK(report_json_add(o, "verdicts", verdicts(e->verdict)));
	CK(report_json_add_uint(o, "dropped", e->verdict[FLOW_DROPPED]));
	CK(report_json_add_double(o, "drop_rate", e->flows == 0 ? 0 :
	    (double)e->verdict[FLOW_DROPPED] / (double)e->flows));
	CK(report_json_add_time(o, "first", e->first_ns));
	CK(report_json_add_time(o, "last", e->last_ns));
	CK(report_json_add_uint(o, "tcp_resets", e->tcp_resets));
	if ((ra = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(o, "drop_reasons", ra));
	for (j = 0; j < e->n_reasons; j++) {
		if ((r = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_append(ra, r));
		CK(report_json_add_uint(r, "code", e->reasons[j].code));
		CK(report_json_add_str(r, "name", flow_stats_reason_name(
		    e->reasons[j].code, nb, sizeof(nb))));
		CK(report_json_add_uint(r, "count", e->reasons[j].count));
	}
	CK(add_l7(o, &e->l7));
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *
series(const struct flow_stats *st)
{
	struct json_object *o = json_object_new_object(), *a, *b;
	size_t i, lo = FLOW_STATS_NBUCKETS, hi = 0;

	if (o == NULL)
		return NULL;
	CK(report_json_add_double(o, "interval_s",
	    (double)st->ts_step_ns / 1e9));
	if ((a = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(o, "buckets", a));
	for (i = 0; i < FLOW_STATS_NBUCKETS; i++)
		if (st->ts_total[i] > 0) {
			if (i < lo)
				lo = i;
			hi = i;
		}
	for (i = lo; i <= hi && i < FLOW_STATS_NBUCKETS; i++) {
		if ((b = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_append(a, b));
		CK(report_json_add_time(b, "time", st->ts_base_ns +
		    (int64_t)i * st->ts_step_ns));
		CK(report_json_add_uint(b, "flows", st->ts_total[i]));
		CK(report_json_add_uint(b, "dropped", st->ts_dropped[i]));
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

struct json_object *
flow_stats_json(const struct flow_stats *st, size_t top)
{
	struct json_object *root, *a, *o, *rc;
	struct flow_stats_count *c;
	size_t *ix = NULL, i, j;

	if (top == 0)
		top = 20;
	if ((root = json_object_new_object()) == NULL)
		return NULL;
	CK(report_json_add_str(root, "schema", "cilkit.flow-analyzer/1"));
	CK(report_json_add_str(root, "source", "flows"));
	CK(report_json_add(root, "summary", summary(st)));

	if ((a = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(root, "nodes", a));
	for (i = 0; i < st->n_nodes; i++) {
		const struct flow_stats_node *n = &st->nodes[i];

		if ((o = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_append(a, o));
		CK(report_json_add_uint(o, "id", i));
		CK(report_json_add_str(o, "name", n->name));
		CK(report_json_add_str(o, "namespace", n->namespace));
		CK(report_json_add_str(o, "kind",
		    flow_stats_node_kind_name(n->kind)));
		if (n->identity != 0)
			CK(report_json_add_uint(o, "identity", n->identity));
		else
			CK(report_json_add(o, "identity", NULL));
		CK(report_json_add_uint(o, "sent", n->sent));
		CK(report_json_add_uint(o, "received", n->received));
		CK(report_json_add_uint(o, "dropped", n->dropped));
	}

	if ((ix = flow_stats_edges_by_flows(st)) == NULL)
		goto fail;
	if ((a = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(root, "edges", a));
	for (i = 0; i < st->n_edges; i++) {
		if ((o = edge_obj(st, &st->edges[ix[i]])) == NULL)
			goto fail;
		CK(report_json_append(a, o));
	}

	if ((c = flow_stats_top_nodes(st, true)) == NULL)
		goto fail;
	o = counts(c, st->n_nodes, top, false);
	free(c);
	CK(report_json_add(root, "top_talkers", o));
	if ((c = flow_stats_top_nodes(st, false)) == NULL)
		goto fail;
	o = counts(c, st->n_nodes, top, false);
	free(c);
	CK(report_json_add(root, "top_destinations", o));
	CK(report_json_add(root, "top_ports",
	    counts(st->ports, st->n_ports, top, true)));
	CK(report_json_add(root, "k8s_nodes",
	    counts(st->k8s_nodes, st->n_k8s_nodes, SIZE_MAX, true)));
	CK(report_json_add(root, "time_series", series(st)));

	if ((a = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(root, "services", a));
	for (i = 0; i < st->n_services; i++) {
		if ((o = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_append(a, o));
		CK(report_json_add_str(o, "name", st->services[i].name));
		CK(add_l7(o, &st->services[i].l7));
	}

	if ((a = json_object_new_array()) == NULL)
		goto fail;
	CK(report_json_add(root, "dns", a));
	for (i = 0; i < st->n_dns; i++) {
		const struct flow_stats_dns *d = &st->dns[i];

		if ((o = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_append(a, o));
		CK(report_json_add_str(o, "query", d->query));
		CK(report_json_add_uint(o, "queries", d->queries));
		CK(report_json_add_uint(o, "responses", d->responses));
		CK(report_json_add_uint(o, "errors", d->errors));
		if ((rc = json_object_new_object()) == NULL)
			goto fail;
		CK(report_json_add(o, "rcodes", rc));
		for (j = 0; j < 16; j++)
			if (d->rcode[j] > 0)
				CK(report_json_add_uint(rc, rcode_names[j],
				    d->rcode[j]));
	}
	free(ix);
	return root;
fail:
	free(ix);
	json_object_put(root);
	return NULL;
}

static bool
is_sep(const unsigned char *p)
{
	return p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9);
}

char *
flow_stats_json_for_script(struct json_object *obj)
{
	const unsigned char *p;
	const char *s;
	char *out, *q;
	size_t n = 0;

	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (s == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '&') {
			n += 6;
		} else if (is_sep(p)) {
			n += 6;
			p += 2;
		} else {
			n++;
		}
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)s, q = out; *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '&') {
			q += snprintf(q, 7, "\\u%04x", *p);
		} else if (is_sep(p)) {
			q += snprintf(q, 7, "\\u%s",
			    p[2] == 0xa8 ? "2028" : "2029");
			p += 2;
		} else {
			*q++ = (char)*p;
		}
	}
	*q = '\0';
	return out;
}
