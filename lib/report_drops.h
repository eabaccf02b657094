/*
 * report_drops.h - aggregate dropped flows into the drop analysis report
 * (analyze-drops; any program that wants the same report): counts per
 * drop reason, top sources and destinations, per-reason source ->
 * destination pairs with directions, nodes, first/last time and policy
 * names, and the recommendations that follow from them.
 *
 * Memory grows with the number of distinct endpoints and pairs, never
 * with the number of flows: names are interned and pairs live in a hash
 * table, capped at REPORT_DROPS_MAX_PAIRS (what does not fit is counted
 * but not itemized, and the report says so).
 *
 * Text and JSON come from the same aggregation and the same
 * recommendation list, so they cannot disagree.
 */
#ifndef CILKIT_REPORT_DROPS_H
#define CILKIT_REPORT_DROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow.h"

struct json_object;

#define REPORT_DROPS_MAX_PAIRS	1000000
/* Nodes and policies listed per pair; more are counted as "+N". */
#define REPORT_DROPS_MAX_LIST	4

struct report_drops_opts {
	const char *namespace;	/* source or destination namespace; NULL all */
	/*
	 * Pod filter, source or destination: "NS/PREFIX" or "PREFIX" (any
	 * namespace); the pod name must start with PREFIX.  NULL: all.
	 */
	const char *pod;
	/* Node name; also matches without the "cluster/" prefix.  NULL: all. */
	const char *node;
	int64_t since_ns, until_ns;	/* 0: unbounded */
	/* The --since/--until arguments as typed, for the Time Range line. */
	const char *since_arg, *until_arg;
	bool since_relative;		/* since_arg was a duration */
	bool has_reason;
	uint32_t reason;		/* drop code, when has_reason */
	const char *reason_arg;		/* as typed, for the report */
	size_t top;			/* entries in top lists and per reason */
	const char *policy_tester;	/* program name in commands; NULL
					   means "policy-tester" */
};

struct report_drops;

/* Caller frees with report_drops_free().  NULL on allocation failure. */
struct report_drops *report_drops_new(const struct report_drops_opts *o);
void report_drops_free(struct report_drops *d);

/*
 * Offer one input record.  Drops that pass the filters are counted;
 * other verdicts, policy-verdict events (counted apart, see below) and
 * non-flow records only bump the input counters.  Returns 1 when the
 * record was counted as a drop, 0 when not, CILKIT_ENOMEM.
 */
int report_drops_add(struct report_drops *d, const struct flow_record *rec);

/* A line of input that could not be read (for the report's note). */
void report_drops_note_skipped(struct report_drops *d, uint64_t n);

/*
 * Records read but not offered because they cannot be drops (a
 * prefilter such as flow_quick.h skipped them): counted as input only.
 */
void report_drops_note_records(struct report_drops *d, uint64_t n);

/* Drops counted (after filters). */
uint64_t report_drops_total(const struct report_drops *d);

enum report_drops_mode {
	REPORT_DROPS_NORMAL = 0,
	REPORT_DROPS_SUMMARY,	/* header, totals and reasons only */
	REPORT_DROPS_DETAIL,	/* plus per-reason pairs */
};

/*
 * The text report (the seed's sections and wording).  ascii: "..."
 * instead of "…" in truncated cells.  Returns 0 or CILKIT_EIO /
 * CILKIT_ENOMEM.
 */
int report_drops_print(struct report_drops *d, FILE *fp,
    enum report_drops_mode mode, bool ascii);

/*
 * The same report as a JSON object (schema in analyze-drops(1)).  NULL
 * on allocation failure; caller releases with json_object_put().
 */
struct json_object *report_drops_json(struct report_drops *d,
    enum report_drops_mode mode);

/*
 * The label the report uses for a flow's source / destination: pod
 * (namespace/pod), else workload, else DNS name, else IP with its
 * identity; destinations add ":port" (or the ICMP kind) and prefer the
 * service.  Writes into buf (always NUL-terminated, cut at len).
 */
void report_drops_src_label(const struct flow *f, char *buf, size_t len);
void report_drops_dst_label(const struct flow *f, char *buf, size_t len);

#endif /* CILKIT_REPORT_DROPS_H */
