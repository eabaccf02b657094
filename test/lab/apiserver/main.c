/*
 * lab-apiserver - the lab's fake Kubernetes API server.
 *
 * Serves HTTPS on 127.0.0.1 (a free port unless --port is given, written
 * to --port-file once listening).  Authenticates client certificates
 * signed by --ca (CN = user, O = groups, as the API server does) and
 * bearer tokens from --tokens ("TOKEN USER GROUP,GROUP" lines).  Members
 * of system:masters may do everything; any other user may only read
 * namespaced objects in the namespaces listed after "ns=" in its groups
 * (the lab's viewer has "ns=demo,ns=other"), and may not exec.
 *
 * Runs until SIGTERM or SIGINT.  See test/lab/README.md.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "cilkit.h"
#include "kube_yaml.h"
#include "lab.h"

struct lab_config lab_cfg;

struct token {
	char *token;
	char *user;
	char *groups;
};

static struct token *tokens;
static size_t ntokens;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *logfp;

static void
logmsg(const char *fmt, ...)
{
	va_list ap;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	if (logfp == NULL)
		return;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	flockfile(logfp);
	fprintf(logfp, "%s ", stamp);
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
	funlockfile(logfp);
}

static char *
slurp(const char *path)
{
	char *buf = NULL, err[CILKIT_ERRBUF_SIZE];
	size_t len;

	if (kube_read_file(path, 1 << 20, &buf, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "lab-apiserver: %s\n", err);
		exit(2);
	}
	return buf;
}

static void
load_tokens(const char *path)
{
	char *buf = slurp(path), *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char t[512], u[256], g[512];

		if (line[0] == '#')
			continue;
		g[0] = '\0';
		if (sscanf(line, "%511s %255s %511s", t, u, g) < 2)
			continue;
		tokens = realloc(tokens, (ntokens + 1) * sizeof(*tokens));
		if (tokens == NULL)
			abort();
		tokens[ntokens].token = strdup(t);
		tokens[ntokens].user = strdup(u);
		tokens[ntokens].groups = strdup(g);
		ntokens++;
	}
	free(buf);
}

static void
load_pods(const char *path)
{
	char *buf = slurp(path), *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct lab_pod p;
		char ip4[64], ip6[64], lxc[64], ports[256];
		int host;

		memset(&p, 0, sizeof(p));
		if (sscanf(line, "%63s %63s %63s %63s %63s %127s %63s %d "
		    "%255s", p.ns, p.name, p.node, ip4, ip6, p.netns, lxc,
		    &host, ports) != 9)
			continue;
		p.host = host != 0;
		lab_cfg.pods = realloc(lab_cfg.pods,
		    (lab_cfg.npods + 1) * sizeof(p));
		if (lab_cfg.pods == NULL)
			abort();
		lab_cfg.pods[lab_cfg.npods++] = p;
	}
	free(buf);
}

/* --- authentication and authorization ---------------------------------- */

struct who {
	char user[256];
	char groups[512];	/* comma-separated */
	bool anonymous;
};

