/*
 * fuzz_flow_read.c - the flow-lines reader on arbitrary bytes, both as a
 * stream (flow_reader over fmemopen, with a small line cap so the
 * long-line path runs) and line by line (flow_parse_line).  Oracle: no
 * crash or sanitizer report, and every flow that parses survives a
 * write/read/write cycle byte for byte (the writer's output is always
 * readable and the reader loses nothing the writer wrote).  Each line
 * is also read skipping what the analysis skips (FLOW_SKIP_*): a line
 * the full read accepts must still be accepted, with the same values
 * in the fields that are not skipped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_read.h"
#include "flow_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flow_scratch *scratch;

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The line read again with every FLOW_SKIP_*: what is kept is equal. */
static void
skip_same(struct flow_scratch *ss, const uint8_t *p, size_t n,
    const struct flow_record *full)
{
	const struct flow *a = &full->flow, *b;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];

	if (flow_parse_line(ss, (const char *)p, n, &rec, eb,
	    sizeof(eb)) != 1 || rec.kind != full->kind) {
		fprintf(stderr, "skipping rejects a good line: %s\n", eb);
		abort();
	}
	if (rec.kind != FLOW_EV_FLOW)
		return;
	b = &rec.flow;
	if (a->time_ns != b->time_ns || a->verdict != b->verdict ||
	    a->drop_reason != b->drop_reason || a->l4 != b->l4 ||
	    a->sport != b->sport || a->dport != b->dport ||
	    a->tcp_flags != b->tcp_flags || a->is_reply != b->is_reply ||
	    a->src.identity != b->src.identity ||
	    !same_str(a->src.pod_name, b->src.pod_name) ||
	    !same_str(a->dst.namespace, b->dst.namespace) ||
	    !same_str(a->src_ip, b->src_ip) ||
	    !same_str(a->node_name, b->node_name) ||
	    !same_str(full->node_name, rec.node_name) ||
	    a->has_l7 != b->has_l7 || a->l7.kind != b->l7.kind ||
	    a->l7.latency_ns != b->l7.latency_ns ||
	    a->l7.http.code != b->l7.http.code ||
	    !same_str(a->l7.dns.query, b->l7.dns.query) ||
	    a->n_dst_names != b->n_dst_names) {
		fprintf(stderr, "skipping changed a kept field\n");
		abort();
	}
}

static char *
write_mem(const struct flow *f, size_t *len)
{
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, len);

	if (mem == NULL)
		abort();
	if (flow_write_line(mem, f) != 0)
		abort();
	fclose(mem);
	return buf;
}

/* write(f) must read back to a flow that writes the same bytes. */
static void
cycle(const struct flow *f)
{
	struct flow_record back;
	char eb[CILKIT_ERRBUF_SIZE], *a, *b;
	size_t la, lb;

	a = write_mem(f, &la);
	if (flow_parse_line(scratch, a, la - 1, &back, eb, sizeof(eb)) != 1 ||
	    back.kind != FLOW_EV_FLOW) {
		fprintf(stderr, "writer output unreadable: %s\n%s", eb, a);
		abort();
	}
	b = write_mem(&back.flow, &lb);
	if (la != lb || memcmp(a, b, la) != 0) {
		fprintf(stderr, "round trip differs:\n%s%s", a, b);
		abort();
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_record rec;
	struct flow_scratch *ls, *ss;
	struct flow_reader *r;
	char eb[CILKIT_ERRBUF_SIZE];
	const uint8_t *p, *nl, *end = data + size;
	FILE *fp;
	int rc, n = 0;

	if (scratch == NULL && (scratch = flow_scratch_new()) == NULL)
		abort();
	(void)flow_sniff(data, size);

	/* Stream. */
	if (size > 0 && (fp = fmemopen((void *)data, size, "r")) != NULL) {
		r = flow_reader_new(fp, "fuzz");
		if (r == NULL)
			abort();
		flow_reader_set_max_line(r, 4096);
		while ((rc = flow_reader_next(r, &rec, eb, sizeof(eb))) != 0 &&
		    n++ < 100000) {
			if (rc < 0 && strncmp(eb, "fuzz:", 5) != 0)
				abort();	/* every message names input */
			if (rc == 1 && rec.kind == FLOW_EV_FLOW)
				cycle(&rec.flow);
		}
		flow_reader_free(r);
		fclose(fp);
	}

	/* Line by line, through a scratch of its own. */
	ls = flow_scratch_new();
	ss = flow_scratch_new();
	if (ls == NULL || ss == NULL)
		abort();
	flow_scratch_set_skip(ss, FLOW_SKIP_POLICIES | FLOW_SKIP_NAMED_LABELS |
	    FLOW_SKIP_DETAIL);
	for (p = data; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		rc = flow_parse_line(ls, (const char *)p, (size_t)(nl - p),
		    &rec, eb, sizeof(eb));
		if (rc == 1)
			skip_same(ss, p, (size_t)(nl - p), &rec);
		if (rc == 1 && rec.kind == FLOW_EV_FLOW)
			cycle(&rec.flow);
	}
	flow_scratch_free(ls);
	flow_scratch_free(ss);
	return 0;
}
