/*
 * live_server.c - the live web view (see live_server.h).  The main
 * thread renders the analysis to JSON once per refresh and swaps it in
 * under a mutex; libmicrohttpd's thread only copies the current text.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "cilkit.h"
#include "flow_stats.h"
#include "flow_stats_out.h"
#include "live_server.h"

/* The page polls this often. */
#define LIVE_POLL_MS	1000

struct live_server {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	char *json;		/* plain JSON report */
	char *script_json;	/* the same, safe inside <script> */
	char url[128];
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	struct live_server *s = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *fp;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    strdup("method not allowed\n"), 19);
	if (strcmp(url, "/report.json") == 0) {
		pthread_mutex_lock(&s->mu);
		body = strdup(s->json != NULL ? s->json : "{}");
		pthread_mutex_unlock(&s->mu);
		if (body == NULL)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "application/json", body,
		    strlen(body));
	}
	if (strcmp(url, "/") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain",
		    strdup("not found\n"), 10);
	if ((fp = open_memstream(&body, &len)) == NULL)
		return MHD_NO;
	pthread_mutex_lock(&s->mu);
	flow_stats_print_html_str(fp, s->script_json != NULL ?
	    s->script_json : "{}", "flow-analyzer live", "report.json",
	    LIVE_POLL_MS);
	pthread_mutex_unlock(&s->mu);
	if (fclose(fp) != 0) {
		free(body);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", body, len);
}

/* "ADDR:PORT" or "[V6]:PORT" into a sockaddr. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, char *errbuf,
    size_t errlen)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *hs, *he;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			goto bad;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hs = s;
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host) || colon[1] < '0' ||
	    colon[1] > '9')
		goto bad;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return 0;
	}
bad:
	return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
	    "want ADDR:PORT with a numeric address, e.g. 127.0.0.1:8089");
}

struct live_server *
live_server_start(const char *listen, char *errbuf, size_t errlen)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct live_server *s;
	char host[64];
	unsigned port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (parse_listen(listen, &ss, errbuf, errlen) < 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		cilkit_fail(errbuf, errlen, CILKIT_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "cannot listen (address in use or not local?)");
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL ? info->port : 0;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof(host));
		snprintf(s->url, sizeof(s->url), "http://[%s]:%u/", host,
		    port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof(host));
		snprintf(s->url, sizeof(s->url), "http://%s:%u/", host, port);
	}
	return s;
}

const char *
live_server_url(const struct live_server *srv)
{
	return srv->url;
}

void
live_server_update(struct live_server *srv, const struct flow_stats *st,
    size_t top)
{
	struct json_object *j;
	char *plain, *safe;

	if ((j = flow_stats_json(st, top)) == NULL)
		return;
	plain = strdup(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN));
	safe = flow_stats_json_for_script(j);
	json_object_put(j);
	if (plain == NULL || safe == NULL) {
		free(plain);
		free(safe);
		return;
	}
	pthread_mutex_lock(&srv->mu);
	free(srv->json);
	free(srv->script_json);
	srv->json = plain;
	srv->script_json = safe;
	pthread_mutex_unlock(&srv->mu);
}

void
live_server_stop(struct live_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->d);
	pthread_mutex_destroy(&srv->mu);
	free(srv->json);
	free(srv->script_json);
	free(srv);
}
