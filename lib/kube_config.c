/*
 * kube_config.c - kubeconfig merge and resolution, token files, exec
 * credential plugins, in-cluster config.  See kube_config.h and
 * kubernetes-api.md sections 1 and 2 for the rules followed here.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_base64.h"
#include "kube_config.h"
#include "kube_yaml.h"
#include "report.h"

extern char **environ;

/* How long an exec credential plugin may run before it is killed. */
#define EXEC_PLUGIN_TIMEOUT_MS	120000
/* tokenFile is re-read at most this often (client-go: one minute). */
#define TOKEN_FILE_PERIOD	60

struct entry {
	const char *name;
	struct json_object *obj;	/* borrowed from a loaded document */
	const char *origin;
};

struct merged {
	struct entry *clusters, *users, *contexts;
	size_t nclusters, nusers, ncontexts;
	const char *current;		/* first non-empty current-context */
	/* documents kept alive while entries point into them */
	struct json_object **docs;
	size_t ndocs;
	char **names;			/* file names, owned */
	size_t nnames;
	char *source;			/* "a:b" for messages */
};

static const char *
envget(const struct kube_config_opts *o, const char *name)
{
	if (o->no_env)
		return NULL;
	return getenv(name);
}

static void
merged_free(struct merged *m)
{
	size_t i;

	free(m->clusters);
	free(m->users);
	free(m->contexts);
	for (i = 0; i < m->ndocs; i++)
		json_object_put(m->docs[i]);
	free(m->docs);
	for (i = 0; i < m->nnames; i++)
		free(m->names[i]);
	free(m->names);
	free(m->source);
}

static const struct entry *
find_entry(const struct entry *e, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return &e[i];
	return NULL;
}

/*
 * Add the entries of one list (clusters/users/contexts) of one file:
 * a name already defined by an earlier file is dropped whole.
 */
static int
merge_list(struct json_object *doc, const char *list, const char *inner,
    const char *origin, struct entry **ents, size_t *n, char *errbuf,
    size_t errlen)
{
	struct json_object *arr, *it, *nm, *body;
	struct entry *ne;
	size_t i, len;

	if (!json_object_object_get_ex(doc, list, &arr) || arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: \"%s\" is not a list", origin, list);
	len = json_object_array_length(arr);
	for (i = 0; i < len; i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "name", &nm) ||
		    !json_object_is_type(nm, json_type_string) ||
		    json_object_get_string_len(nm) == 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: %s[%zu] has no name", origin, list, i);
		if (!json_object_object_get_ex(it, inner, &body) ||
		    body == NULL)
			body = NULL;
		else if (!json_object_is_type(body, json_type_object))
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: %s[%zu].%s is not a mapping", origin, list, i,
			    inner);
		if (find_entry(*ents, *n, json_object_get_string(nm)) != NULL)
			continue;
		ne = realloc(*ents, (*n + 1) * sizeof(**ents));
		if (ne == NULL)
			return CILKIT_ENOMEM;
		*ents = ne;
		ne[*n].name = json_object_get_string(nm);
		ne[*n].obj = body;
		ne[*n].origin = origin;
		(*n)++;
	}
	return 0;
}

/* Merge one parsed file (doc is kept by m). */
static int
merge_doc(struct merged *m, struct json_object *doc, const char *origin,
    char *errbuf, size_t errlen)
{
	struct json_object *cc, **nd;
	int r;

	nd = realloc(m->docs, (m->ndocs + 1) * sizeof(*nd));
	if (nd == NULL) {
		json_object_put(doc);
		return CILKIT_ENOMEM;
	}
	m->docs = nd;
	m->docs[m->ndocs++] = doc;
	if (!json_object_is_type(doc, json_type_object))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: not a kubeconfig (the top level is not a mapping)",
		    origin);
	if ((r = merge_list(doc, "clusters", "cluster", origin, &m->clusters,
	    &m->nclusters, errbuf, errlen)) < 0 ||
	    (r = merge_list(doc, "users", "user", origin, &m->users,
	    &m->nusers, errbuf, errlen)) < 0 ||
	    (r = merge_list(doc, "contexts", "context", origin, &m->contexts,
	    &m->ncontexts, errbuf, errlen)) < 0)
		return r;
	if (m->current == NULL &&
	    json_object_object_get_ex(doc, "current-context", &cc) &&
	    json_object_is_type(cc, json_type_string) &&
	    json_object_get_string_len(cc) > 0)
		m->current = json_object_get_string(cc);
	return 0;
}

static int
add_name(struct merged *m, const char *name)
{
	char **nn, *s;
	size_t l;

	nn = realloc(m->names, (m->nnames + 1) * sizeof(*nn));
	if (nn == NULL)
		return CILKIT_ENOMEM;
	m->names = nn;
	if ((m->names[m->nnames] = strdup(name)) == NULL)
		return CILKIT_ENOMEM;
	m->nnames++;
	l = (m->source ? strlen(m->source) + 1 : 0) + strlen(name) + 1;
	if ((s = malloc(l)) == NULL)
		return CILKIT_ENOMEM;
	snprintf(s, l, "%s%s%s", m->source ? m->source : "",
	    m->source ? ":" : "", name);
	free(m->source);
	m->source = s;
	return 0;
}

/* Parse one kubeconfig buffer into m under the given name. */
static int
merge_buffer(struct merged *m, const char *buf, size_t len,
    const char *name, char *errbuf, size_t errlen)
{
	struct json_object **docs = NULL;
	int n, r, i;

	if ((r = add_name(m, name)) < 0)
		return r;
	n = kube_yaml_parse(buf, len, m->names[m->nnames - 1], &docs, errbuf,
	    errlen);
	if (n < 0)
		return n;
	if (n == 0) {
		free(docs);
		return 0;
	}
	/* kubeconfigs are one document; later ones are ignored as
	 * sigs.k8s.io/yaml does */
	for (i = 1; i < n; i++)
		json_object_put(docs[i]);
	r = merge_doc(m, docs[0], m->names[m->nnames - 1], errbuf, errlen);
	free(docs);
	return r;
}

static int
merge_file(struct merged *m, const char *path, char *errbuf, size_t errlen)
{
	char *buf;
	size_t len;
	int r;

	char eb[CILKIT_ERRBUF_SIZE];

	r = kube_read_file(path, KUBE_CONFIG_MAX_FILE, &buf, &len, eb,
	    sizeof(eb));
	if (r < 0)
		return cilkit_fail(errbuf, errlen, r,
		    "cannot read kubeconfig %s", eb);
	r = merge_buffer(m, buf, len, path, errbuf, errlen);
	free(buf);
	return r;
}

