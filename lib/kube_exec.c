/*
 * kube_exec.c - pods/exec over a hand-rolled RFC 6455 client on a
 * libcurl CONNECT_ONLY connection; see kube_exec.h and
 * kubernetes-api.md section 3 (request, subprotocols, channel bytes,
 * exit status) and 6.2 (CONNECT_ONLY, ALPN).
 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cilkit.h"
#include "kube_base64.h"
#include "kube_client.h"
#include "kube_exec.h"
#include "kube_ws_frame.h"

#define HANDSHAKE_MAX	65536
#define STATUS_MAX	65536
#define STDIN_CHUNK	32768
#define OFFERED		"v5.channel.k8s.io, v4.channel.k8s.io"

struct ex {
	struct kube_client *c;
	const struct kube_exec_opts *o;
	struct kube_exec_result *res;
	CURL *h;
	curl_socket_t sock;
	bool v5;
	/* receive buffer */
	uint8_t *rbuf;
	size_t rlen, rcap;
	/* send queue */
	uint8_t *obuf;
	size_t olen, ooff, ocap;
	/* message state */
	bool in_msg;
	int channel;		/* -1: first byte not seen yet */
	/* channel 3 */
	char status[STATUS_MAX + 1];
	size_t slen;
	bool have_status;
	bool closed;		/* server close frame seen */
	bool stopped;		/* a callback asked to stop */
	bool stdin_eof;
	/* times (ms, monotonic) */
	long long start, last_rx, last_ping;
	char *errbuf;
	size_t errlen;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
random_bytes(uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* no entropy source: fall back to the clock;
			 * masking is not a secret, only unpredictability
			 * for proxies */
			long long t = now_ms();

			while (n-- > 0)
				*p++ = (uint8_t)(t >> (n % 8));
			return;
		}
		p += r;
		n -= (size_t)r;
	}
}

/* Queue one masked frame. */
static int
queue_frame(struct ex *e, uint8_t op, const uint8_t *pl, size_t len)
{
	uint8_t mask[4];
	size_t need = kube_ws_frame_size(len, true);
	ssize_t n;

	if (e->ooff > 0 && e->ooff == e->olen)
		e->ooff = e->olen = 0;
	if (e->olen + need > e->ocap) {
		size_t nc = e->ocap ? e->ocap : 65536;
		uint8_t *nb;

		while (nc < e->olen + need)
			nc *= 2;
		if ((nb = realloc(e->obuf, nc)) == NULL)
			return CILKIT_ENOMEM;
		e->obuf = nb;
		e->ocap = nc;
	}
	random_bytes(mask, sizeof(mask));
	n = kube_ws_frame_encode(e->obuf + e->olen, e->ocap - e->olen, true,
	    op, pl, len, mask);
	if (n < 0)
		return (int)n;
	e->olen += (size_t)n;
	return 0;
}

static int
queue_close(struct ex *e, uint16_t code)
{
	uint8_t pl[2] = { (uint8_t)(code >> 8), (uint8_t)code };

	return queue_frame(e, KUBE_WS_OP_CLOSE, pl, 2);
}

/* Send what is queued; returns 0, or an error.  *blocked set on AGAIN. */
static int
flush_out(struct ex *e, bool *blocked)
{
	size_t sent;
	CURLcode rc;

	*blocked = false;
	while (e->ooff < e->olen) {
		sent = 0;
		rc = curl_easy_send(e->h, e->obuf + e->ooff, e->olen - e->ooff,
		    &sent);
		if (rc == CURLE_AGAIN) {
			*blocked = true;
			return 0;
		}
		if (rc != CURLE_OK)
			return cilkit_fail(e->errbuf, e->errlen, CILKIT_ECONN,
			    "sending to the API server failed during exec in "
			    "pod %s/%s: %s", e->o->ns, e->o->pod,
			    curl_easy_strerror(rc));
		e->ooff += sent;
	}
	e->ooff = e->olen = 0;
	return 0;
}

/* Wait until the socket is ready or the deadline passes. */
static int
wait_sock(struct ex *e, bool for_write, long long deadline)
{
	struct pollfd p = { e->sock, for_write ? POLLOUT : POLLIN, 0 };
	long long left = deadline - now_ms();

	if (left <= 0)
		return CILKIT_ETIMEOUT;
	if (left > 200)
		left = 200;
	if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
		return CILKIT_EIO;
	return 0;
}

