/*
 * flow_filter.h - select flows the way `hubble observe` filters do:
 * values of one filter are OR-ed, different filters are AND-ed
 * (hubble-flow-format.md section 8.2).
 *
 * Build a filter with flow_filter_new(), add criteria with
 * flow_filter_add() (one call per command-line value), then test flows
 * with flow_filter_match().  A filter with no criteria matches every flow.
 */
#ifndef CILKIT_FLOW_FILTER_H
#define CILKIT_FLOW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* Filter kinds; each corresponds to one flow-analyzer option. */
enum flow_filter_kind {
	FLOW_FILTER_NAMESPACE = 0,	/* NS: source or destination namespace */
	FLOW_FILTER_POD,		/* [NS/]PREFIX on either side */
	FLOW_FILTER_FROM_POD,		/* [NS/]PREFIX on the source */
	FLOW_FILTER_TO_POD,		/* [NS/]PREFIX on the destination */
	FLOW_FILTER_VERDICT,		/* FORWARDED, DROPPED, ... */
	FLOW_FILTER_PROTOCOL,		/* tcp udp icmp icmpv4 icmpv6 sctp
					   http dns kafka */
	FLOW_FILTER_PORT,		/* source or destination L4 port */
	FLOW_FILTER_LABEL,		/* [SOURCE:]KEY=VALUE or KEY, either side */
	FLOW_FILTER_TYPE,		/* l7 l3l4 drop trace policy-verdict sock */
	FLOW_FILTER_NKINDS
};

struct flow_filter;

/* A filter that matches everything.  NULL on allocation failure. */
struct flow_filter *flow_filter_new(void);
/* Free a filter; NULL is a no-op. */
void flow_filter_free(struct flow_filter *flt);

/*
 * Add one value of a filter kind.  The value is validated and copied.
 * Returns 0, or CILKIT_EINVAL (errbuf says why) / CILKIT_ENOMEM.
 * For the pod filters a value without "NS/" matches the pod in the
 * namespace "default", as hubble does.
 */
int flow_filter_add(struct flow_filter *flt, int kind, const char *value,
    char *errbuf, size_t errlen);

/*
 * Time window on flow times, Unix ns; 0 means unbounded.  Flows with
 * an unknown time (0) pass a time window.
 */
void flow_filter_set_time(struct flow_filter *flt, int64_t since_ns,
    int64_t until_ns);

/* Whether the filter has any criterion at all. */
bool flow_filter_empty(const struct flow_filter *flt);

/*
 * The FLOW_SKIP_* parts of a flow (flow_read.h) that flow_filter_match()
 * does not read with the criteria added so far.
 */
unsigned flow_filter_skippable(const struct flow_filter *flt);

/* Whether f passes every filter kind that has values. */
bool flow_filter_match(const struct flow_filter *flt, const struct flow *f);

/*
 * The values of one kind, in the order added (for passing the same
 * filters on to `hubble observe`).  *n receives the count; the array is
 * owned by the filter.
 */
const char *const *flow_filter_values(const struct flow_filter *flt,
    int kind, size_t *n);

#endif /* CILKIT_FLOW_FILTER_H */