/* ---- field access with messages that name the entry ---- */

struct where {
	const char *kind;	/* "cluster", "user", "context" */
	const char *name;
	const char *origin;
};

static int
get_str(struct json_object *o, const char *key, const struct where *w,
    const char **out, char *errbuf, size_t errlen)
{
	struct json_object *v;

	*out = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: %s \"%s\" has a %s that is not a string", w->origin,
		    w->kind, w->name, key);
	if (json_object_get_string_len(v) > 0)
		*out = json_object_get_string(v);
	return 0;
}

static int
get_bool(struct json_object *o, const char *key, const struct where *w,
    bool *out, char *errbuf, size_t errlen)
{
	struct json_object *v;

	*out = false;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: %s \"%s\" has a %s that is not true or false",
		    w->origin, w->kind, w->name, key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* Absolute path of p, relative paths taken from origin's folder. */
static char *
resolve_path(const char *p, const char *origin)
{
	char cwd[PATH_MAX], *out;
	const char *slash;
	size_t dl, l;

	if (p == NULL)
		return NULL;
	if (p[0] == '/' || origin == NULL)
		return strdup(p);
	slash = strrchr(origin, '/');
	dl = slash != NULL ? (size_t)(slash - origin) : 0;
	if (origin[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return strdup(p);
	} else {
		cwd[0] = '\0';
	}
	l = strlen(cwd) + dl + strlen(p) + 3;
	if ((out = malloc(l)) == NULL)
		return NULL;
	if (origin[0] == '/')
		snprintf(out, l, "%.*s/%s", (int)dl, origin, p);
	else if (dl > 0)
		snprintf(out, l, "%s/%.*s/%s", cwd, (int)dl, origin, p);
	else
		snprintf(out, l, "%s/%s", cwd, p);
	return out;
}

static int
check_readable(const char *path, const char *field, const struct where *w,
    char *errbuf, size_t errlen)
{
	if (access(path, R_OK) == 0)
		return 0;
	return cilkit_fail(errbuf, errlen,
	    errno == ENOENT ? CILKIT_ENOTFOUND : CILKIT_EIO,
	    "cannot read %s file %s of %s \"%s\" (in %s): %s", field, path,
	    w->kind, w->name, w->origin, strerror(errno));
}

static int
decode_data(const char *b64, const char *field, const struct where *w,
    uint8_t **out, size_t *outlen, char *errbuf, size_t errlen)
{
	char eb[128];
	size_t cap = strlen(b64) / 4 * 3 + 3;
	long n;

	if ((*out = malloc(cap + 1)) == NULL)
		return CILKIT_ENOMEM;
	n = kube_base64_decode(b64, strlen(b64), *out, cap, eb, sizeof(eb));
	if (n < 0) {
		free(*out);
		*out = NULL;
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s of %s \"%s\" (in %s) is not valid base64: %s", field,
		    w->kind, w->name, w->origin, eb);
	}
	(*out)[n] = '\0';
	*outlen = (size_t)n;
	return 0;
}

/* Trimmed contents of a small file: tokens, the SA namespace. */
static int
read_trimmed(const char *path, char **out, char *errbuf, size_t errlen)
{
	struct stat st;
	char *buf, *s, *e;
	size_t len;
	int r;

	*out = NULL;
	/* only regular files: a FIFO or device would block or never end */
	if (stat(path, &st) != 0)
		return cilkit_fail(errbuf, errlen, errno == ENOENT ?
		    CILKIT_ENOTFOUND : CILKIT_EIO, "%s: %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s is not a regular file", path);
	r = kube_read_file(path, KUBE_CONFIG_MAX_SECRET, &buf, &len, errbuf,
	    errlen);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s is not text", path);
	}
	for (s = buf; *s != '\0' && isspace((unsigned char)*s); s++)
		;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	if (*s == '\0') {
		free(buf);
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL, "%s is empty",
		    path);
	}
	memmove(buf, s, strlen(s) + 1);
	*out = buf;
	return 0;
}

void
kube_config_free(struct kube_config *c)
{
	char **p;

	if (c == NULL)
		return;
	free(c->source);
	free(c->context);
	free(c->cluster_name);
	free(c->user_name);
	free(c->ns);
	free(c->server);
	free(c->cluster_origin);
	free(c->user_origin);
	free(c->ca_file);
	free(c->ca_pem);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_pem);
	free(c->key_pem);
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->username);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	if (c->exec != NULL) {
		struct kube_exec_plugin *x = c->exec;

		free(x->api_version);
		free(x->command);
		for (p = x->args; p != NULL && *p != NULL; p++)
			free(*p);
		free(x->args);
		for (p = x->env; p != NULL && *p != NULL; p++)
			free(*p);
		free(x->env);
		free(x->install_hint);
		free(x->cluster_ext);
		free(x->token);
		free(x->cert_pem);
		free(x->key_pem);
		free(x);
	}
	free(c->impersonate_user);
	for (p = c->impersonate_groups; p != NULL && *p != NULL; p++)
		free(*p);
	free(c->impersonate_groups);
	free(c->warning);
	free(c);
}

const char *
kube_auth_name(enum kube_auth a)
{
	switch (a) {
	case KUBE_AUTH_NONE:	return "no credentials";
	case KUBE_AUTH_CERT:	return "client certificate";
	case KUBE_AUTH_TOKEN:	return "bearer token";
	case KUBE_AUTH_BASIC:	return "basic auth";
	case KUBE_AUTH_EXEC:	return "exec credential plugin";
	}
	return "?";
}

/* Names of the entries, for "contexts: a, b" hints. */
static void
list_names(const struct entry *e, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 4 < cap; i++) {
		int w = snprintf(out + o, cap - o, "%s%s", i ? ", " : "",
		    e[i].name);
		if (w < 0 || (size_t)w >= cap - o) {
			snprintf(out + o, cap - o, "...");
			break;
		}
		o += (size_t)w;
	}
}

