/*
 * flow_stats_out.h - writers for a flow analysis (flow_stats.h): the
 * terminal report, the JSON report (schema in flow-analyzer-json(5)),
 * Graphviz DOT, a compact text graph and the self-contained HTML page.
 *
 * Every string that came from flows is sanitized (text), escaped (DOT,
 * HTML) or emitted as valid JSON; JSON embedded in HTML also escapes
 * "<", ">", "&" and U+2028/U+2029, so "</script>" and "<!--" in a pod
 * name or URL cannot end the script element.
 */
#ifndef CILKIT_FLOW_STATS_OUT_H
#define CILKIT_FLOW_STATS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow_stats.h"

struct json_object;

struct flow_stats_text_opts {
	size_t top;		/* rows per table; 0: 10 (edges: 20) */
	bool utf8;		/* sparkline blocks and "…" */
};

/* The terminal report.  Returns 0, CILKIT_EIO or CILKIT_ENOMEM. */
int flow_stats_print_text(FILE *fp, const struct flow_stats *st,
    const struct flow_stats_text_opts *o);

/*
 * The whole analysis as a JSON object (flow-analyzer-json(5)); top
 * limits the top-N lists (0: 20).  Caller puts it; NULL on ENOMEM.
 */
struct json_object *flow_stats_json(const struct flow_stats *st,
    size_t top);

/* Graphviz DOT of the service map.  Returns 0 or CILKIT_EIO. */
int flow_stats_print_dot(FILE *fp, const struct flow_stats *st);

/* Compact text rendering of the graph (edges grouped by source). */
int flow_stats_print_graph_text(FILE *fp, const struct flow_stats *st,
    size_t top, bool utf8);

/*
 * The self-contained interactive HTML report (no network fetches).
 * json is the flow_stats_json() object; live_url, when not NULL, makes
 * the page poll that URL (same origin) for a fresh JSON report every
 * poll_ms milliseconds.  Returns 0, CILKIT_EIO or CILKIT_ENOMEM.
 */
int flow_stats_print_html(FILE *fp, struct json_object *json,
    const char *title, const char *live_url, unsigned poll_ms);

/*
 * Same, from JSON text already made safe by flow_stats_json_for_script
 * (the live server renders the page from its snapshot).
 */
int flow_stats_print_html_str(FILE *fp, const char *script_json,
    const char *title, const char *live_url, unsigned poll_ms);

/* The page's stylesheet and script (lib/html/, embedded by mk/embed.sh). */
extern const char flow_stats_html_css[];
extern const char flow_stats_html_js[];

/*
 * JSON text of obj made safe inside an HTML <script> element: "<", ">",
 * "&", U+2028 and U+2029 become \uXXXX escapes.  Caller frees; NULL on
 * ENOMEM.
 */
char *flow_stats_json_for_script(struct json_object *obj);

/* Small formatting helpers shared by the writers. */
void flow_stats_fmt_latency(uint64_t ns, char *buf, size_t len);
const char *flow_stats_proto_name(int proto);
const char *flow_stats_node_kind_name(int kind);
const char *flow_stats_verdict_slot_name(int slot);
/* Drop reason enum name, message, or the number ("other" for 0). */
const char *flow_stats_reason_name(uint32_t code, char *buf, size_t len);
/* Nodes sorted by flows sent (by_sent) or received; caller frees. */
struct flow_stats_count *flow_stats_top_nodes(const struct flow_stats *st,
    bool by_sent);

#endif /* CILKIT_FLOW_STATS_OUT_H */