static bool
cancelled(struct ex *e)
{
	const volatile sig_atomic_t *f = kube_client_cancel_flag(e->c);

	return f != NULL && *f;
}

/* Send all of buf (the handshake request) before deadline. */
static int
send_all(struct ex *e, const char *buf, size_t len, long long deadline)
{
	size_t off = 0, sent;
	CURLcode rc;

	while (off < len) {
		if (cancelled(e))
			return CILKIT_EINTR;
		rc = curl_easy_send(e->h, buf + off, len - off, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(e, true, deadline) == CILKIT_ETIMEOUT)
				return CILKIT_ETIMEOUT;
			continue;
		}
		if (rc != CURLE_OK)
			return CILKIT_ECONN;
		off += sent;
	}
	return 0;
}

/* Read until "\r\n\r\n"; extra bytes stay in e->rbuf. */
static int
read_head(struct ex *e, char *head, size_t cap, size_t *hlen,
    long long deadline)
{
	size_t n, got = 0;
	char *end;
	CURLcode rc;

	for (;;) {
		if (cancelled(e))
			return CILKIT_EINTR;
		if (got + 1 >= cap)
			return CILKIT_ETOOBIG;
		rc = curl_easy_recv(e->h, head + got, cap - 1 - got, &n);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(e, false, deadline) == CILKIT_ETIMEOUT)
				return CILKIT_ETIMEOUT;
			continue;
		}
		if (rc != CURLE_OK)
			return CILKIT_ECONN;
		if (n == 0)
			return CILKIT_EPROTO;
		got += n;
		head[got] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) != NULL) {
			size_t used = (size_t)(end + 4 - head);

			*hlen = used;
			if (got > used) {
				memcpy(e->rbuf, head + used, got - used);
				e->rlen = got - used;
			}
			head[used] = '\0';
			return 0;
		}
	}
}

/* Value of header name in head (NUL-terminated copy into out). */
static bool
header_value(const char *head, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n"), *v, *e;

	while (p != NULL && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			e = strstr(v, "\r\n");
			if (e == NULL)
				e = v + strlen(v);
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			snprintf(out, cap, "%.*s", (int)(e - v), v);
			return true;
		}
		p = strstr(p, "\r\n");
	}
	return false;
}

int
kube_exec_parse_status(const char *json, size_t len, int *exit_code,
    char *errbuf, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o, *v, *d, *causes, *cause, *cr, *cm;
	const char *st, *reason, *msg;
	char clean[240];
	size_t i, n, k;
	long code;
	char *end;
	int r;

	*exit_code = -1;
	if (len == 0 || len > STATUS_MAX)
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "bad exec status (%zu bytes)", len);
	if ((tok = json_tokener_new_ex(32)) == NULL)
		return CILKIT_ENOMEM;
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "the exec status is not a JSON object");
	}
	st = json_object_object_get_ex(o, "status", &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
	reason = json_object_object_get_ex(o, "reason", &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
	msg = json_object_object_get_ex(o, "message", &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
	for (k = 0; msg[k] != '\0' && k + 1 < sizeof(clean); k++)
		clean[k] = (msg[k] >= 0x20 && msg[k] < 0x7f) ? msg[k] : '?';
	clean[k] = '\0';
	if (strcmp(st, "Success") == 0) {
		*exit_code = 0;
		r = 0;
		goto out;
	}
	if (strcmp(reason, "NonZeroExitCode") == 0) {
		n = 0;
		if (json_object_object_get_ex(o, "details", &d) &&
		    json_object_object_get_ex(d, "causes", &causes) &&
		    json_object_is_type(causes, json_type_array))
			n = json_object_array_length(causes);
		for (i = 0; i < n; i++) {
			cause = json_object_array_get_idx(causes, i);
			if (!json_object_object_get_ex(cause, "reason", &cr) ||
			    !json_object_is_type(cr, json_type_string) ||
			    strcmp(json_object_get_string(cr), "ExitCode") !=
			    0 || !json_object_object_get_ex(cause, "message",
			    &cm) || !json_object_is_type(cm, json_type_string))
				continue;
			errno = 0;
			code = strtol(json_object_get_string(cm), &end, 10);
			if (errno != 0 || *end != '\0' || end ==
			    json_object_get_string(cm) || code < 0 ||
			    code > 255)
				break;
			*exit_code = (int)code;
			r = 0;
			goto out;
		}
		r = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "the exec status says NonZeroExitCode without a valid "
		    "ExitCode cause");
		goto out;
	}
	if (strcmp(st, "Failure") != 0) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "the exec status is neither Success nor Failure");
		goto out;
	}
	/* a missing container is "not found"; a command that could not
	 * start (missing executable included) is an I/O error */
	r = cilkit_fail(errbuf, errlen, strstr(msg, "not found") != NULL &&
	    strstr(msg, "executable") == NULL &&
	    strcasestr(msg, "no such file") == NULL ? CILKIT_ENOTFOUND :
	    CILKIT_EIO, "%s",
	    clean[0] ? clean : "the command failed without a message");