/* Remove ANSI escape sequences (install hints are shown to the user). */
static char *
strip_ansi(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o;

	if (out == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s == '\033') {
			if (s[1] == '[') {
				for (s += 2; *s != '\0' &&
				    !(*s >= '@' && *s <= '~'); s++)
					;
				if (*s == '\0')
					break;
			} else if (s[1] != '\0') {
				s++;
			}
			continue;
		}
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static char **
string_list(struct json_object *arr, bool *bad)
{
	char **out;
	size_t i, n;

	*bad = false;
	if (arr == NULL)
		return calloc(1, sizeof(char *));
	if (!json_object_is_type(arr, json_type_array)) {
		*bad = true;
		return NULL;
	}
	n = json_object_array_length(arr);
	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(v, json_type_string)) {
			*bad = true;
			out[i] = NULL;
			break;
		}
		out[i] = strdup(json_object_get_string(v));
	}
	return out;
}

static int
resolve_exec(struct kube_config *c, struct json_object *ex,
    const struct where *w, char *errbuf, size_t errlen)
{
	struct kube_exec_plugin *x;
	struct json_object *v, *env, *it, *nm, *val;
	const char *s, *mode = NULL;
	bool bad;
	size_t i, n;
	int r;

	if (!json_object_is_type(ex, json_type_object))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: user \"%s\" has an exec entry that is not a mapping",
		    w->origin, w->name);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return CILKIT_ENOMEM;
	c->exec = x;
	if ((r = get_str(ex, "apiVersion", w, &s, errbuf, errlen)) < 0)
		return r;
	if (s == NULL || (strcmp(s, "client.authentication.k8s.io/v1") != 0 &&
	    strcmp(s, "client.authentication.k8s.io/v1beta1") != 0))
		return cilkit_fail(errbuf, errlen, CILKIT_EUNSUPPORTED,
		    "user \"%s\" (in %s) has exec apiVersion \"%s\"; only "
		    "client.authentication.k8s.io/v1 and v1beta1 are "
		    "supported", w->name, w->origin, s ? s : "");
	x->api_version = strdup(s);
	if ((r = get_str(ex, "command", w, &s, errbuf, errlen)) < 0)
		return r;
	if (s == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" (in %s) has an exec entry without a command",
		    w->name, w->origin);
	x->command = strchr(s, '/') != NULL ? resolve_path(s, w->origin) :
	    strdup(s);
	v = NULL;
	json_object_object_get_ex(ex, "args", &v);
	x->args = string_list(v, &bad);
	if (bad)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" (in %s): exec args must be a list of "
		    "strings", w->name, w->origin);
	env = NULL;
	json_object_object_get_ex(ex, "env", &env);
	n = env != NULL && json_object_is_type(env, json_type_array) ?
	    json_object_array_length(env) : 0;
	if (env != NULL && !json_object_is_type(env, json_type_array))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" (in %s): exec env must be a list", w->name,
		    w->origin);
	if ((x->env = calloc(n + 1, sizeof(char *))) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *en, *ev;
		size_t l;

		it = json_object_array_get_idx(env, i);
		if (!json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "name", &nm) ||
		    !json_object_is_type(nm, json_type_string) ||
		    json_object_get_string_len(nm) == 0 ||
		    strchr(json_object_get_string(nm), '=') != NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "user \"%s\" (in %s): exec env[%zu] has no valid "
			    "name", w->name, w->origin, i);
		en = json_object_get_string(nm);
		ev = "";
		if (json_object_object_get_ex(it, "value", &val) &&
		    val != NULL) {
			if (!json_object_is_type(val, json_type_string))
				return cilkit_fail(errbuf, errlen,
				    CILKIT_EINVAL, "user \"%s\" (in %s): exec "
				    "env %s value is not a string", w->name,
				    w->origin, en);
			ev = json_object_get_string(val);
		}
		l = strlen(en) + strlen(ev) + 2;
		if ((x->env[i] = malloc(l)) == NULL)
			return CILKIT_ENOMEM;
		snprintf(x->env[i], l, "%s=%s", en, ev);
	}
	if ((r = get_str(ex, "installHint", w, &s, errbuf, errlen)) < 0)
		return r;
	if (s != NULL)
		x->install_hint = strip_ansi(s);
	if ((r = get_bool(ex, "provideClusterInfo", w,
	    &x->provide_cluster_info, errbuf, errlen)) < 0)
		return r;
	if ((r = get_str(ex, "interactiveMode", w, &mode, errbuf,
	    errlen)) < 0)
		return r;
	if (mode == NULL && strcmp(x->api_version,
	    "client.authentication.k8s.io/v1") == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" (in %s): exec interactiveMode is required "
		    "for client.authentication.k8s.io/v1 (use Never or "
		    "IfAvailable)", w->name, w->origin);
	if (mode != NULL && strcmp(mode, "Never") != 0 &&
	    strcmp(mode, "IfAvailable") != 0) {
		if (strcmp(mode, "Always") == 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EUNSUPPORTED,
			    "user \"%s\" (in %s): exec interactiveMode Always "
			    "needs a terminal, which this program does not "
			    "give plugins; use IfAvailable or Never",
			    w->name, w->origin);
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" (in %s): exec interactiveMode \"%s\" is not "
		    "Never, IfAvailable or Always", w->name, w->origin, mode);
	}
	return 0;
}

/* The cluster extension passed to plugins as spec.cluster.config. */
static char *
exec_cluster_ext(struct json_object *cl)
{
	struct json_object *exts, *it, *nm, *ext;
	size_t i, n;

	if (cl == NULL || !json_object_object_get_ex(cl, "extensions", &exts) ||
	    !json_object_is_type(exts, json_type_array))
		return NULL;
	n = json_object_array_length(exts);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(exts, i);
		if (json_object_object_get_ex(it, "name", &nm) &&
		    json_object_is_type(nm, json_type_string) &&
		    strcmp(json_object_get_string(nm),
		    "client.authentication.k8s.io/exec") == 0 &&
		    json_object_object_get_ex(it, "extension", &ext))
			return strdup(json_object_to_json_string_ext(ext,
			    JSON_C_TO_STRING_PLAIN));
	}
	return NULL;
}

