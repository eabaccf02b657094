/*
 * fuzz_flow_read.c - the flow-lines reader on arbitrary bytes, both as a
 * stream (flow_reader over fmemopen, with a small line cap so the
 * long-line path runs) and line by line (flow_parse_line).  Oracle: no
 * crash or sanitizer report, and every flow that parses survives a
 * write/read/write cycle byte for byte (the writer's output is always
 * readable and the reader loses nothing the writer wrote).
 */
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
	struct flow_scratch *ls;
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
	if (ls == NULL)
		abort();
	for (p = data; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		rc = flow_parse_line(ls, (const char *)p, (size_t)(nl - p),
		    &rec, eb, sizeof(eb));
		if (rc == 1 && rec.kind == FLOW_EV_FLOW)
			cycle(&rec.flow);
	}
	flow_scratch_free(ls);
	return 0;
}
