/*
 * flow_stats_html.c - the self-contained interactive HTML report: one
 * file with inline CSS and JS (lib/html/), the JSON report embedded in a
 * <script type="application/json"> element, no network fetches (a
 * Content-Security-Policy forbids them; the live page may only poll its
 * own origin).  Data reaches the DOM through textContent only.
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "flow_stats_out.h"
#include "report.h"

int
flow_stats_print_html_str(FILE *fp, const char *script_json,
    const char *title, const char *live_url, unsigned poll_ms)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "script-src 'unsafe-inline'; img-src data:; "
	    "connect-src 'self'\">\n<title>", fp);
	report_html_fputs(fp, title);
	fputs("</title>\n<style>\n", fp);
	fputs(flow_stats_html_css, fp);
	fputs("</style>\n</head>\n<body", fp);
	if (live_url != NULL) {
		fputs(" data-live=\"", fp);
		report_html_fputs(fp, live_url);
		fprintf(fp, "\" data-poll-ms=\"%u\"", poll_ms);
	}
	fputs(">\n<header><h1>", fp);
	report_html_fputs(fp, title);
	fputs("</h1><span id=\"status\"></span></header>\n<main>\n"
	    "<section id=\"summary\"><h2>Summary</h2>"
	    "<div class=\"kv\" id=\"summary-kv\"></div></section>\n"
	    "<section id=\"map-section\"><h2>Service map</h2>\n"
	    "<div class=\"controls\">"
	    "<label for=\"f-ns\">Namespace</label> <select id=\"f-ns\">"
	    "</select> <label for=\"f-verdict\">Verdict</label> "
	    "<select id=\"f-verdict\"></select> "
	    "<button id=\"reset\" type=\"button\">Reset view</button> "
	    "<span class=\"muted\" id=\"map-count\"></span>"
	    "<span class=\"legend\"><span><i class=\"sw\" "
	    "style=\"background:#98a2b3\"></i>forwarded</span><span>"
	    "<i class=\"sw\" style=\"background:#d92d20\"></i>with drops"
	    "</span></span></div>\n"
	    "<div id=\"map-wrap\"><svg id=\"map\" role=\"img\" "
	    "aria-label=\"service map\"></svg>"
	    "<aside id=\"details\"></aside></div>\n"
	    "<p class=\"muted\">Drag to pan, wheel to zoom, click a node or "
	    "an edge for its details.</p></section>\n"
	    "<section><h2 id=\"ts-title\">Flows over time</h2>"
	    "<svg id=\"ts\" class=\"chart\"></svg></section>\n"
	    "<section><h2>Latency p99 per destination service</h2>"
	    "<svg id=\"lat\" class=\"chart\"></svg></section>\n"
	    "<div class=\"tables\">\n"
	    "<section><h2>Edges</h2><table id=\"t-edges\"></table></section>\n"
	    "<section><h2>Latency per destination service</h2>"
	    "<table id=\"t-latency\"></table></section>\n"
	    "<section><h2>Top talkers</h2><table id=\"t-talkers\"></table>"
	    "</section>\n"
	    "<section><h2>Top destinations</h2><table id=\"t-dests\">"
	    "</table></section>\n"
	    "<section><h2>Top ports</h2><table id=\"t-ports\"></table>"
	    "</section>\n"
	    "<section><h2>Flows per node</h2><table id=\"t-k8s\"></table>"
	    "</section>\n"
	    "<section><h2>HTTP errors per edge</h2><table id=\"t-http\">"
	    "</table></section>\n"
	    "<section><h2>DNS queries</h2><table id=\"t-dns\"></table>"
	    "</section>\n"
	    "<section><h2>Drops and TCP resets</h2><table id=\"t-drops\">"
	    "</table></section>\n"
	    "</div>\n</main>\n"
	    "<script type=\"application/json\" id=\"report-data\">", fp);
	fputs(script_json, fp);
	fputs("</script>\n<script>\n", fp);
	fputs(flow_stats_html_js, fp);
	fputs("</script>\n</body>\n</html>\n", fp);
	return ferror(fp) ? CILKIT_EIO : 0;
}

int
flow_stats_print_html(FILE *fp, struct json_object *json, const char *title,
    const char *live_url, unsigned poll_ms)
{
	char *s;
	int rc;

	if ((s = flow_stats_json_for_script(json)) == NULL)
		return CILKIT_ENOMEM;
	rc = flow_stats_print_html_str(fp, s, title, live_url, poll_ms);
	free(s);
	return rc;
}
