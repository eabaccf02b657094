/*
 * live_server.h - the --live --visualize web view: libmicrohttpd on
 * ADDR:PORT serving the interactive page at "/" and the current JSON
 * report at "/report.json", which the page polls.
 */
#ifndef FA_LIVE_SERVER_H
#define FA_LIVE_SERVER_H

#include <stddef.h>

struct flow_stats;
struct live_server;

/*
 * Start serving on listen ("ADDR:PORT", "[V6ADDR]:PORT"; port 0 picks
 * a free one).  NULL with a message in errbuf on failure.
 */
struct live_server *live_server_start(const char *listen, char *errbuf,
    size_t errlen);
/* "http://ADDR:PORT/" */
const char *live_server_url(const struct live_server *srv);
/* Take a new snapshot of the analysis (called from the main thread). */
void live_server_update(struct live_server *srv, const struct flow_stats *st,
    size_t top);
/* Stop and free; NULL is a no-op. */
void live_server_stop(struct live_server *srv);

#endif /* FA_LIVE_SERVER_H */