/* Constant-time string comparison for tokens. */
static bool
same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* 0 ok, -1 credentials given but invalid (401) */
static int
authenticate(struct MHD_Connection *conn, struct who *w)
{
	const union MHD_ConnectionInfo *ci;
	const char *auth;
	size_t i;

	memset(w, 0, sizeof(*w));
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	if (auth != NULL) {
		if (strncmp(auth, "Bearer ", 7) != 0)
			return -1;
		for (i = 0; i < ntokens; i++)
			if (same_secret(auth + 7, tokens[i].token)) {
				snprintf(w->user, sizeof(w->user), "%s",
				    tokens[i].user);
				snprintf(w->groups, sizeof(w->groups), "%s",
				    tokens[i].groups);
				return 0;
			}
		return -1;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci != NULL && ci->tls_session != NULL) {
		gnutls_session_t s = (gnutls_session_t)ci->tls_session;
		const gnutls_datum_t *certs;
		unsigned int ncerts = 0, status = 0;
		gnutls_x509_crt_t crt;
		char buf[256];
		size_t sz;
		unsigned idx;

		certs = gnutls_certificate_get_peers(s, &ncerts);
		if (certs != NULL && ncerts > 0) {
			/* MHD only requests the certificate; verify it. */
			if (gnutls_certificate_verify_peers2(s, &status) < 0 ||
			    status != 0)
				return -1;
			if (gnutls_x509_crt_init(&crt) < 0)
				return -1;
			if (gnutls_x509_crt_import(crt, &certs[0],
			    GNUTLS_X509_FMT_DER) < 0) {
				gnutls_x509_crt_deinit(crt);
				return -1;
			}
			sz = sizeof(w->user);
			if (gnutls_x509_crt_get_dn_by_oid(crt,
			    GNUTLS_OID_X520_COMMON_NAME, 0, 0, w->user,
			    &sz) < 0) {
				gnutls_x509_crt_deinit(crt);
				return -1;
			}
			for (idx = 0; idx < 8; idx++) {
				sz = sizeof(buf);
				if (gnutls_x509_crt_get_dn_by_oid(crt,
				    GNUTLS_OID_X520_ORGANIZATION_NAME, idx, 0,
				    buf, &sz) < 0)
					break;
				if (strlen(w->groups) + sz + 2 <
				    sizeof(w->groups)) {
					if (w->groups[0] != '\0')
						strcat(w->groups, ",");
					strcat(w->groups, buf);
				}
			}
			gnutls_x509_crt_deinit(crt);
			return 0;
		}
	}
	w->anonymous = true;
	snprintf(w->user, sizeof(w->user), "system:anonymous");
	return 0;
}

static bool
in_group(const struct who *w, const char *g)
{
	const char *p = w->groups;
	size_t l = strlen(g);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, g, l) == 0 && (p[l] == ',' || p[l] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return false;
}

/* RBAC, reduced to the lab's two kinds of users. */
static bool
authorized(const struct who *w, const char *verb, const char *ns,
    const char *subresource)
{
	char g[160];

	if (in_group(w, "system:masters"))
		return true;
	if (strcmp(verb, "get") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "watch") != 0)
		return false;
	if (subresource != NULL || ns == NULL)
		return false;
	snprintf(g, sizeof(g), "ns=%s", ns);
	return in_group(w, g);
}

static void
forbidden(struct lab_reply *rep, const struct who *w, const char *verb,
    struct lab_resource *r, const char *sub, const char *ns,
    const char *name)
{
	char msg[1024], res[200], what[300], scope[200];

	snprintf(res, sizeof(res), "%s%s%s", r->plural, sub ? "/" : "",
	    sub ? sub : "");
	if (r->group[0] != '\0')
		snprintf(what, sizeof(what), "%s.%s", r->plural, r->group);
	else
		snprintf(what, sizeof(what), "%s", r->plural);
	if (name != NULL) {
		size_t l = strlen(what);

		snprintf(what + l, sizeof(what) - l, " \"%s\"", name);
	}
	if (ns != NULL)
		snprintf(scope, sizeof(scope), "in the namespace \"%s\"", ns);
	else
		snprintf(scope, sizeof(scope), "at the cluster scope");
	snprintf(msg, sizeof(msg), "%s is forbidden: User \"%s\" cannot %s "
	    "resource \"%s\" in API group \"%s\" %s", what, w->user, verb,
	    res, r->group, scope);
	lab_status(rep, 403, "Forbidden", msg, r->plural, name);
}

/* --- request handling -------------------------------------------------- */