static int
resolve_cluster(struct kube_config *c, const struct entry *ce, char *errbuf,
    size_t errlen)
{
	struct where w = { "cluster", ce->name, ce->origin };
	struct json_object *o = ce->obj;
	const char *server, *ca, *cad, *tsn, *proxy;
	size_t l;
	int r;

	if ((r = get_str(o, "server", &w, &server, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "certificate-authority", &w, &ca, errbuf,
	    errlen)) < 0 ||
	    (r = get_str(o, "certificate-authority-data", &w, &cad, errbuf,
	    errlen)) < 0 ||
	    (r = get_str(o, "tls-server-name", &w, &tsn, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "proxy-url", &w, &proxy, errbuf, errlen)) < 0 ||
	    (r = get_bool(o, "insecure-skip-tls-verify", &w, &c->insecure,
	    errbuf, errlen)) < 0 ||
	    (r = get_bool(o, "disable-compression", &w,
	    &c->disable_compression, errbuf, errlen)) < 0)
		return r;
	if (server == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "cluster \"%s\" in %s has no server; add its https:// URL",
		    ce->name, ce->origin);
	if (strncmp(server, "https://", 8) != 0 &&
	    strncmp(server, "http://", 7) != 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "cluster \"%s\" in %s has server \"%s\", which is not an "
		    "http(s):// URL", ce->name, ce->origin, server);
	c->server = strdup(server);
	if (c->server == NULL)
		return CILKIT_ENOMEM;
	l = strlen(c->server);
	while (l > 8 && c->server[l - 1] == '/')
		c->server[--l] = '\0';
	c->cluster_origin = strdup(ce->origin);
	if (ca != NULL && cad != NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "cluster \"%s\" in %s sets both certificate-authority and "
		    "certificate-authority-data; keep one", ce->name,
		    ce->origin);
	if (c->insecure && (ca != NULL || cad != NULL))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "cluster \"%s\" in %s sets insecure-skip-tls-verify "
		    "together with a certificate authority; kubectl refuses "
		    "this too, remove one", ce->name, ce->origin);
	if (ca != NULL) {
		c->ca_file = resolve_path(ca, ce->origin);
		if (c->ca_file == NULL)
			return CILKIT_ENOMEM;
		if ((r = check_readable(c->ca_file, "certificate-authority",
		    &w, errbuf, errlen)) < 0)
			return r;
	}
	if (cad != NULL && (r = decode_data(cad,
	    "certificate-authority-data", &w, &c->ca_pem, &c->ca_len, errbuf,
	    errlen)) < 0)
		return r;
	if (tsn != NULL)
		c->tls_server_name = strdup(tsn);
	if (proxy != NULL) {
		if (strncmp(proxy, "http://", 7) != 0 &&
		    strncmp(proxy, "https://", 8) != 0 &&
		    strncmp(proxy, "socks5://", 9) != 0)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "cluster \"%s\" in %s has a proxy-url whose scheme "
			    "is not http, https or socks5", ce->name,
			    ce->origin);
		c->proxy_url = strdup(proxy);
	}
	if (c->insecure) {
		char wb[512];

		snprintf(wb, sizeof(wb), "TLS certificate checks are off "
		    "for cluster \"%s\" (insecure-skip-tls-verify in %s): the "
		    "connection to %s can be intercepted", ce->name,
		    ce->origin, c->server);
		c->warning = strdup(wb);
	}
	return 0;
}

static int
resolve_user(struct kube_config *c, const struct entry *ue,
    struct json_object *cluster_obj, char *errbuf, size_t errlen)
{
	struct where w = { "user", ue->name, ue->origin };
	struct json_object *o = ue->obj, *v;
	const char *cert, *certd, *key, *keyd, *tok, *tokf, *user, *pass, *as;
	const char *methods[3];
	bool bad;
	int r, nm = 0;

	if ((r = get_str(o, "client-certificate", &w, &cert, errbuf,
	    errlen)) < 0 ||
	    (r = get_str(o, "client-certificate-data", &w, &certd, errbuf,
	    errlen)) < 0 ||
	    (r = get_str(o, "client-key", &w, &key, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "client-key-data", &w, &keyd, errbuf,
	    errlen)) < 0 ||
	    (r = get_str(o, "token", &w, &tok, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "tokenFile", &w, &tokf, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "username", &w, &user, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "password", &w, &pass, errbuf, errlen)) < 0 ||
	    (r = get_str(o, "as", &w, &as, errbuf, errlen)) < 0)
		return r;
	c->user_origin = strdup(ue->origin);
	if (o != NULL && json_object_object_get_ex(o, "auth-provider", &v) &&
	    v != NULL) {
		struct json_object *pn = NULL;

		json_object_object_get_ex(v, "name", &pn);
		return cilkit_fail(errbuf, errlen, CILKIT_EUNSUPPORTED,
		    "user \"%s\" in %s uses the auth-provider \"%s\", which "
		    "kubectl removed; switch it to an exec credential plugin "
		    "(e.g. gke-gcloud-auth-plugin or kubelogin)", ue->name,
		    ue->origin, pn != NULL && json_object_is_type(pn,
		    json_type_string) ? json_object_get_string(pn) : "?");
	}
	if (tok != NULL || tokf != NULL)
		methods[nm++] = "token";
	if (user != NULL || pass != NULL)
		methods[nm++] = "basic auth";
	if (cert != NULL || certd != NULL || key != NULL || keyd != NULL)
		methods[nm++] = "client certificate";
	if (nm > 1)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" in %s has more than one authentication "
		    "method (%s and %s); keep one", ue->name, ue->origin,
		    methods[0], methods[1]);
	if (as != NULL)
		c->impersonate_user = strdup(as);
	v = NULL;
	if (o != NULL)
		json_object_object_get_ex(o, "as-groups", &v);
	c->impersonate_groups = string_list(v, &bad);
	if (bad)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" in %s: as-groups must be a list of strings",
		    ue->name, ue->origin);
	if (cert != NULL && certd != NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" in %s sets both client-certificate and "
		    "client-certificate-data; keep one", ue->name, ue->origin);
	if (key != NULL && keyd != NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" in %s sets both client-key and "
		    "client-key-data; keep one", ue->name, ue->origin);
	if ((cert != NULL || certd != NULL) != (key != NULL || keyd != NULL))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" in %s has a client %s without its %s",
		    ue->name, ue->origin,
		    cert != NULL || certd != NULL ? "certificate" : "key",
		    cert != NULL || certd != NULL ? "key" : "certificate");
	if (cert != NULL) {
		c->auth = KUBE_AUTH_CERT;
		if ((c->cert_file = resolve_path(cert, ue->origin)) == NULL)
			return CILKIT_ENOMEM;
		if ((r = check_readable(c->cert_file, "client-certificate", &w,
		    errbuf, errlen)) < 0)
			return r;
	}
	if (certd != NULL) {
		c->auth = KUBE_AUTH_CERT;
		if ((r = decode_data(certd, "client-certificate-data", &w,
		    &c->cert_pem, &c->cert_len, errbuf, errlen)) < 0)
			return r;
	}
	if (key != NULL) {
		if ((c->key_file = resolve_path(key, ue->origin)) == NULL)
			return CILKIT_ENOMEM;
		if ((r = check_readable(c->key_file, "client-key", &w, errbuf,
		    errlen)) < 0)
			return r;
	}
	if (keyd != NULL && (r = decode_data(keyd, "client-key-data", &w,
	    &c->key_pem, &c->key_len, errbuf, errlen)) < 0)
		return r;
	if (tok != NULL || tokf != NULL) {
		c->auth = KUBE_AUTH_TOKEN;
		if (tok != NULL && (c->token = strdup(tok)) == NULL)
			return CILKIT_ENOMEM;
		if (tokf != NULL) {
			char eb[CILKIT_ERRBUF_SIZE];

			c->token_file = resolve_path(tokf, ue->origin);
			if (c->token_file == NULL)
				return CILKIT_ENOMEM;
			if (c->token == NULL) {
				r = read_trimmed(c->token_file, &c->token, eb,
				    sizeof(eb));
				if (r < 0)
					return cilkit_fail(errbuf, errlen, r,
					    "cannot read the tokenFile of user "
					    "\"%s\" (in %s): %s", ue->name,
					    ue->origin, eb);
			}
			c->token_read = time(NULL);
		}
	}
	if (user != NULL || pass != NULL) {
		c->auth = KUBE_AUTH_BASIC;
		c->username = strdup(user ? user : "");
		c->password = strdup(pass ? pass : "");
	}
	if (o != NULL && json_object_object_get_ex(o, "exec", &v) &&
	    v != NULL && c->auth == KUBE_AUTH_NONE) {
		/* a token, basic auth or certificate wins over the plugin */
		if ((r = resolve_exec(c, v, &w, errbuf, errlen)) < 0)
			return r;
		c->exec->cluster_ext = exec_cluster_ext(cluster_obj);
		c->auth = KUBE_AUTH_EXEC;
	}
	return 0;
}

