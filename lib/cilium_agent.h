/*
 * cilium_agent.h - ask the Cilium agents for flows: run `hubble observe
 * ... -o jsonpb` or `cilium-dbg monitor -j` (falling back to `cilium
 * monitor -j` on old images) in the agent pods through pods/exec,
 * parse their output line by line as it arrives, and merge the agents'
 * records by time into one stream of flow lines.
 *
 * The merged stream is a FILE * of flow lines (the `hubble observe -o
 * jsonpb` shape, design.md "Formats on the pipes"), so a program reads
 * the cluster exactly as it reads a file or stdin (flow_reader_new).
 * Monitor events are converted to flow lines with flow_write_line.
 */
#ifndef CILKIT_CILIUM_AGENT_H
#define CILKIT_CILIUM_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kube_client.h"

enum cilium_agent_tool {
	CILIUM_AGENT_HUBBLE = 0,	/* hubble observe -o jsonpb */
	CILIUM_AGENT_MONITOR,		/* cilium-dbg monitor -j */
};

/* An agent pod: where it runs and what to exec into. */
struct cilium_agent_pod {
	char name[254];
	char node[254];
	char container[64];	/* "cilium-agent" when present, else "" */
	bool running;
};

/*
 * Every agent pod (k8s-app=cilium in kube-system).  On success returns
 * the count and sets *out (caller frees with free()).
 */
int cilium_agent_list(struct kube_client *c, struct cilium_agent_pod **out,
    char *errbuf, size_t errlen);

/*
 * The nodes that run pods of namespace ns (sorted, unique; caller frees
 * each and the array).  Returns the count or a negative enum cilkit_err.
 */
int cilium_agent_nodes_of_ns(struct kube_client *c, const char *ns,
    char ***nodes, char *errbuf, size_t errlen);

#define CILIUM_AGENT_MAX	256	/* agents asked at once */

struct cilium_agent_opts {
	enum cilium_agent_tool tool;
	/*
	 * hubble: arguments after "observe" (e.g. "--since", "5m",
	 * "--type", "drop"); "-o jsonpb" is appended.  monitor: after
	 * "monitor" ("-t", "drop"); "-j" is appended.  NULL-terminated,
	 * may be NULL.  Every element is one argv entry (no shell).
	 */
	const char *const *args;
	/* nodes to ask (NULL-terminated); NULL: every agent */
	const char *const *nodes;
	/* with nodes NULL: only the nodes that run pods of ns */
	const char *ns;
	long timeout_ms;	/* per agent deadline, 0: none */
	/*
	 * 0: the commands end by themselves (hubble --since/--last):
	 * everything is sorted by time before it is written.  > 0: live
	 * (--follow, monitor): records are held this long to be put in
	 * order, then written.
	 */
	long reorder_ms;
	const volatile sig_atomic_t *cancel;
};

struct cilium_agent_stream;

/*
 * Start asking the agents (o and what it points to are copied or used
 * only during the call).  On success returns the number of agents
 * asked, *fp is the read side of the merged flow-line stream (read it
 * to EOF, or stop early: closing it stops the agents), and *out must be
 * passed to cilium_agent_close.  Fails with CILKIT_ENOTFOUND when no
 * agent matches.
 */
int cilium_agent_open(struct kube_client *c,
    const struct cilium_agent_opts *o, struct cilium_agent_stream **out,
    FILE **fp, char *errbuf, size_t errlen);

/*
 * Stop (if still running), wait for every agent, close fp and free s.
 * Returns 0 when every agent's command succeeded, else the first
 * negative enum cilkit_err with one line per failed agent in errbuf
 * ("node1 (cilium-x7k2p): ...").  *n_records (may be NULL) gets the
 * number of lines merged.
 */
int cilium_agent_close(struct cilium_agent_stream *s, FILE *fp,
    unsigned long long *n_records, char *errbuf, size_t errlen);

#endif /* CILKIT_CILIUM_AGENT_H */