static const char *
query_cb(void *cls, const char *key)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)cls,
	    MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, struct lab_reply *rep)
{
	const char *s;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	pthread_mutex_lock(&store_lock);
	s = json_object_to_json_string_ext(rep->body, JSON_C_TO_STRING_PLAIN);
	resp = MHD_create_response_from_buffer(strlen(s), (void *)s,
	    MHD_RESPMEM_MUST_COPY);
	json_object_put(rep->body);
	pthread_mutex_unlock(&store_lock);
	rep->body = NULL;
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", rep->content_type ?
	    rep->content_type : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = MHD_queue_response(conn, rep->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct argv_collect {
	char **argv;
	size_t n;
	bool oom;
};

static enum MHD_Result
collect_command(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct argv_collect *a = cls;
	char **n;

	(void)kind;
	if (strcmp(key, "command") != 0 || a->n >= 4096)
		return MHD_YES;
	n = realloc(a->argv, (a->n + 2) * sizeof(*n));
	if (n == NULL) {
		a->oom = true;
		return MHD_NO;
	}
	a->argv = n;
	a->argv[a->n++] = strdup(value ? value : "");
	a->argv[a->n] = NULL;
	return MHD_YES;
}

static bool
qbool(struct MHD_Connection *conn, const char *key)
{
	const char *v = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, key);

	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static enum MHD_Result
serve_exec(struct MHD_Connection *conn, const char *method,
    struct lab_reply *rep, struct lab_resource *r, const char *ns,
    const char *name)
{
	struct json_object *pod, *cs;
	struct argv_collect a = { NULL, 0, false };
	const char *container, *upgrade;
	struct lab_pod *lp;
	char msg[512];
	size_t i;

	pthread_mutex_lock(&store_lock);
	pod = lab_find_object(r, ns, name);
	if (pod == NULL) {
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		lab_status(rep, 404, "NotFound", msg, "pods", name);
		pthread_mutex_unlock(&store_lock);
		return send_reply(conn, rep);
	}
	container = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "container");
	cs = NULL;
	json_object_object_get_ex(json_object_object_get(pod, "spec"),
	    "containers", &cs);
	if (container == NULL && cs != NULL &&
	    json_object_array_length(cs) == 1)
		container = json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(cs, 0), "name"));
	for (i = 0; container != NULL && cs != NULL &&
	    i < json_object_array_length(cs); i++)
		if (strcmp(json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(cs, i), "name")), container) == 0)
			break;
	if (container == NULL || cs == NULL ||
	    i == json_object_array_length(cs)) {
		if (container == NULL)
			snprintf(msg, sizeof(msg), "a container name must be "
			    "specified for pod %s", name);
		else
			snprintf(msg, sizeof(msg), "container %s is not valid "
			    "for pod %s", container, name);
		lab_status(rep, 400, "BadRequest", msg, NULL, NULL);
		pthread_mutex_unlock(&store_lock);
		return send_reply(conn, rep);
	}
	pthread_mutex_unlock(&store_lock);

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
	    collect_command, &a);
	if (a.oom || a.n == 0) {
		lab_status(rep, 400, "BadRequest", "you must specify at least "
		    "1 command", NULL, NULL);
		goto fail;
	}
	lp = lab_find_pod(ns, name);
	if (lp == NULL) {
		lab_status(rep, 500, "InternalError", "the lab has no network "
		    "namespace for this pod", NULL, NULL);
		goto fail;
	}
	upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Upgrade");
	if (strcmp(method, "GET") != 0 || upgrade == NULL ||
	    strcasecmp(upgrade, "websocket") != 0) {
		/*
		 * kubectl falls back to SPDY (POST) when the WebSocket
		 * upgrade fails; the lab only speaks WebSocket.
		 */
		lab_status(rep, 400, "BadRequest", "the lab API server "
		    "supports pods/exec only over WebSocket "
		    "(v5.channel.k8s.io, v4.channel.k8s.io)", NULL, NULL);
		goto fail;
	}
	return (enum MHD_Result)lab_exec_upgrade(conn, lp, a.argv,
	    qbool(conn, "stdin"), qbool(conn, "stdout"),
	    qbool(conn, "stderr"), qbool(conn, "tty"));