static int
incluster(const struct kube_config_opts *o, struct kube_config **out,
    char *errbuf, size_t errlen)
{
	const char *host = envget(o, "KUBERNETES_SERVICE_HOST");
	const char *port = envget(o, "KUBERNETES_SERVICE_PORT");
	const char *dir = o->sa_dir != NULL ? o->sa_dir : KUBE_SA_DIR;
	const char *pns = envget(o, "POD_NAMESPACE");
	struct kube_config *c;
	struct stat st;
	char path[PATH_MAX], eb[CILKIT_ERRBUF_SIZE];
	size_t l;
	int r;

	if (host == NULL || port == NULL || *host == '\0' || *port == '\0')
		return CILKIT_ENOTFOUND;
	snprintf(path, sizeof(path), "%s/token", dir);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return CILKIT_ENOTFOUND;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CILKIT_ENOMEM;
	c->source = strdup("in-cluster");
	c->context = strdup("");
	c->cluster_name = strdup("in-cluster");
	c->user_name = strdup("serviceaccount");
	l = strlen(host) + strlen(port) + 12;
	c->server = malloc(l);
	if (c->server != NULL)
		snprintf(c->server, l, strchr(host, ':') ? "https://[%s]:%s" :
		    "https://%s:%s", host, port);
	c->auth = KUBE_AUTH_TOKEN;
	c->token_file = strdup(path);
	if ((r = read_trimmed(path, &c->token, eb, sizeof(eb))) < 0) {
		kube_config_free(c);
		return cilkit_fail(errbuf, errlen, r,
		    "cannot read the service-account token: %s", eb);
	}
	c->token_read = time(NULL);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	/* client-go goes on without the CA if it cannot be read */
	if (access(path, R_OK) == 0)
		c->ca_file = strdup(path);
	if (o->ns != NULL)
		c->ns = strdup(o->ns);
	else if (pns != NULL && *pns != '\0')
		c->ns = strdup(pns);
	else {
		snprintf(path, sizeof(path), "%s/namespace", dir);
		if (read_trimmed(path, &c->ns, eb, sizeof(eb)) < 0)
			c->ns = strdup("default");
	}
	if (c->source == NULL || c->server == NULL || c->ns == NULL ||
	    c->token_file == NULL) {
		kube_config_free(c);
		return CILKIT_ENOMEM;
	}
	*out = c;
	return 0;
}

static int
resolve(struct merged *m, const struct kube_config_opts *o,
    struct kube_config **out, char *errbuf, size_t errlen)
{
	const struct entry *ctx, *ce, *ue = NULL;
	struct kube_config *c;
	const char *cname, *cl, *us, *ns;
	struct where w;
	char names[256];
	int r;

