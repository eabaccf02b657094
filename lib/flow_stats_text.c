/*
 * flow_stats_text.c - the terminal report of a flow analysis: summary,
 * topology (edges), top talkers, latency, errors.  Every name goes
 * through report_table, which sanitizes control characters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "report.h"

void
flow_stats_fmt_latency(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3gus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3gms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3gs", (double)ns / 1e9);
}

const char *
flow_stats_proto_name(int proto)
{
	const char *s = flow_l4_name(proto);

	return s != NULL && proto != FLOW_L4_NONE ? s : "-";
}

const char *
flow_stats_node_kind_name(int kind)
{
	static const char *const names[] = {
		"workload", "pod", "reserved", "service", "dns", "identity",
		"ip", "unknown"
	};

	if (kind < 0 || kind > FLOW_NODE_UNKNOWN)
		return "unknown";
	return names[kind];
}

const char *
flow_stats_verdict_slot_name(int slot)
{
	const char *s;

	if (slot == FLOW_STATS_NVERDICT - 1)
		return "OTHER";
	s = flow_verdict_name(slot);
	return s != NULL ? s : "VERDICT_UNKNOWN";
}

const char *
flow_stats_reason_name(uint32_t code, char *buf, size_t len)
{
	const char *name;

	if (code == 0) {
		snprintf(buf, len, "other");
		return buf;
	}
	if ((name = flow_drop_reason_name(code)) != NULL)
		return name;
	snprintf(buf, len, "%u", code);
	return buf;
}

static void
u64s(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

static void
pct(char *buf, size_t len, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * (double)part /
		    (double)whole);
}

static void
edge_label(const struct flow_stats *st, const struct flow_stats_edge *e,
    char *buf, size_t len)
{
	if (e->port != 0)
		snprintf(buf, len, "%s -> %s %s/%u", st->nodes[e->src].name,
		    st->nodes[e->dst].name, flow_stats_proto_name(e->proto),
		    (unsigned)e->port);
	else
		snprintf(buf, len, "%s -> %s %s", st->nodes[e->src].name,
		    st->nodes[e->dst].name, flow_stats_proto_name(e->proto));
}

static int
print_table(FILE *fp, struct report_table *t, const char *title, bool ascii)
{
	int rc = 0;

	if (t == NULL)
		return CILKIT_ENOMEM;
	report_table_set_ascii(t, ascii);
	if (report_table_rows(t) > 0) {
		fprintf(fp, "\n%s\n", title);
		rc = report_table_print(t, fp, "  ");
	}
	report_table_free(t);
	return rc;
}

static void
mix_line(FILE *fp, const char *title, const char *const *names,
    const uint64_t *counts, size_t n)
{
	unsigned p[16];
	size_t i;
	bool any = false;

	report_percentages(counts, n, p);
	fprintf(fp, "  %-11s", title);
	for (i = 0; i < n; i++) {
		if (counts[i] == 0)
			continue;
		fprintf(fp, "%s%s %" PRIu64 " (%u%%)", any ? ", " : "",
		    names[i], counts[i], p[i]);
		any = true;
	}
	fprintf(fp, "%s\n", any ? "" : "-");
}

static void
summary(FILE *fp, const struct flow_stats *st)
{
	const char *vn[FLOW_STATS_NVERDICT], *pn[8];
	static const char *const l7n[] = { "none", "DNS", "HTTP", "Kafka" };
	static const char *const dn[] = { "unknown", "ingress", "egress" };
	char a[48], b[48], d[48];
	int i;

	fprintf(fp, "Summary\n");
	fprintf(fp, "  flows       %" PRIu64 "", st->flows);
	if (st->first_ns != 0) {
		report_format_time(st->first_ns, 3, a, sizeof(a));
		report_format_time(st->last_ns, 3, b, sizeof(b));
		report_format_duration(st->last_ns - st->first_ns, d,
		    sizeof(d));
		fprintf(fp, " from %s to %s (%s)", a, b, d);
	}
	fprintf(fp, "\n");
	for (i = 0; i < FLOW_STATS_NVERDICT; i++)
		vn[i] = flow_stats_verdict_slot_name(i);
	mix_line(fp, "verdicts", vn, st->verdict, FLOW_STATS_NVERDICT);
	for (i = 0; i < 8; i++)
		pn[i] = i == 0 ? "none" : flow_stats_proto_name(i);
	mix_line(fp, "protocols", pn, st->l4, 8);
	mix_line(fp, "L7", l7n + 1, st->l7 + 1, 3);
	mix_line(fp, "direction", dn, st->direction, 3);
	fprintf(fp, "  replies     %" PRIu64 " (counted on their request's "
	    "edge)\n", st->replies);
	fprintf(fp, "  map         %zu nodes, %zu edges\n", st->n_nodes,
	    st->n_edges);
	if (st->lost_events > 0)
		fprintf(fp, "  lost        %" PRIu64 " events lost by the "
		    "agent (counts are lower bounds)\n", st->lost_events);
}

static int
cmp_count(const void *x, const void *y)
{
	const struct flow_stats_count *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Copy of n counters sorted by count, descending; caller frees. */