fail:
	for (i = 0; i < a.n; i++)
		free(a.argv[i]);
	free(a.argv);
	return send_reply(conn, rep);
}

/*
 * A watch (kubernetes-api.md 4.4): the lab's objects never change, so a
 * watch from the list's resourceVersion sends nothing, and one without
 * (or from "0") sends an ADDED event per object; then the stream stays
 * open until timeoutSeconds (default 1800, at most 3600) or the client
 * goes away.
 */
struct watch {
	char *buf;
	size_t len, off;
	time_t end;
};

static volatile sig_atomic_t stopping;

static ssize_t
watch_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct watch *w = cls;
	size_t n;

	(void)pos;
	if (w->off < w->len) {
		n = w->len - w->off < max ? w->len - w->off : max;
		memcpy(out, w->buf + w->off, n);
		w->off += n;
		return (ssize_t)n;
	}
	if (stopping || time(NULL) >= w->end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* thread per connection: MHD polls the socket between calls */
	usleep(200000);
	return 0;
}

static void
watch_free(void *cls)
{
	struct watch *w = cls;

	free(w->buf);
	free(w);
}

static enum MHD_Result
serve_watch(struct MHD_Connection *conn, struct lab_reply *rep,
    struct lab_resource *r, const char *ns, bool table)
{
	const char *rv = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "resourceVersion");
	const char *to = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "timeoutSeconds");
	struct json_object *items = NULL, *cols = NULL;
	struct MHD_Response *resp;
	struct watch *w;
	enum MHD_Result ret;
	unsigned long secs = 1800;
	size_t i, n, cap = 0;

	if (to != NULL && *to != '\0')
		secs = strtoul(to, NULL, 10);
	if (secs > 3600)
		secs = 3600;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return MHD_NO;
	w->end = time(NULL) + (time_t)secs;
	pthread_mutex_lock(&store_lock);
	lab_serve(rep, r, ns, NULL, table, query_cb, conn);
	if (rep->status != 200) {
		pthread_mutex_unlock(&store_lock);
		free(w);
		return send_reply(conn, rep);
	}
	json_object_object_get_ex(rep->body, table ? "rows" : "items",
	    &items);
	json_object_object_get_ex(rep->body, "columnDefinitions", &cols);
	n = (rv == NULL || *rv == '\0' || strcmp(rv, "0") == 0) && items ?
	    json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *ev = json_object_new_object(), *obj;
		const char *js;
		size_t l;

		json_object_object_add(ev, "type",
		    json_object_new_string("ADDED"));
		if (table) {
			/* a one-row Table; column definitions in the first */
			struct json_object *rows = json_object_new_array();

			obj = json_object_new_object();
			json_object_object_add(obj, "kind",
			    json_object_new_string("Table"));
			json_object_object_add(obj, "apiVersion",
			    json_object_new_string("meta.k8s.io/v1"));
			json_object_object_add(obj, "metadata",
			    json_object_new_object());
			json_object_object_add(obj, "columnDefinitions", i == 0 ?
			    json_object_get(cols) : json_object_new_array());
			json_object_array_add(rows, json_object_get(
			    json_object_array_get_idx(items, i)));
			json_object_object_add(obj, "rows", rows);
		} else {
			obj = json_object_get(json_object_array_get_idx(items,
			    i));
		}
		json_object_object_add(ev, "object", obj);
		js = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
		l = strlen(js);
		if (w->len + l + 2 > cap) {
			char *nb;

			cap = (w->len + l + 2) * 2;
			nb = realloc(w->buf, cap);
			if (nb == NULL) {
				json_object_put(ev);
				break;
			}
			w->buf = nb;
		}
		memcpy(w->buf + w->len, js, l);
		w->len += l;
		w->buf[w->len++] = '\n';
		json_object_put(ev);
	}
	json_object_put(rep->body);
	rep->body = NULL;
	pthread_mutex_unlock(&store_lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
	    watch_read, w, watch_free);
	if (resp == NULL) {
		watch_free(w);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

#define MAXSEG 10

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct lab_reply rep = { 0, NULL, NULL };
	struct who w;
	char path[1024], *seg[MAXSEG], *save = NULL, *p, msg[512];
	const char *group = "", *ver, *ns = NULL, *name = NULL, *sub = NULL;
	const char *verb, *accept;
	struct lab_resource *r;
	int nseg = 0, i;
	bool handled, table;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		/* first call: headers only */
		*con_cls = (void *)1;
		if (strcmp(method, "GET") == 0)
			goto go;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;	/* bodies are ignored */
		return MHD_YES;
	}