	*out = NULL;
	cname = o->context != NULL ? o->context : m->current;
	if (m->ncontexts == 0 && m->nclusters == 0 && m->nusers == 0 &&
	    cname == NULL) {
		/* an empty or absent kubeconfig: the in-cluster config */
		r = incluster(o, out, errbuf, errlen);
		if (r != CILKIT_ENOTFOUND)
			return r;
		if (m->nnames == 0)
			return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
			    "no kubeconfig found and not running in a "
			    "cluster; set KUBECONFIG or pass --kubeconfig");
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "kubeconfig %s defines no context; add one or pass "
		    "--kubeconfig", m->source);
	}
	list_names(m->contexts, m->ncontexts, names, sizeof(names));
	if (cname == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "kubeconfig %s sets no current-context; pass --context "
		    "(contexts: %s)", m->source, names);
	ctx = find_entry(m->contexts, m->ncontexts, cname);
	if (ctx == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "context \"%s\" not found in kubeconfig %s (contexts: %s)",
		    cname, m->source, names[0] ? names : "none");
	w.kind = "context";
	w.name = ctx->name;
	w.origin = ctx->origin;
	if ((r = get_str(ctx->obj, "cluster", &w, &cl, errbuf, errlen)) < 0 ||
	    (r = get_str(ctx->obj, "user", &w, &us, errbuf, errlen)) < 0 ||
	    (r = get_str(ctx->obj, "namespace", &w, &ns, errbuf, errlen)) < 0)
		return r;
	if (cl == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "context \"%s\" in %s names no cluster", ctx->name,
		    ctx->origin);
	ce = find_entry(m->clusters, m->nclusters, cl);
	if (ce == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "context \"%s\" (in %s) refers to cluster \"%s\", which "
		    "no kubeconfig file defines", ctx->name, ctx->origin, cl);
	if (us != NULL) {
		ue = find_entry(m->users, m->nusers, us);
		if (ue == NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "context \"%s\" (in %s) refers to user \"%s\", "
			    "which no kubeconfig file defines", ctx->name,
			    ctx->origin, us);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CILKIT_ENOMEM;
	c->source = strdup(m->source);
	c->context = strdup(ctx->name);
	c->cluster_name = strdup(ce->name);
	c->user_name = strdup(ue != NULL ? ue->name : "");
	c->ns = strdup(o->ns != NULL ? o->ns : ns != NULL ? ns : "default");
	if (c->source == NULL || c->context == NULL || c->cluster_name ==
	    NULL || c->user_name == NULL || c->ns == NULL) {
		r = CILKIT_ENOMEM;
		goto fail;
	}
	if ((r = resolve_cluster(c, ce, errbuf, errlen)) < 0)
		goto fail;
	if (ue != NULL && (r = resolve_user(c, ue, ce->obj, errbuf,
	    errlen)) < 0)
		goto fail;
	if (strncmp(c->server, "http://", 7) == 0 && c->auth !=
	    KUBE_AUTH_NONE) {
		/* client-go sends credentials only over TLS */
		char wb[512];

		snprintf(wb, sizeof(wb), "server %s is plain http, so the "
		    "credentials of user \"%s\" are not sent", c->server,
		    c->user_name);
		free(c->warning);
		c->warning = strdup(wb);
		c->auth = KUBE_AUTH_NONE;
	}
	*out = c;
	return 0;
fail:
	kube_config_free(c);
	return r;
}

int
kube_config_load(const struct kube_config_opts *opts,
    struct kube_config **out, char *errbuf, size_t errlen)
{
	static const struct kube_config_opts defaults;
	const struct kube_config_opts *o = opts != NULL ? opts : &defaults;
	struct merged m;
	const char *kc, *home;
	char *list = NULL, *p, *save = NULL, path[PATH_MAX];
	size_t i;
	int r = 0;

	*out = NULL;
	memset(&m, 0, sizeof(m));
	kc = o->kubeconfig_env != NULL ? o->kubeconfig_env :
	    envget(o, "KUBECONFIG");
	home = o->home != NULL ? o->home : envget(o, "HOME");
	if (o->kubeconfig != NULL) {
		if (access(o->kubeconfig, F_OK) != 0) {
			r = cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
			    "kubeconfig %s: %s", o->kubeconfig,
			    strerror(errno));
			goto out;
		}
		if ((r = merge_file(&m, o->kubeconfig, errbuf, errlen)) < 0)
			goto out;
	} else if (kc != NULL && *kc != '\0') {
		if ((list = strdup(kc)) == NULL) {
			r = CILKIT_ENOMEM;
			goto out;
		}
		for (p = strtok_r(list, ":", &save); p != NULL;
		    p = strtok_r(NULL, ":", &save)) {
			bool dup = false;

			for (i = 0; i < m.nnames; i++)
				if (strcmp(m.names[i], p) == 0)
					dup = true;
			/* missing files are skipped silently, as kubectl */
			if (dup || access(p, F_OK) != 0)
				continue;
			if ((r = merge_file(&m, p, errbuf, errlen)) < 0)
				goto out;
		}
	} else if (home != NULL && *home != '\0') {
		snprintf(path, sizeof(path), "%s/.kube/config", home);
		if (access(path, F_OK) == 0 &&
		    (r = merge_file(&m, path, errbuf, errlen)) < 0)
			goto out;
	}
	r = resolve(&m, o, out, errbuf, errlen);
out:
	free(list);
	merged_free(&m);
	return r;
}

int
kube_config_load_buffer(const char *buf, size_t len, const char *name,
    const struct kube_config_opts *opts, struct kube_config **out,
    char *errbuf, size_t errlen)
{
	static const struct kube_config_opts defaults = { .no_env = true };
	const struct kube_config_opts *o = opts != NULL ? opts : &defaults;
	struct merged m;
	int r;

	*out = NULL;
	memset(&m, 0, sizeof(m));
	if ((r = merge_buffer(&m, buf, len, name, errbuf, errlen)) == 0)
		r = resolve(&m, o, out, errbuf, errlen);
	merged_free(&m);
	return r;
}

/* ---- time ---- */

int
kube_parse_time(const char *s, time_t *out)
{
	int64_t t;

	/* An expiry before 1970 is as broken as one that does not parse. */
	if (s == NULL || report_parse_rfc3339_sec(s, strlen(s), &t) < 0 ||
	    t < 0)
		return CILKIT_EINVAL;
	*out = (time_t)t;
	return 0;
}

/* ---- exec credential plugins ---- */

/* Find a bare command in PATH; returns a malloc'd path or NULL. */
static char *
path_lookup(const char *cmd, const char *pathenv)
{
	char *list, *p, *save = NULL, *full = NULL;
	size_t l;

	if (strchr(cmd, '/') != NULL)
		return access(cmd, X_OK) == 0 ? strdup(cmd) : NULL;
	if (pathenv == NULL || *pathenv == '\0')
		pathenv = "/usr/local/bin:/usr/bin:/bin";
	if ((list = strdup(pathenv)) == NULL)
		return NULL;
	for (p = strtok_r(list, ":", &save); p != NULL;
	    p = strtok_r(NULL, ":", &save)) {
		l = strlen(p) + strlen(cmd) + 2;
		if ((full = malloc(l)) == NULL)
			break;
		snprintf(full, l, "%s/%s", *p ? p : ".", cmd);
		if (access(full, X_OK) == 0)
			break;
		free(full);
		full = NULL;
	}
	free(list);
	return full;
}

