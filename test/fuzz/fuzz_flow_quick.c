/*
 * fuzz_flow_quick.c - the drop prefilter never hides a drop: whenever
 * flow_quick_maybe_dropped says a line cannot hold one, the real parser
 * must not find a dropped flow in it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cilkit.h"
#include "flow.h"
#include "flow_quick.h"
#include "flow_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flow_scratch *s;
	struct flow_record rec;
	char eb[CILKIT_ERRBUF_SIZE];
	const char *line = (const char *)data;

	if (s == NULL && (s = flow_scratch_new()) == NULL)
		return 0;
	if (flow_quick_maybe_dropped(line, size))
		return 0;
	if (flow_parse_line(s, line, size, &rec, eb, sizeof(eb)) == 1 &&
	    rec.kind == FLOW_EV_FLOW && rec.flow.verdict == FLOW_DROPPED)
		abort();
	return 0;
}