go:
	logmsg("%s %s", method, url);
	if (authenticate(conn, &w) < 0) {
		lab_status(&rep, 401, "Unauthorized", "Unauthorized", NULL,
		    NULL);
		return send_reply(conn, &rep);
	}
	snprintf(path, sizeof(path), "%s", url);
	while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
		path[strlen(path) - 1] = '\0';

	/* /version, /healthz and discovery are open to any authenticated
	 * user, and /version and /healthz to anonymous ones too. */
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 ||
	    strcmp(path, "/readyz") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(2,
		    (void *)"ok", MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;

		MHD_add_response_header(resp, "Content-Type", "text/plain");
		ret = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (w.anonymous && strcmp(path, "/version") != 0) {
		lab_status(&rep, 401, "Unauthorized", "Unauthorized", NULL,
		    NULL);
		return send_reply(conn, &rep);
	}
	pthread_mutex_lock(&store_lock);
	lab_discovery(&rep, path, &handled);
	pthread_mutex_unlock(&store_lock);
	if (handled) {
		if (strcmp(method, "GET") != 0) {
			json_object_put(rep.body);
			lab_status(&rep, 405, "MethodNotAllowed", "the server "
			    "does not allow this method on the requested "
			    "resource", NULL, NULL);
		}
		return send_reply(conn, &rep);
	}

	for (p = strtok_r(path, "/", &save); p != NULL && nseg < MAXSEG;
	    p = strtok_r(NULL, "/", &save))
		seg[nseg++] = p;
	i = 0;
	if (nseg >= 2 && strcmp(seg[0], "api") == 0) {
		ver = seg[1];
		i = 2;
	} else if (nseg >= 3 && strcmp(seg[0], "apis") == 0) {
		group = seg[1];
		ver = seg[2];
		i = 3;
	} else {
		goto notfound;
	}
	/* [namespaces/NS/]RESOURCE[/NAME[/SUB]] */
	if (nseg - i >= 3 && strcmp(seg[i], "namespaces") == 0) {
		ns = seg[i + 1];
		i += 2;
	}
	if (i >= nseg)
		goto notfound;
	r = lab_find_resource(group, ver, seg[i]);
	if (r == NULL || (ns != NULL && !r->namespaced))
		goto notfound;
	if (i + 1 < nseg)
		name = seg[i + 1];
	if (i + 2 < nseg)
		sub = seg[i + 2];
	if (i + 3 < nseg || (sub != NULL &&
	    (strcmp(r->plural, "pods") != 0 || strcmp(sub, "exec") != 0)))
		goto notfound;
	if (!r->namespaced)
		ns = NULL;

	if (sub != NULL)
		verb = strcmp(method, "GET") == 0 ? "get" : "create";
	else if (strcmp(method, "GET") != 0)
		verb = strcmp(method, "POST") == 0 ? "create" :
		    strcmp(method, "DELETE") == 0 ? "delete" :
		    strcmp(method, "PUT") == 0 ? "update" : "patch";
	else if (name != NULL)
		verb = "get";
	else if (qbool(conn, "watch"))
		verb = "watch";
	else
		verb = "list";
	if (!authorized(&w, verb, ns, sub)) {
		forbidden(&rep, &w, verb, r, sub, ns, name);
		return send_reply(conn, &rep);
	}
	if (sub != NULL)
		return serve_exec(conn, method, &rep, r, ns, name);
	if (strcmp(method, "GET") != 0) {
		snprintf(msg, sizeof(msg), "the lab API server is read-only: "
		    "cannot %s %s", verb, r->plural);
		lab_status(&rep, 405, "MethodNotAllowed", msg, NULL, NULL);
		return send_reply(conn, &rep);
	}
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	table = accept != NULL && strstr(accept, "as=Table") != NULL &&
	    strstr(accept, "g=meta.k8s.io") != NULL;
	if (strcmp(verb, "watch") == 0)
		return serve_watch(conn, &rep, r, ns, table);
	pthread_mutex_lock(&store_lock);
	lab_serve(&rep, r, ns, name, table, query_cb, conn);
	pthread_mutex_unlock(&store_lock);
	return send_reply(conn, &rep);

notfound:
	lab_status(&rep, 404, "NotFound", "the server could not find the "
	    "requested resource", NULL, NULL);
	json_object_object_add(rep.body, "details", json_object_new_object());
	return send_reply(conn, &rep);
}