static char *
exec_info_json(const struct kube_config *c)
{
	struct json_object *root, *spec, *cl;
	char *out = NULL, *b64 = NULL, *ca = NULL;
	size_t calen = 0;
	char eb[CILKIT_ERRBUF_SIZE];

	root = json_object_new_object();
	spec = json_object_new_object();
	json_object_object_add(root, "kind",
	    json_object_new_string("ExecCredential"));
	json_object_object_add(root, "apiVersion",
	    json_object_new_string(c->exec->api_version));
	if (c->exec->provide_cluster_info) {
		cl = json_object_new_object();
		json_object_object_add(cl, "server",
		    json_object_new_string(c->server));
		if (c->tls_server_name != NULL)
			json_object_object_add(cl, "tls-server-name",
			    json_object_new_string(c->tls_server_name));
		if (c->insecure)
			json_object_object_add(cl, "insecure-skip-tls-verify",
			    json_object_new_boolean(1));
		if (c->ca_pem != NULL) {
			ca = (char *)c->ca_pem;
			calen = c->ca_len;
		} else if (c->ca_file != NULL) {
			(void)kube_read_file(c->ca_file, KUBE_CONFIG_MAX_FILE,
			    &ca, &calen, eb, sizeof(eb));
		}
		if (ca != NULL &&
		    (b64 = malloc(KUBE_BASE64_ENCLEN(calen) + 1)) != NULL) {
			kube_base64_encode(ca, calen, b64,
			    KUBE_BASE64_ENCLEN(calen) + 1);
			json_object_object_add(cl,
			    "certificate-authority-data",
			    json_object_new_string(b64));
		}
		if (ca != NULL && ca != (char *)c->ca_pem)
			free(ca);
		free(b64);
		if (c->proxy_url != NULL)
			json_object_object_add(cl, "proxy-url",
			    json_object_new_string(c->proxy_url));
		if (c->disable_compression)
			json_object_object_add(cl, "disable-compression",
			    json_object_new_boolean(1));
		json_object_object_add(cl, "config",
		    c->exec->cluster_ext != NULL ?
		    json_tokener_parse(c->exec->cluster_ext) : NULL);
		json_object_object_add(spec, "cluster", cl);
	}
	json_object_object_add(spec, "interactive",
	    json_object_new_boolean(0));
	json_object_object_add(root, "spec", spec);
	out = strdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return out;
}