out:
	json_object_put(o);
	return r;
}

/* Deliver payload bytes of the current message. */
static int
deliver(struct ex *e, const uint8_t *p, size_t n)
{
	kube_exec_cb cb = NULL;

	if (n == 0)
		return 0;
	if (e->channel < 0) {
		e->channel = p[0];
		p++;
		n--;
		if (n == 0)
			return 0;
	}
	switch (e->channel) {
	case 1:
		cb = e->o->on_stdout;
		e->res->stdout_bytes += n;
		break;
	case 2:
		cb = e->o->on_stderr;
		e->res->stderr_bytes += n;
		break;
	case 3:
		if (e->slen + n > STATUS_MAX)
			return cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
			    "the exec status from the API server is larger "
			    "than %d bytes", STATUS_MAX);
		memcpy(e->status + e->slen, p, n);
		e->slen += n;
		e->status[e->slen] = '\0';
		e->have_status = true;
		return 0;
	default:
		/* kubectl ignores unknown stream ids too */
		return 0;
	}
	if (cb != NULL && !e->stopped && cb(e->o->arg, p, n) != 0)
		e->stopped = true;
	return 0;
}

static int
handle_frame(struct ex *e, const struct kube_ws_frame *f)
{
	uint16_t code;
	const char *reason;
	size_t rl;

	switch (f->opcode) {
	case KUBE_WS_OP_PING:
		return queue_frame(e, KUBE_WS_OP_PONG, f->payload, f->len);
	case KUBE_WS_OP_PONG:
		return 0;
	case KUBE_WS_OP_CLOSE:
		e->closed = true;
		if (kube_ws_close_parse(f->payload, f->len, &code, &reason,
		    &rl) == 0 && code != KUBE_WS_CLOSE_NORMAL && code != 1005 &&
		    !e->have_status) {
			char clean[128];
			size_t i;

			for (i = 0; i < rl && i + 1 < sizeof(clean); i++)
				clean[i] = (reason[i] >= 0x20 &&
				    reason[i] < 0x7f) ? reason[i] : '?';
			clean[i] = '\0';
			(void)queue_close(e, KUBE_WS_CLOSE_NORMAL);
			return cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
			    "the API server closed the exec stream of pod "
			    "%s/%s with code %u%s%s", e->o->ns, e->o->pod,
			    code, clean[0] ? ": " : "", clean);
		}
		return queue_close(e, KUBE_WS_CLOSE_NORMAL);
	case KUBE_WS_OP_TEXT:
		return cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
		    "the API server sent a text frame on the binary %s "
		    "exec protocol", e->res->protocol);
	case KUBE_WS_OP_BINARY:
		if (e->in_msg)
			return cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
			    "the API server started a new message inside a "
			    "fragmented one");
		e->channel = -1;
		e->in_msg = !f->fin;
		return deliver(e, f->payload, f->len);
	case KUBE_WS_OP_CONT:
		if (!e->in_msg)
			return cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
			    "the API server sent a continuation frame outside "
			    "a message");
		e->in_msg = !f->fin;
		return deliver(e, f->payload, f->len);
	}
	return 0;
}