static void
usage(void)
{
	fprintf(stderr, "usage: lab-apiserver --objects FILE --policies DIR "
	    "--pods FILE --cert FILE --key FILE --ca FILE --tokens FILE "
	    "[--port N] [--port-file FILE] [--bin-dir DIR] [--page-size N] "
	    "[--log FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bin-dir", required_argument, NULL, 'b' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "log", required_argument, NULL, 'l' },
		{ "objects", required_argument, NULL, 'o' },
		{ "page-size", required_argument, NULL, 's' },
		{ "pods", required_argument, NULL, 'P' },
		{ "policies", required_argument, NULL, 'y' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "tokens", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *objects = NULL, *policies = NULL, *pods = NULL;
	const char *cert = NULL, *key = NULL, *ca = NULL, *tok = NULL;
	const char *port_file = NULL;
	char *cert_pem, *key_pem, *ca_pem, err[CILKIT_ERRBUF_SIZE];
	unsigned port = 0;
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': ca = optarg; break;
		case 'b': lab_cfg.bin_dir = optarg; break;
		case 'c': cert = optarg; break;
		case 'f': port_file = optarg; break;
		case 'k': key = optarg; break;
		case 'l':
			logfp = fopen(optarg, "a");
			if (logfp == NULL) {
				perror(optarg);
				return 2;
			}
			break;
		case 'o': objects = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': pods = optarg; break;
		case 's':
			lab_cfg.page_size = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't': tok = optarg; break;
		case 'y': policies = optarg; break;
		default: usage();
		}
	}
	if (objects == NULL || pods == NULL || cert == NULL || key == NULL ||
	    ca == NULL || tok == NULL || optind != argc || port > 65535)
		usage();
	lab_cfg.start = time(NULL);
	if (lab_store_load(objects, policies, err, sizeof(err)) < 0) {
		fprintf(stderr, "lab-apiserver: %s\n", err);
		return 2;
	}
	load_pods(pods);
	load_tokens(tok);
	cert_pem = slurp(cert);
	key_pem = slurp(key);
	ca_pem = slurp(ca);

	/* Exec children are reaped by their sessions; writes to a closed
	 * socket must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* thread per connection: exec sessions block in their thread */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_ALLOW_UPGRADE |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, ca_pem,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "lab-apiserver: cannot start the HTTPS server "
		    "on 127.0.0.1:%u\n", port);
		return 3;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = di != NULL ? di->port : port;
	logmsg("listening on https://127.0.0.1:%u", port);
	if (port_file != NULL) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%u\n", port) < 0 ||
		    fclose(f) != 0 || rename(tmp, port_file) != 0) {
			fprintf(stderr, "lab-apiserver: %s: %s\n", port_file,
			    strerror(errno));
			MHD_stop_daemon(d);
			return 4;
		}
	}
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	logmsg("stopping on signal %d", sig);
	stopping = 1;
	MHD_stop_daemon(d);
	return 0;
}