static struct flow_stats_count *
sorted_counts(const struct flow_stats_count *c, size_t n)
{
	struct flow_stats_count *s = malloc((n + 1) * sizeof(*s));

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, c, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_count);
	return s;
}

struct flow_stats_count *
flow_stats_top_nodes(const struct flow_stats *st, bool by_sent)
{
	struct flow_stats_count *c = malloc((st->n_nodes + 1) * sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < st->n_nodes; i++) {
		c[i].name = st->nodes[i].name;
		c[i].count = by_sent ? st->nodes[i].sent :
		    st->nodes[i].received;
	}
	qsort(c, st->n_nodes, sizeof(*c), cmp_count);
	return c;
}

static int
counts_table(FILE *fp, const char *title, const char *col,
    const struct flow_stats_count *c, size_t n, size_t top, uint64_t total,
    bool ascii)
{
	struct report_table *t = report_table_new(3);
	char cnt[32], pc[32];
	const char *row[3];
	size_t i;

	if (t == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, col, REPORT_ALIGN_LEFT, 60);
	report_table_column(t, 1, "FLOWS", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "SHARE", REPORT_ALIGN_RIGHT, 0);
	for (i = 0; i < n && i < top; i++) {
		if (c[i].count == 0)
			break;
		u64s(cnt, sizeof(cnt), c[i].count);
		pct(pc, sizeof(pc), c[i].count, total);
		row[0] = c[i].name;
		row[1] = cnt;
		row[2] = pc;
		report_table_add_row(t, row);
	}
	return print_table(fp, t, title, ascii);
}

static int
topology(FILE *fp, const struct flow_stats *st, const size_t *ix,
    size_t top, bool ascii)
{
	struct report_table *t = report_table_new(9);
	char port[16], fl[32], fw[32], dr[32], ot[32], l7[32], last[48];
	const char *row[9];
	const struct flow_stats_edge *e;
	uint64_t other;
	size_t i;

	if (t == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, "SOURCE", REPORT_ALIGN_LEFT, 36);
	report_table_column(t, 1, "DESTINATION", REPORT_ALIGN_LEFT, 36);
	report_table_column(t, 2, "PROTO", REPORT_ALIGN_LEFT, 0);
	report_table_column(t, 3, "PORT", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "FLOWS", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 5, "FWD", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 6, "DROP", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 7, "OTHER", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 8, "L7 REQ", REPORT_ALIGN_RIGHT, 0);
	(void)last;
	for (i = 0; i < st->n_edges && i < top; i++) {
		e = &st->edges[ix[i]];
		snprintf(port, sizeof(port), e->port ? "%u" : "-",
		    (unsigned)e->port);
		other = e->flows - e->verdict[FLOW_FORWARDED] -
		    e->verdict[FLOW_DROPPED];
		u64s(fl, sizeof(fl), e->flows);
		u64s(fw, sizeof(fw), e->verdict[FLOW_FORWARDED]);
		u64s(dr, sizeof(dr), e->verdict[FLOW_DROPPED]);
		u64s(ot, sizeof(ot), other);
		u64s(l7, sizeof(l7), e->l7.requests);
		row[0] = st->nodes[e->src].name;
		row[1] = st->nodes[e->dst].name;
		row[2] = flow_stats_proto_name(e->proto);
		row[3] = port;
		row[4] = fl;
		row[5] = fw;
		row[6] = dr;
		row[7] = ot;
		row[8] = l7;
		report_table_add_row(t, row);
	}
	if (st->n_edges > top)
		fprintf(fp, "\nTopology: top %zu of %zu edges by flows "
		    "(--top N shows more)", top, st->n_edges);
	else
		fprintf(fp, "\nTopology: %zu edges", st->n_edges);
	return print_table(fp, t, "", ascii);
}