/* Parse and handle every complete frame in rbuf. */
static int
process(struct ex *e)
{
	struct kube_ws_frame f;
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < e->rlen && !e->closed) {
		n = kube_ws_frame_parse(e->rbuf + off, e->rlen - off, false,
		    KUBE_EXEC_MAX_FRAME, &f, e->errbuf, e->errlen);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		off += (size_t)n;
		e->last_rx = now_ms();
		if ((r = handle_frame(e, &f)) < 0)
			return r;
	}
	if (off > 0) {
		memmove(e->rbuf, e->rbuf + off, e->rlen - off);
		e->rlen -= off;
	}
	/* a frame that does not fit: grow (the parser caps its size) */
	if (e->rlen == e->rcap && e->rcap < KUBE_EXEC_MAX_FRAME +
	    KUBE_WS_MAX_HEADER) {
		size_t nc = e->rcap * 2;
		uint8_t *nb;

		if (nc > KUBE_EXEC_MAX_FRAME + KUBE_WS_MAX_HEADER)
			nc = KUBE_EXEC_MAX_FRAME + KUBE_WS_MAX_HEADER;
		if ((nb = realloc(e->rbuf, nc)) == NULL)
			return CILKIT_ENOMEM;
		e->rbuf = nb;
		e->rcap = nc;
	}
	return 0;
}

static int
build_request(struct ex *e, const char *path, struct curl_slist *hdrs,
    char **out)
{
	const struct kube_exec_opts *o = e->o;
	struct curl_slist *h;
	uint8_t key[16];
	char keyb64[32], *req = NULL, *q = NULL, *esc, *nq;
	size_t qlen = 0;
	int i, r = 0;
	FILE *fp;
	size_t rlen;

	random_bytes(key, sizeof(key));
	kube_base64_encode(key, sizeof(key), keyb64, sizeof(keyb64));
	/* query: one command= per argv element, then the streams */
	if ((fp = open_memstream(&q, &qlen)) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; o->argv[i] != NULL; i++) {
		if ((esc = curl_easy_escape(e->h, o->argv[i], 0)) == NULL) {
			r = CILKIT_ENOMEM;
			break;
		}
		fprintf(fp, "%ccommand=%s", i ? '&' : '?', esc);
		curl_free(esc);
	}
	if (r == 0 && o->container != NULL) {
		if ((esc = curl_easy_escape(e->h, o->container, 0)) == NULL)
			r = CILKIT_ENOMEM;
		else {
			fprintf(fp, "&container=%s", esc);
			curl_free(esc);
		}
	}
	if (o->on_stderr != NULL)
		fprintf(fp, "&stderr=true");
	if (o->use_stdin)
		fprintf(fp, "&stdin=true");
	if (o->on_stdout != NULL)
		fprintf(fp, "&stdout=true");
	fclose(fp);
	if (r < 0) {
		free(q);
		return r;
	}
	nq = q;
	if ((fp = open_memstream(&req, &rlen)) == NULL) {
		free(nq);
		return CILKIT_ENOMEM;
	}
	fprintf(fp, "GET %s%s%s HTTP/1.1\r\nHost: %s\r\n",
	    kube_client_prefix(e->c), path, nq, kube_client_host(e->c));
	free(nq);
	for (h = hdrs; h != NULL; h = h->next)
		if (strncasecmp(h->data, "Host:", 5) != 0)
			fprintf(fp, "%s\r\n", h->data);
	fprintf(fp, "User-Agent: cilkit/%s\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Protocol: " OFFERED "\r\n\r\n",
	    CILKIT_VERSION, keyb64);
	fclose(fp);
	if (req == NULL)
		return CILKIT_ENOMEM;
	*out = req;
	/* stash the key for the accept check in the request itself */
	return 0;
}

