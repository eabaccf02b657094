/*
 * fuzz_flow_stats.c - the flow analysis and its writers on arbitrary
 * input: line 1 is a list of filters ("KIND VALUE" separated by ';',
 * KIND a digit), the other lines are flow lines.  Every flow that
 * parses goes through the filter and flow_stats_add; then every writer
 * runs (text, JSON, DOT, text graph, HTML), and the JSON made for a
 * <script> element must hold no '<' and no U+2028/2029.  A half of the
 * flows also goes to a second analysis merged into the first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_filter.h"
#include "flow_read.h"
#include "flow_stats.h"
#include "flow_stats_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
filters(struct flow_filter *flt, const char *p, size_t n)
{
	char buf[256], eb[CILKIT_ERRBUF_SIZE], *tok, *save = NULL;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (tok = strtok_r(buf, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save))
		if (tok[0] >= '0' && tok[0] <= '9' && tok[1] == ' ')
			flow_filter_add(flt, tok[0] - '0', tok + 2, eb,
			    sizeof(eb));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flow_scratch *s;
	struct flow_stats *st, *st2;
	struct flow_filter *flt;
	struct flow_stats_text_opts to = { 5, true };
	struct flow_record rec;
	struct json_object *j;
	const char *p = (const char *)data, *end = p + size, *nl;
	char eb[CILKIT_ERRBUF_SIZE], *js, *buf = NULL;
	size_t blen = 0, i = 0;
	FILE *out;

	if (s == NULL && (s = flow_scratch_new()) == NULL)
		return 0;
	st = flow_stats_new();
	st2 = flow_stats_new();
	flt = flow_filter_new();
	if (st == NULL || st2 == NULL || flt == NULL)
		goto out;
	nl = memchr(p, '\n', size);
	filters(flt, p, nl != NULL ? (size_t)(nl - p) : size);
	p = nl != NULL ? nl + 1 : end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (flow_parse_line(s, p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p), &rec, eb, sizeof(eb)) == 1) {
			if (rec.kind != FLOW_EV_FLOW)
				flow_stats_add_other(st, rec.kind,
				    rec.other.num_events_lost);
			else if (flow_filter_match(flt, &rec.flow))
				flow_stats_add(i++ % 2 ? st2 : st, &rec.flow,
				    rec.node_name, eb, sizeof(eb));
		}
		p = nl != NULL ? nl + 1 : end;
	}
	flow_stats_merge(st, st2, eb, sizeof(eb));
	if ((out = open_memstream(&buf, &blen)) == NULL)
		goto out;
	flow_stats_print_text(out, st, &to);
	flow_stats_print_dot(out, st);
	flow_stats_print_graph_text(out, st, 5, false);
	if ((j = flow_stats_json(st, 5)) != NULL) {
		if ((js = flow_stats_json_for_script(j)) != NULL) {
			if (strchr(js, '<') != NULL ||
			    strstr(js, "\xe2\x80\xa8") != NULL ||
			    strstr(js, "\xe2\x80\xa9") != NULL)
				abort();
			flow_stats_print_html_str(out, js, "t", NULL, 0);
			free(js);
		}
		json_object_put(j);
	}
	fclose(out);
	free(buf);
out:
	flow_filter_free(flt);
	flow_stats_free(st);
	flow_stats_free(st2);
	return 0;
}