static void
sparkline(FILE *fp, const struct flow_stats *st, bool utf8)
{
	static const char *const blocks[] = {
		"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
		"\u2587", "\u2588"
	};
	static const char ascii[] = "_.-=+*#@";
	size_t i, lo = FLOW_STATS_NBUCKETS, hi = 0;
	uint64_t max = 0;
	char iv[32];
	int level;

	for (i = 0; i < FLOW_STATS_NBUCKETS; i++) {
		if (st->ts_total[i] == 0)
			continue;
		if (i < lo)
			lo = i;
		hi = i;
		if (st->ts_total[i] > max)
			max = st->ts_total[i];
	}
	if (max == 0)
		return;
	report_format_duration(st->ts_step_ns, iv, sizeof(iv));
	fprintf(fp, "\nFlows per %s (peak %" PRIu64 ", %.1f/s)\n  ", iv, max,
	    (double)max * 1e9 / (double)st->ts_step_ns);
	for (i = lo; i <= hi; i++) {
		if (st->ts_total[i] == 0) {
			fputc(' ', fp);
			continue;
		}
		level = (int)((st->ts_total[i] * 7 + max - 1) / max);
		if (level > 7)
			level = 7;
		if (utf8)
			fputs(blocks[level], fp);
		else
			fputc(ascii[level], fp);
	}
	fputc('\n', fp);
}

static int
latency(FILE *fp, const struct flow_stats *st, const size_t *ix, size_t top,
    bool ascii)
{
	struct report_table *t;
	char c[32], p50[32], p90[32], p99[32], mx[32], lab[600];
	const char *row[6];
	const struct flow_stats_l7 *l7;
	size_t i, shown;
	int rc;

	if ((t = report_table_new(6)) == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, "SERVICE", REPORT_ALIGN_LEFT, 60);
	report_table_column(t, 1, "COUNT", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "P50", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 3, "P90", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "P99", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 5, "MAX", REPORT_ALIGN_RIGHT, 0);
	for (i = 0; i < st->n_services; i++) {
		l7 = &st->services[i].l7;
		if (flow_stats_latency_count(l7) == 0)
			continue;
		u64s(c, sizeof(c), flow_stats_latency_count(l7));
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.5), p50, 32);
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.9), p90, 32);
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.99), p99,
		    32);
		flow_stats_fmt_latency(l7->latency_max_ns, mx, 32);
		row[0] = st->services[i].name;
		row[1] = c;
		row[2] = p50;
		row[3] = p90;
		row[4] = p99;
		row[5] = mx;
		report_table_add_row(t, row);
	}
	rc = print_table(fp, t, "Latency per destination service "
	    "(L7 responses, +-1%)", ascii);
	if (rc < 0)
		return rc;
	if ((t = report_table_new(6)) == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, "EDGE", REPORT_ALIGN_LEFT, 72);
	report_table_column(t, 1, "COUNT", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "P50", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 3, "P90", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "P99", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 5, "MAX", REPORT_ALIGN_RIGHT, 0);
	for (i = 0, shown = 0; i < st->n_edges && shown < top; i++) {
		l7 = &st->edges[ix[i]].l7;
		if (flow_stats_latency_count(l7) == 0)
			continue;
		shown++;
		edge_label(st, &st->edges[ix[i]], lab, sizeof(lab));
		u64s(c, sizeof(c), flow_stats_latency_count(l7));
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.5), p50, 32);
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.9), p90, 32);
		flow_stats_fmt_latency(flow_stats_latency_q(l7, 0.99), p99,
		    32);
		flow_stats_fmt_latency(l7->latency_max_ns, mx, 32);
		row[0] = lab;
		row[1] = c;
		row[2] = p50;
		row[3] = p90;
		row[4] = p99;
		row[5] = mx;
		report_table_add_row(t, row);
	}
	return print_table(fp, t, "Latency per edge", ascii);
}

static int
cmp_dns(const void *x, const void *y)
{
	const struct flow_stats_dns *a = x, *b = y;

	if (a->errors != b->errors)
		return a->errors > b->errors ? -1 : 1;
	return strcmp(a->query, b->query);
}