/* Run the plugin; its stdout (capped) goes to *outp. */
static int
spawn_plugin(const struct kube_config *c, const char *path, char **outp,
    size_t *outlen, int *status, char *errbuf, size_t errlen)
{
	const struct kube_exec_plugin *x = c->exec;
	posix_spawn_file_actions_t fa;
	char **argv = NULL, **envp = NULL, *info = NULL, *infoenv = NULL;
	char *buf = NULL;
	size_t nargs = 0, nenv = 0, nx = 0, i, len = 0, cap = 0;
	struct timespec t0, t1;
	pid_t pid = -1;
	int pfd[2] = { -1, -1 }, r = 0, fa_ok = 0;

	*outp = NULL;
	while (x->args[nargs] != NULL)
		nargs++;
	while (environ != NULL && environ[nenv] != NULL)
		nenv++;
	while (x->env[nx] != NULL)
		nx++;
	argv = calloc(nargs + 2, sizeof(*argv));
	envp = calloc(nenv + nx + 2, sizeof(*envp));
	info = exec_info_json(c);
	if (argv == NULL || envp == NULL || info == NULL) {
		r = CILKIT_ENOMEM;
		goto out;
	}
	argv[0] = (char *)x->command;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = x->args[i];
	for (i = 0; i < nenv; i++)
		envp[i] = environ[i];
	for (i = 0; i < nx; i++)
		envp[nenv + i] = x->env[i];
	if (asprintf(&infoenv, "KUBERNETES_EXEC_INFO=%s", info) < 0) {
		infoenv = NULL;
		r = CILKIT_ENOMEM;
		goto out;
	}
	envp[nenv + nx] = infoenv;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		r = cilkit_fail(errbuf, errlen, CILKIT_EIO, "pipe: %s",
		    strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	fa_ok = 1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	if (r != 0) {
		pid = -1;
		r = cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "exec credential plugin %s could not be started: %s",
		    x->command, strerror(r));
		goto out;
	}
	close(pfd[1]);
	pfd[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		ssize_t n;
		long el;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= EXEC_PLUGIN_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			r = cilkit_fail(errbuf, errlen, CILKIT_ETIMEOUT,
			    "exec credential plugin %s did not finish in %d "
			    "seconds", x->command, EXEC_PLUGIN_TIMEOUT_MS / 1000);
			goto out;
		}
		if (poll(&pf, 1, (int)(EXEC_PLUGIN_TIMEOUT_MS - el)) < 0 &&
		    errno != EINTR)
			break;
		if (len + 4096 + 1 > cap) {
			char *nb;

			if (cap >= KUBE_CONFIG_MAX_SECRET) {
				kill(pid, SIGKILL);
				r = cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
				    "exec credential plugin %s wrote more than "
				    "%zu bytes", x->command,
				    KUBE_CONFIG_MAX_SECRET);
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				r = CILKIT_ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		r = CILKIT_ENOMEM;
		goto out;
	}
	buf[len] = '\0';
out:
	if (pid > 0) {
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(argv);
	free(envp);
	free(info);
	free(infoenv);
	if (r < 0) {
		free(buf);
		return r;
	}
	*outp = buf;
	*outlen = len;
	return 0;
}

int
kube_config_run_exec(struct kube_config *c, char *errbuf, size_t errlen)
{
	struct kube_exec_plugin *x = c->exec;
	struct json_object *root = NULL, *v, *st;
	struct json_tokener *tok;
	const char *pathenv = getenv("PATH"), *s;
	char *path = NULL, *out = NULL;
	size_t outlen = 0;
	int status = 0, r, i;

	if (x == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "user \"%s\" has no exec credential plugin", c->user_name);
	/* exec.env may set PATH for the lookup, as it does for Go's
	 * exec.Command via the child's environment (lookups use the
	 * parent's PATH; we do the same) */
	path = path_lookup(x->command, pathenv);
	if (path == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOTFOUND,
		    "exec credential plugin \"%s\" of user \"%s\" was not "
		    "found%s%s%s", x->command, c->user_name,
		    strchr(x->command, '/') ? "" : " in PATH",
		    x->install_hint ? "; " : "",
		    x->install_hint ? x->install_hint : "");
	r = spawn_plugin(c, path, &out, &outlen, &status, errbuf, errlen);
	free(path);
	if (r < 0)
		return r;
	if (WIFSIGNALED(status) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		free(out);
		if (WIFSIGNALED(status))
			return cilkit_fail(errbuf, errlen, CILKIT_EAUTH,
			    "exec credential plugin %s was killed by signal "
			    "%d", x->command, WTERMSIG(status));
		return cilkit_fail(errbuf, errlen, CILKIT_EAUTH,
		    "exec credential plugin %s failed with exit code %d",
		    x->command, WEXITSTATUS(status));
	}
	tok = json_tokener_new_ex(32);
	if (tok == NULL) {
		free(out);
		return CILKIT_ENOMEM;
	}
	root = json_tokener_parse_ex(tok, out, (int)outlen);
	if (root != NULL && tok->char_offset < (int)outlen) {
		for (i = tok->char_offset; i < (int)outlen; i++)
			if (!isspace((unsigned char)out[i]))
				break;
		if (i < (int)outlen) {
			json_object_put(root);
			root = NULL;
		}
	}
	json_tokener_free(tok);
	explicit_bzero(out, outlen);
	free(out);
	r = CILKIT_EAUTH;
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		r = cilkit_fail(errbuf, errlen, r, "exec credential plugin %s "
		    "did not print an ExecCredential JSON object", x->command);
		goto out;
	}
	if (!json_object_object_get_ex(root, "apiVersion", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), x->api_version) != 0) {
		r = cilkit_fail(errbuf, errlen, r, "exec credential plugin %s "
		    "answered with apiVersion \"%s\", not the configured %s",
		    x->command, v != NULL && json_object_is_type(v,
		    json_type_string) ? json_object_get_string(v) : "",
		    x->api_version);
		goto out;
	}
	if (!json_object_object_get_ex(root, "status", &st) ||
	    !json_object_is_type(st, json_type_object)) {
		r = cilkit_fail(errbuf, errlen, r, "exec credential plugin %s "
		    "answered without a status", x->command);
		goto out;
	}
	free(x->token);
	free(x->cert_pem);
	free(x->key_pem);
	x->token = x->cert_pem = x->key_pem = NULL;
	x->have = false;
	x->expiry = 0;
	if (json_object_object_get_ex(st, "token", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		x->token = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(st, "clientCertificateData", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		x->cert_pem = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(st, "clientKeyData", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		x->key_pem = strdup(json_object_get_string(v));
	if ((x->cert_pem == NULL) != (x->key_pem == NULL)) {
		r = cilkit_fail(errbuf, errlen, r, "exec credential plugin %s "
		    "returned a client %s without its %s", x->command,
		    x->cert_pem ? "certificate" : "key",
		    x->cert_pem ? "key" : "certificate");
		goto out;
	}
	if (x->token == NULL && x->cert_pem == NULL) {
		r = cilkit_fail(errbuf, errlen, r, "exec credential plugin %s "
		    "returned neither a token nor a client certificate",
		    x->command);
		goto out;
	}
	if (json_object_object_get_ex(st, "expirationTimestamp", &v) &&
	    v != NULL) {
		s = json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "";
		if (kube_parse_time(s, &x->expiry) < 0) {
			r = cilkit_fail(errbuf, errlen, r, "exec credential "
			    "plugin %s returned a bad expirationTimestamp "
			    "\"%.40s\"", x->command, s);
			goto out;
		}
	}
	x->have = true;
	r = 0;
out:
	json_object_put(root);
	return r;
}

/*
 * Clients in several threads may share one config (cilium_agent runs
 * one exec per agent): token re-reads and plugin runs are serialised.
 */
static pthread_mutex_t token_mu = PTHREAD_MUTEX_INITIALIZER;

static int token_locked(struct kube_config *c, bool force_reload,
    const char **token, char *errbuf, size_t errlen);

int
kube_config_token(struct kube_config *c, bool force_reload,
    const char **token, char *errbuf, size_t errlen)
{
	int r;

	pthread_mutex_lock(&token_mu);
	r = token_locked(c, force_reload, token, errbuf, errlen);
	pthread_mutex_unlock(&token_mu);
	return r;
}

int
kube_config_token_dup(struct kube_config *c, bool force_reload,
    char **token, char *errbuf, size_t errlen)
{
	const char *t = NULL;
	int r;

	*token = NULL;
	pthread_mutex_lock(&token_mu);
	r = token_locked(c, force_reload, &t, errbuf, errlen);
	if (r == 0 && t != NULL && (*token = strdup(t)) == NULL)
		r = CILKIT_ENOMEM;
	pthread_mutex_unlock(&token_mu);
	return r;
}

int
kube_config_exec_cert_dup(struct kube_config *c, char **cert, char **key)
{
	int r = 0;

	*cert = *key = NULL;
	pthread_mutex_lock(&token_mu);
	if (c->exec != NULL && c->exec->have && c->exec->cert_pem != NULL &&
	    c->exec->key_pem != NULL) {
		*cert = strdup(c->exec->cert_pem);
		*key = strdup(c->exec->key_pem);
		if (*cert == NULL || *key == NULL) {
			free(*cert);
			free(*key);
			*cert = *key = NULL;
			r = CILKIT_ENOMEM;
		}
	}
	pthread_mutex_unlock(&token_mu);
	return r;
}

static int
token_locked(struct kube_config *c, bool force_reload,
    const char **token, char *errbuf, size_t errlen)
{
	char *nt = NULL, eb[CILKIT_ERRBUF_SIZE];
	time_t now = time(NULL);
	int r;

	*token = NULL;
	if (c->auth == KUBE_AUTH_TOKEN) {
		if (c->token_file != NULL && (force_reload ||
		    now - c->token_read >= TOKEN_FILE_PERIOD ||
		    c->token == NULL)) {
			r = read_trimmed(c->token_file, &nt, eb, sizeof(eb));
			if (r == 0) {
				if (c->token != NULL)
					explicit_bzero(c->token,
					    strlen(c->token));
				free(c->token);
				c->token = nt;
				c->token_read = now;
			} else if (c->token == NULL) {
				return cilkit_fail(errbuf, errlen, r,
				    "cannot read the tokenFile of user \"%s\": "
				    "%s", c->user_name, eb);
			}
			/* a failed re-read keeps the old token */
		}
		*token = c->token;
		return 0;
	}
	if (c->auth == KUBE_AUTH_EXEC) {
		if (force_reload || !c->exec->have ||
		    (c->exec->expiry != 0 && now >= c->exec->expiry)) {
			if ((r = kube_config_run_exec(c, errbuf, errlen)) < 0)
				return r;
		}
		*token = c->exec->token;
		return 0;
	}
	return 0;
}