/* Read a non-101 body (Content-Length, capped) for the Status. */
static struct json_object *
read_error_body(struct ex *e, const char *head, long long deadline)
{
	char cl[32], *buf;
	size_t want = 16384, got = e->rlen, n;
	struct json_object *o;
	CURLcode rc;

	if (header_value(head, "Content-Length", cl, sizeof(cl)))
		want = (size_t)strtoul(cl, NULL, 10);
	if (want > 16384)
		want = 16384;
	if ((buf = malloc(want + 1)) == NULL)
		return NULL;
	if (got > want)
		got = want;
	memcpy(buf, e->rbuf, got);
	while (got < want && now_ms() < deadline) {
		rc = curl_easy_recv(e->h, buf + got, want - got, &n);
		if (rc == CURLE_AGAIN) {
			if (wait_sock(e, false, deadline) != 0)
				break;
			continue;
		}
		if (rc != CURLE_OK || n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	o = json_tokener_parse(buf);
	free(buf);
	return o;
}

static int
handshake_error(struct ex *e, long status, struct json_object *body)
{
	const char *msg = NULL;
	struct json_object *v;

	if (status == 403) {
		char clean[200];
		size_t i = 0;

		if (body != NULL && json_object_object_get_ex(body, "message",
		    &v) && json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
		for (; msg != NULL && msg[i] != '\0' && i + 1 < sizeof(clean);
		    i++)
			clean[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] :
			    '?';
		clean[i] = '\0';
		return cilkit_fail(e->errbuf, e->errlen, CILKIT_EFORBIDDEN,
		    "not allowed to exec in pod %s/%s: RBAC must grant verb "
		    "\"get\" (and \"create\" from Kubernetes 1.35) on "
		    "\"pods/exec\" in namespace %s to user \"%s\" (server "
		    "said: %s)", e->o->ns, e->o->pod, e->o->ns,
		    kube_client_config(e->c)->user_name, clean);
	}
	return kube_status_error(e->c, status, body, "exec in",
	    &kube_res_pods, e->o->ns, e->o->pod, e->errbuf, e->errlen);
}

/* Connect, upgrade; 0 when the WebSocket is up. *status gets the code. */
static int
connect_ws(struct ex *e, bool reload, long long deadline, long *status)
{
	struct curl_slist *hdrs = NULL;
	char path[1024], *req = NULL, head[HANDSHAKE_MAX], val[256];
	char key[32], want[29], cerr[CURL_ERROR_SIZE];
	const char *k;
	size_t hlen = 0;
	long long left;
	int r;
	CURLcode rc;

	*status = 0;
	if ((r = kube_resource_path(e->c, &kube_res_pods, e->o->ns, e->o->pod,
	    "exec", path, sizeof(path), e->errbuf, e->errlen)) < 0)
		return r;
	if (e->h != NULL)
		curl_easy_cleanup(e->h);
	if ((e->h = curl_easy_init()) == NULL)
		return CILKIT_ENOMEM;
	if ((r = kube_client_setup_handle(e->c, e->h, path, &hdrs, reload,
	    e->errbuf, e->errlen)) < 0)
		goto out;
	curl_easy_setopt(e->h, CURLOPT_CONNECT_ONLY, 1L);
	/* ALPN must not pick h2: the upgrade is an HTTP/1.1 request */
	curl_easy_setopt(e->h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e->h, CURLOPT_ERRORBUFFER, cerr);
	left = deadline - now_ms();
	curl_easy_setopt(e->h, CURLOPT_CONNECTTIMEOUT_MS,
	    left < 10000 ? (left > 1 ? (long)left : 1L) : 10000L);
	cerr[0] = '\0';
	rc = curl_easy_perform(e->h);
	if (rc != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT && left < 10000)
			r = cilkit_fail(e->errbuf, e->errlen, CILKIT_ETIMEOUT,
			    "the exec deadline passed while connecting to "
			    "the API server %s",
			    kube_client_config(e->c)->server);
		else
			r = cilkit_fail(e->errbuf, e->errlen, CILKIT_ECONN,
			    "cannot connect to the API server %s for exec: "
			    "%s", kube_client_config(e->c)->server,
			    cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(e->h, CURLINFO_ACTIVESOCKET, &e->sock);
	if ((r = build_request(e, path, hdrs, &req)) < 0)
		goto out;
	k = strstr(req, "Sec-WebSocket-Key: ");
	snprintf(key, sizeof(key), "%.24s", k + 19);
	kube_ws_accept_key(key, want);
	r = send_all(e, req, strlen(req), deadline);
	explicit_bzero(req, strlen(req));
	if (r == 0)
		r = read_head(e, head, sizeof(head), &hlen, deadline);
	if (r < 0) {
		r = cilkit_fail(e->errbuf, e->errlen, r, "%s during the exec "
		    "handshake with the API server %s",
		    r == CILKIT_ETIMEOUT ? "the deadline passed" :
		    r == CILKIT_EINTR ? "interrupted" :
		    r == CILKIT_ETOOBIG ? "an oversized answer" :
		    "the connection failed", kube_client_config(e->c)->server);
		goto out;
	}
	if (strncmp(head, "HTTP/1.", 7) != 0 || strlen(head) < 12) {
		r = cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
		    "the API server answered the exec upgrade with something "
		    "that is not HTTP/1.1");
		goto out;
	}
	*status = strtol(head + 9, NULL, 10);
	if (*status != 101) {
		struct json_object *body = read_error_body(e, head, deadline);

		if (*status == 401 && !reload) {
			json_object_put(body);
			r = CILKIT_EAUTH;	/* caller retries once */
			goto out;
		}
		r = handshake_error(e, *status, body);
		json_object_put(body);
		goto out;
	}
	if (!header_value(head, "Upgrade", val, sizeof(val)) ||
	    strcasecmp(val, "websocket") != 0 ||
	    !header_value(head, "Connection", val, sizeof(val)) ||
	    strcasestr(val, "upgrade") == NULL) {
		r = cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
		    "the API server's exec upgrade answer lacks "
		    "Upgrade: websocket / Connection: Upgrade");
		goto out;
	}
	if (!header_value(head, "Sec-WebSocket-Accept", val, sizeof(val)) ||
	    strcmp(val, want) != 0) {
		r = cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
		    "the API server's Sec-WebSocket-Accept does not match "
		    "the key sent (a proxy in the way?)");
		goto out;
	}
	if (!header_value(head, "Sec-WebSocket-Protocol", val, sizeof(val)) ||
	    (strcmp(val, "v5.channel.k8s.io") != 0 &&
	    strcmp(val, "v4.channel.k8s.io") != 0)) {
		r = cilkit_fail(e->errbuf, e->errlen, CILKIT_EPROTO,
		    "the API server chose no exec subprotocol this client "
		    "offered (" OFFERED ")");
		goto out;
	}
	snprintf(e->res->protocol, sizeof(e->res->protocol), "%s",
	    val[1] == '5' ? "v5.channel.k8s.io" : "v4.channel.k8s.io");
	e->v5 = val[1] == '5';
	r = 0;
out:
	free(req);
	curl_slist_free_all(hdrs);
	return r;
}

int
kube_exec(struct kube_client *c, const struct kube_exec_opts *o,
    struct kube_exec_result *res, char *errbuf, size_t errlen)
{
	struct ex *e;
	long long deadline, t, idle;
	long status = 0;
	bool blocked = false;
	int r, i;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (o->ns == NULL || o->pod == NULL || o->argv == NULL ||
	    o->argv[0] == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "exec needs a namespace, a pod and a command");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return CILKIT_ENOMEM;
	e->c = c;
	e->o = o;
	e->res = res;
	e->errbuf = errbuf;
	e->errlen = errlen;
	e->rcap = 65536;
	if ((e->rbuf = malloc(e->rcap)) == NULL) {
		free(e);
		return CILKIT_ENOMEM;
	}
	e->start = now_ms();
	deadline = o->timeout_ms > 0 ? e->start + o->timeout_ms : INT64_MAX;
	idle = o->idle_ms == 0 ? KUBE_EXEC_IDLE_MS : o->idle_ms;
	for (i = 0; i < 2; i++) {
		e->rlen = 0;
		r = connect_ws(e, i > 0, deadline, &status);
		if (!(r == CILKIT_EAUTH && status == 401 && i == 0))
			break;
	}
	if (r < 0)
		goto out;
	e->last_rx = e->last_ping = now_ms();
	if ((r = process(e)) < 0)
		goto out;
	for (;;) {
		struct pollfd pf[2];
		int nfd = 1, timeout;
		size_t n;
		CURLcode rc;

		if (cancelled(e) || e->stopped) {
			(void)queue_close(e, KUBE_WS_CLOSE_NORMAL);
			(void)flush_out(e, &blocked);
			r = cilkit_fail(errbuf, errlen, CILKIT_EINTR,
			    "exec in pod %s/%s stopped before the command "
			    "ended", o->ns, o->pod);
			goto out;
		}
		t = now_ms();
		if (t >= deadline) {
			(void)queue_close(e, KUBE_WS_CLOSE_NORMAL);
			(void)flush_out(e, &blocked);
			r = cilkit_fail(errbuf, errlen, CILKIT_ETIMEOUT,
			    "exec in pod %s/%s did not finish within %ld ms",
			    o->ns, o->pod, o->timeout_ms);
			goto out;
		}
		if (idle > 0 && t - e->last_rx >= idle) {
			r = cilkit_fail(errbuf, errlen, CILKIT_ETIMEOUT,
			    "the exec stream of pod %s/%s was silent for %lld "
			    "s (no data and no pong); the connection looks "
			    "dead", o->ns, o->pod, idle / 1000);
			goto out;
		}
		if (t - e->last_ping >= KUBE_EXEC_PING_MS) {
			if ((r = queue_frame(e, KUBE_WS_OP_PING, NULL, 0)) < 0)
				goto out;
			e->last_ping = t;
		}
		/* stdin: read only when the send queue is empty */
		if (o->use_stdin && !e->stdin_eof && e->olen == e->ooff) {
			struct pollfd sp = { o->stdin_fd, POLLIN, 0 };

			if (poll(&sp, 1, 0) > 0) {
				uint8_t sb[STDIN_CHUNK + 1];
				ssize_t got;

				sb[0] = 0;
				got = read(o->stdin_fd, sb + 1, STDIN_CHUNK);
				if (got > 0) {
					r = queue_frame(e, KUBE_WS_OP_BINARY,
					    sb, (size_t)got + 1);
				} else if (got == 0 || (errno != EINTR &&
				    errno != EAGAIN)) {
					static const uint8_t cl[2] =
					    { 0xff, 0x00 };

					e->stdin_eof = true;
					/* v4 has no half-close: the command
					 * sees EOF only when it ends */
					r = e->v5 ? queue_frame(e,
					    KUBE_WS_OP_BINARY, cl, 2) : 0;
				}
				if (r < 0)
					goto out;
			}
		}
		if ((r = flush_out(e, &blocked)) < 0)
			goto out;
		if (e->closed && !blocked)
			break;
		/* drain everything curl has (TLS may buffer) before poll */
		for (;;) {
			rc = curl_easy_recv(e->h, e->rbuf + e->rlen,
			    e->rcap - e->rlen, &n);
			if (rc == CURLE_AGAIN)
				break;
			if (rc != CURLE_OK) {
				r = cilkit_fail(errbuf, errlen, CILKIT_ECONN,
				    "the exec connection to pod %s/%s failed: "
				    "%s", o->ns, o->pod,
				    curl_easy_strerror(rc));
				goto out;
			}
			if (n == 0) {
				/* EOF without a close frame */
				if (e->have_status || e->closed) {
					e->closed = true;
					break;
				}
				r = cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
				    "the API server closed the exec "
				    "connection of pod %s/%s without a close "
				    "frame; the exit status is lost", o->ns,
				    o->pod);
				goto out;
			}
			e->rlen += n;
			if ((r = process(e)) < 0)
				goto out;
			if (e->closed || e->stopped || cancelled(e))
				break;
			if (now_ms() >= deadline)
				break;
		}
		if (e->closed) {
			(void)flush_out(e, &blocked);
			break;
		}
		if (e->stopped || cancelled(e))
			continue;
		pf[0].fd = e->sock;
		pf[0].events = POLLIN | (blocked ? POLLOUT : 0);
		pf[0].revents = 0;
		if (o->use_stdin && !e->stdin_eof && e->olen == e->ooff) {
			pf[1].fd = o->stdin_fd;
			pf[1].events = POLLIN;
			pf[1].revents = 0;
			nfd = 2;
		}
		t = now_ms();
		timeout = 200;
		if (deadline - t < timeout)
			timeout = (int)(deadline - t > 0 ? deadline - t : 0);
		if (poll(pf, (nfds_t)nfd, timeout) < 0 && errno != EINTR) {
			r = cilkit_fail(errbuf, errlen, CILKIT_EIO, "poll: %s",
			    strerror(errno));
			goto out;
		}
	}
	if (!e->have_status) {
		/* v4/v5 send a Status always; none means success */
		res->exit_code = 0;
		r = 0;
		goto out;
	}
	r = kube_exec_parse_status(e->status, e->slen, &res->exit_code,
	    errbuf, errlen);
	if (r < 0) {
		char m[CILKIT_ERRBUF_SIZE];

		snprintf(m, sizeof(m), "%s", errbuf != NULL ? errbuf : "");
		r = cilkit_fail(errbuf, errlen, r, "exec of %s in pod %s/%s "
		    "failed: %s", o->argv[0], o->ns, o->pod, m);
	}
out:
	if (e->h != NULL)
		curl_easy_cleanup(e->h);
	free(e->rbuf);
	free(e->obuf);
	free(e);
	return r;
}