/* A table of HTTP errors whose rows are edges or services (what). */
static struct report_table *
http_table(const char *what)
{
	struct report_table *t;

	if ((t = report_table_new(5)) == NULL)
		return NULL;
	report_table_column(t, 0, what, REPORT_ALIGN_LEFT, 72);
	report_table_column(t, 1, "RESPONSES", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "4XX", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 3, "5XX", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "ERROR RATE", REPORT_ALIGN_RIGHT, 0);
	return t;
}

static void
http_row(struct report_table *t, const char *label,
    const struct flow_stats_l7 *l7)
{
	char a[32], b[32], c[32], r[32];
	const char *row[5];

	u64s(a, sizeof(a), l7->http_responses);
	u64s(b, sizeof(b), l7->http_4xx);
	u64s(c, sizeof(c), l7->http_5xx);
	pct(r, sizeof(r), l7->http_4xx + l7->http_5xx, l7->http_responses);
	row[0] = label; row[1] = a; row[2] = b; row[3] = c; row[4] = r;
	report_table_add_row(t, row);
}

/* Services by HTTP errors, most first, then by name. */
static int
cmp_svc_errors(const void *x, const void *y, void *arg)
{
	const struct flow_stats *st = arg;
	const struct flow_stats_service *a =
	    &st->services[*(const size_t *)x];
	const struct flow_stats_service *b =
	    &st->services[*(const size_t *)y];
	uint64_t ea = a->l7.http_4xx + a->l7.http_5xx;
	uint64_t eb = b->l7.http_4xx + b->l7.http_5xx;

	if (ea != eb)
		return ea > eb ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * HTTP errors per destination service: the question an SRE asks first
 * ("which service is failing?"), summed over every client's edge.
 */
static int
http_services(FILE *fp, const struct flow_stats *st, size_t top, bool ascii)
{
	struct report_table *t;
	size_t *ix, i, n = 0;

	if ((t = http_table("SERVICE")) == NULL)
		return CILKIT_ENOMEM;
	if ((ix = malloc((st->n_services + 1) * sizeof(*ix))) == NULL) {
		report_table_free(t);
		return CILKIT_ENOMEM;
	}
	for (i = 0; i < st->n_services; i++)
		if (st->services[i].l7.http_4xx + st->services[i].l7.http_5xx > 0)
			ix[n++] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_svc_errors, (void *)(uintptr_t)st);
	for (i = 0; i < n && i < top; i++)
		http_row(t, st->services[ix[i]].name,
		    &st->services[ix[i]].l7);
	free(ix);
	return print_table(fp, t, "HTTP errors per service", ascii);
}

