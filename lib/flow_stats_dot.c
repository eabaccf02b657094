/*
 * flow_stats_dot.c - the service map as Graphviz DOT and as a compact
 * text graph for terminals.
 *
 * DOT strings are double-quoted ID strings (graphviz "lang" page):
 * '"' and '\' are backslash-escaped, control characters and invalid
 * UTF-8 are replaced (report_sanitize), so a name cannot end the string
 * or inject attributes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "report.h"

static void
dot_str(FILE *fp, const char *s)
{
	char *clean = report_sanitize(s);
	const char *p;

	fputc('"', fp);
	for (p = clean != NULL ? clean : "?"; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
	free(clean);
}

static const char *
node_shape(int kind)
{
	switch (kind) {
	case FLOW_NODE_RESERVED:
		return "diamond";
	case FLOW_NODE_SERVICE:
		return "hexagon";
	case FLOW_NODE_DNS:
	case FLOW_NODE_IP:
		return "ellipse";
	default:
		return "box";
	}
}

int
flow_stats_print_dot(FILE *fp, const struct flow_stats *st)
{
	const struct flow_stats_edge *e;
	char lab[128];
	size_t i;

	fprintf(fp, "digraph flows {\n"
	    "\trankdir=LR;\n"
	    "\tnode [fontname=\"Helvetica\", fontsize=10, style=filled, "
	    "fillcolor=\"#eef3fb\"];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	for (i = 0; i < st->n_nodes; i++) {
		fprintf(fp, "\tn%zu [label=", i);
		dot_str(fp, st->nodes[i].name);
		fprintf(fp, ", shape=%s, tooltip=",
		    node_shape(st->nodes[i].kind));
		dot_str(fp, flow_stats_node_kind_name(st->nodes[i].kind));
		fprintf(fp, "];\n");
	}
	for (i = 0; i < st->n_edges; i++) {
		e = &st->edges[i];
		if (e->port != 0)
			snprintf(lab, sizeof(lab), "%s/%u\\n%" PRIu64
			    " flows", flow_stats_proto_name(e->proto),
			    (unsigned)e->port, e->flows);
		else
			snprintf(lab, sizeof(lab), "%s\\n%" PRIu64 " flows",
			    flow_stats_proto_name(e->proto), e->flows);
		fprintf(fp, "\tn%u -> n%u [label=\"%s", e->src, e->dst, lab);
		if (e->verdict[FLOW_DROPPED] > 0)
			fprintf(fp, "\\n%" PRIu64 " dropped\", color=red, "
			    "fontcolor=red", e->verdict[FLOW_DROPPED]);
		else
			fputc('"', fp);
		fprintf(fp, "];\n");
	}
	fprintf(fp, "}\n");
	return ferror(fp) ? CILKIT_EIO : 0;
}

static int
cmp_src(const void *x, const void *y, void *ctx)
{
	const struct flow_stats *st = ctx;
	const struct flow_stats_edge *a = &st->edges[*(const size_t *)x];
	const struct flow_stats_edge *b = &st->edges[*(const size_t *)y];
	int c;

	c = strcmp(st->nodes[a->src].name, st->nodes[b->src].name);
	if (c != 0)
		return c;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	c = strcmp(st->nodes[a->dst].name, st->nodes[b->dst].name);
	if (c != 0)
		return c;
	return a->port - b->port;
}

int
flow_stats_print_graph_text(FILE *fp, const struct flow_stats *st,
    size_t top, bool utf8)
{
	const struct flow_stats_edge *e;
	const char *arrow = utf8 ? "\u2500\u2500\u25b6" : "-->";
	const char *xarrow = utf8 ? "\u2500\u2500\u2716" : "--x";
	char *sname, *dname;
	uint32_t last = UINT32_MAX;
	size_t *ix, i, shown = 0;

	if (top == 0)
		top = SIZE_MAX;
	if ((ix = malloc((st->n_edges + 1) * sizeof(*ix))) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < st->n_edges; i++)
		ix[i] = i;
	qsort_r(ix, st->n_edges, sizeof(*ix), cmp_src, (void *)st);
	for (i = 0; i < st->n_edges && shown < top; i++, shown++) {
		e = &st->edges[ix[i]];
		if (e->src != last) {
			sname = report_sanitize(st->nodes[e->src].name);
			fprintf(fp, "%s [%s]\n", sname ? sname : "?",
			    flow_stats_node_kind_name(st->nodes[e->src].kind));
			free(sname);
			last = e->src;
		}
		dname = report_sanitize(st->nodes[e->dst].name);
		fprintf(fp, "  %s %s  %s", e->verdict[FLOW_DROPPED] ==
		    e->flows ? xarrow : arrow, dname ? dname : "?",
		    flow_stats_proto_name(e->proto));
		free(dname);
		if (e->port != 0)
			fprintf(fp, "/%u", (unsigned)e->port);
		fprintf(fp, "  %" PRIu64 " flow%s", e->flows,
		    e->flows == 1 ? "" : "s");
		if (e->verdict[FLOW_DROPPED] > 0)
			fprintf(fp, ", %" PRIu64 " dropped",
			    e->verdict[FLOW_DROPPED]);
		if (e->l7.requests > 0)
			fprintf(fp, ", %" PRIu64 " L7 requests",
			    e->l7.requests);
		fputc('\n', fp);
	}
	if (st->n_edges > shown)
		fprintf(fp, "(%zu more edges; --top N shows more)\n",
		    st->n_edges - shown);
	free(ix);
	return ferror(fp) ? CILKIT_EIO : 0;
}