static int
errors(FILE *fp, const struct flow_stats *st, const size_t *ix, size_t top,
    bool ascii)
{
	struct report_table *t;
	struct flow_stats_dns *d;
	const struct flow_stats_edge *e;
	char a[32], b[32], c[32], r[32], lab[600], reasons[512], nb[32];
	const char *row[5];
	size_t i, j, shown;
	int rc;

	/* HTTP */
	if ((t = http_table("EDGE")) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0, shown = 0; i < st->n_edges && shown < top; i++) {
		e = &st->edges[ix[i]];
		if (e->l7.http_4xx + e->l7.http_5xx == 0)
			continue;
		shown++;
		edge_label(st, e, lab, sizeof(lab));
		http_row(t, lab, &e->l7);
	}
	if ((rc = print_table(fp, t, "HTTP errors per edge", ascii)) < 0)
		return rc;
	if ((rc = http_services(fp, st, top, ascii)) < 0)
		return rc;

	/* DNS */
	if ((t = report_table_new(5)) == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, "QUERY", REPORT_ALIGN_LEFT, 60);
	report_table_column(t, 1, "RESPONSES", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "NXDOMAIN", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 3, "SERVFAIL", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "OTHER ERR", REPORT_ALIGN_RIGHT, 0);
	d = malloc((st->n_dns + 1) * sizeof(*d));
	if (d == NULL) {
		report_table_free(t);
		return CILKIT_ENOMEM;
	}
	if (st->n_dns > 0)
		memcpy(d, st->dns, st->n_dns * sizeof(*d));
	qsort(d, st->n_dns, sizeof(*d), cmp_dns);
	for (i = 0; i < st->n_dns && i < top && d[i].errors > 0; i++) {
		u64s(a, sizeof(a), d[i].responses);
		u64s(b, sizeof(b), d[i].rcode[3]);
		u64s(c, sizeof(c), d[i].rcode[2]);
		u64s(r, sizeof(r), d[i].errors - d[i].rcode[2] -
		    d[i].rcode[3]);
		row[0] = d[i].query; row[1] = a; row[2] = b; row[3] = c;
		row[4] = r;
		report_table_add_row(t, row);
	}
	free(d);
	if ((rc = print_table(fp, t, "DNS errors per query", ascii)) < 0)
		return rc;

	/* drops and resets */
	if ((t = report_table_new(5)) == NULL)
		return CILKIT_ENOMEM;
	report_table_column(t, 0, "EDGE", REPORT_ALIGN_LEFT, 72);
	report_table_column(t, 1, "DROPPED", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 2, "RATE", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 3, "RST", REPORT_ALIGN_RIGHT, 0);
	report_table_column(t, 4, "DROP REASONS", REPORT_ALIGN_LEFT, 60);
	for (i = 0, shown = 0; i < st->n_edges && shown < top; i++) {
		size_t off = 0;

		e = &st->edges[ix[i]];
		if (e->verdict[FLOW_DROPPED] == 0 && e->tcp_resets == 0)
			continue;
		shown++;
		edge_label(st, e, lab, sizeof(lab));
		u64s(a, sizeof(a), e->verdict[FLOW_DROPPED]);
		pct(r, sizeof(r), e->verdict[FLOW_DROPPED], e->flows);
		u64s(c, sizeof(c), e->tcp_resets);
		reasons[0] = '\0';
		for (j = 0; j < e->n_reasons && off < sizeof(reasons); j++) {
			int w = snprintf(reasons + off, sizeof(reasons) - off,
			    "%s%s %" PRIu64, j ? ", " : "",
			    flow_stats_reason_name(e->reasons[j].code, nb,
			    sizeof(nb)), e->reasons[j].count);

			if (w < 0)
				break;
			off += (size_t)w;
		}
		row[0] = lab; row[1] = a; row[2] = r; row[3] = c;
		row[4] = reasons;
		report_table_add_row(t, row);
	}
	return print_table(fp, t, "Drops and TCP resets per edge", ascii);
}

int
flow_stats_print_text(FILE *fp, const struct flow_stats *st,
    const struct flow_stats_text_opts *o)
{
	struct flow_stats_count *c;
	size_t *ix, top = o->top ? o->top : 10;
	int rc;

	if ((ix = flow_stats_edges_by_flows(st)) == NULL)
		return CILKIT_ENOMEM;
	summary(fp, st);
	rc = topology(fp, st, ix, o->top ? o->top : 20, !o->utf8);
	if (rc == 0 && (c = flow_stats_top_nodes(st, true)) != NULL) {
		rc = counts_table(fp, "Top talkers (flows sent)", "SOURCE", c,
		    st->n_nodes, top, st->flows, !o->utf8);
		free(c);
	}
	if (rc == 0 && (c = flow_stats_top_nodes(st, false)) != NULL) {
		rc = counts_table(fp, "Top destinations (flows received)",
		    "DESTINATION", c, st->n_nodes, top, st->flows, !o->utf8);
		free(c);
	}
	if (rc == 0 && (c = sorted_counts(st->ports, st->n_ports)) != NULL) {
		rc = counts_table(fp, "Top destination ports", "PORT", c,
		    st->n_ports, top, st->flows, !o->utf8);
		free(c);
	}
	if (rc == 0 && (c = sorted_counts(st->k8s_nodes,
	    st->n_k8s_nodes)) != NULL) {
		rc = counts_table(fp, "Flows per node", "NODE", c,
		    st->n_k8s_nodes, top, st->flows, !o->utf8);
		free(c);
	}
	if (rc == 0)
		sparkline(fp, st, o->utf8);
	if (rc == 0)
		rc = latency(fp, st, ix, top, !o->utf8);
	if (rc == 0)
		rc = errors(fp, st, ix, top, !o->utf8);
	free(ix);
	if (rc == 0 && ferror(fp))
		rc = CILKIT_EIO;
	return rc;
}
