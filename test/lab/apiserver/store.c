/*
 * store.c - the lab API server's objects: loading, discovery documents,
 * GET and LIST with label/field selectors, limit/continue paging and the
 * Table form kubectl asks for.  Shapes follow kubernetes-api.md 4 and 5.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "kube_yaml.h"
#include "lab.h"

enum {
	TBL_GENERIC, TBL_POD, TBL_NAMESPACE, TBL_NODE, TBL_SERVICE,
	TBL_EPSLICE, TBL_NETPOL, TBL_CNP, TBL_CEP
};

struct lab_resource lab_resources[] = {
	{ "", "v1", "namespaces", "namespace", "Namespace", false, "ns", "",
	  TBL_NAMESPACE, NULL, 0 },
	{ "", "v1", "nodes", "node", "Node", false, "no", "",
	  TBL_NODE, NULL, 0 },
	{ "", "v1", "pods", "pod", "Pod", true, "po", "all",
	  TBL_POD, NULL, 0 },
	{ "", "v1", "services", "service", "Service", true, "svc", "all",
	  TBL_SERVICE, NULL, 0 },
	{ "discovery.k8s.io", "v1", "endpointslices", "endpointslice",
	  "EndpointSlice", true, "", "", TBL_EPSLICE, NULL, 0 },
	{ "networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
	  "NetworkPolicy", true, "netpol", "", TBL_NETPOL, NULL, 0 },
	{ "cilium.io", "v2", "ciliumnetworkpolicies", "ciliumnetworkpolicy",
	  "CiliumNetworkPolicy", true, "cnp,ciliumnp", "cilium,ciliumpolicy",
	  TBL_CNP, NULL, 0 },
	{ "cilium.io", "v2", "ciliumclusterwidenetworkpolicies",
	  "ciliumclusterwidenetworkpolicy", "CiliumClusterwideNetworkPolicy",
	  false, "ccnp", "cilium,ciliumpolicy", TBL_CNP, NULL, 0 },
	{ "cilium.io", "v2", "ciliumendpoints", "ciliumendpoint",
	  "CiliumEndpoint", true, "cep,ciliumep", "cilium", TBL_CEP, NULL, 0 },
};
const size_t lab_nresources = sizeof(lab_resources) / sizeof(lab_resources[0]);
char lab_resource_version[32] = "1000";

/* --- small json helpers ---------------------------------------------- */

static const char *
jstr(struct json_object *o, const char *path)
{
	char buf[256], *p, *dot;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; p != NULL && v != NULL; p = dot) {
		dot = strchr(p, '.');
		if (dot != NULL)
			*dot++ = '\0';
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, p, &v))
			return NULL;
	}
	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *
jlabels(struct json_object *o)
{
	return jget(jget(o, "metadata"), "labels");
}

static void
jset_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* --- loading ----------------------------------------------------------- */

static int
cmp_obj(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object * const *)a;
	struct json_object *y = *(struct json_object * const *)b;
	const char *nx = jstr(x, "metadata.namespace");
	const char *ny = jstr(y, "metadata.namespace");
	int c = strcmp(nx ? nx : "", ny ? ny : "");

	if (c != 0)
		return c;
	return strcmp(jstr(x, "metadata.name"), jstr(y, "metadata.name"));
}

static struct lab_resource *
resource_for(const char *apiversion, const char *kind)
{
	size_t i;
	char gv[128];

	for (i = 0; i < lab_nresources; i++) {
		struct lab_resource *r = &lab_resources[i];

		if (r->group[0] == '\0')
			snprintf(gv, sizeof(gv), "%s", r->version);
		else
			snprintf(gv, sizeof(gv), "%s/%s", r->group, r->version);
		if (strcmp(gv, apiversion) == 0 && strcmp(r->kind, kind) == 0)
			return r;
	}
	return NULL;
}

static unsigned long next_rv = 5000;

static int
add_object(struct json_object *o, const char *origin, char *errbuf,
    size_t errlen)
{
	const char *av = jstr(o, "apiVersion"), *kind = jstr(o, "kind");
	struct lab_resource *r;
	struct json_object *md, **n;
	char buf[64];

	if (av == NULL || kind == NULL || jstr(o, "metadata.name") == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: object without apiVersion, kind or metadata.name",
		    origin);
	r = resource_for(av, kind);
	if (r == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: %s %s is not served by the lab", origin, av, kind);
	if (r->namespaced != (jstr(o, "metadata.namespace") != NULL))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: %s %s: namespace %s", origin, kind,
		    jstr(o, "metadata.name"),
		    r->namespaced ? "missing" : "not allowed");
	md = jget(o, "metadata");
	/* Fill what the API server would have set on creation. */
	if (jget(md, "uid") == NULL) {
		unsigned long h = 5381;
		const char *s;

		for (s = kind; *s; s++)
			h = h * 33 + (unsigned char)*s;
		for (s = jstr(o, "metadata.name"); *s; s++)
			h = h * 33 + (unsigned char)*s;
		snprintf(buf, sizeof(buf), "%08lx-%04lx-4%03lx-8%03lx-%012lx",
		    h & 0xffffffff, (h >> 8) & 0xffff, (h >> 4) & 0xfff,
		    (h >> 12) & 0xfff, (h * 2654435761UL) & 0xffffffffffffUL);
		jset_str(md, "uid", buf);
	}
	if (jget(md, "resourceVersion") == NULL) {
		snprintf(buf, sizeof(buf), "%lu", next_rv++);
		jset_str(md, "resourceVersion", buf);
	}
	if (jget(md, "generation") == NULL && r->table != TBL_POD)
		json_object_object_add(md, "generation",
		    json_object_new_int(1));
	if (jget(md, "creationTimestamp") == NULL) {
		time_t t = lab_cfg.start - 1800;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		jset_str(md, "creationTimestamp", buf);
	}
	if (r->table == TBL_CNP && jget(o, "status") == NULL) {
		/* Cilium >= 1.15 reports a Valid condition on policies. */
		struct json_object *st = json_object_new_object();
		struct json_object *conds = json_object_new_array();
		struct json_object *c = json_object_new_object();

		jset_str(c, "type", "Valid");
		jset_str(c, "status", "True");
		jset_str(c, "message", "Policy validation succeeded");
		jset_str(c, "lastTransitionTime",
		    jstr(o, "metadata.creationTimestamp"));
		json_object_array_add(conds, c);
		json_object_object_add(st, "conditions", conds);
		json_object_object_add(o, "status", st);
	}
	n = realloc(r->objs, (r->nobjs + 1) * sizeof(*n));
	if (n == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM, "out of memory");
	r->objs = n;
	r->objs[r->nobjs++] = json_object_get(o);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

int
lab_store_load(const char *objects, const char *policy_dir, char *errbuf,
    size_t errlen)
{
	struct json_object **docs = NULL, *items;
	char path[4096], *names[256];
	size_t i, nnames = 0;
	int n, rc, j;
	DIR *d;
	struct dirent *de;

	n = kube_yaml_load_file(objects, &docs, errbuf, errlen);
	if (n < 0)
		return n;
	if (n != 1 || (items = jget(docs[0], "items")) == NULL ||
	    !json_object_is_type(items, json_type_array)) {
		kube_yaml_free_docs(docs, n);
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: expected one List with items", objects);
	}
	if (jstr(docs[0], "resourceVersion") != NULL)
		snprintf(lab_resource_version, sizeof(lab_resource_version),
		    "%s", jstr(docs[0], "resourceVersion"));
	for (i = 0; i < json_object_array_length(items); i++) {
		rc = add_object(json_object_array_get_idx(items, i), objects,
		    errbuf, errlen);
		if (rc < 0) {
			kube_yaml_free_docs(docs, n);
			return rc;
		}
	}
	kube_yaml_free_docs(docs, n);

	if (policy_dir != NULL) {
		d = opendir(policy_dir);
		if (d == NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: %s",
			    policy_dir, strerror(errno));
		while ((de = readdir(d)) != NULL && nnames < 256) {
			size_t l = strlen(de->d_name);

			if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0)
				names[nnames++] = strdup(de->d_name);
		}
		closedir(d);
		qsort(names, nnames, sizeof(names[0]), cmp_str);
		for (i = 0; i < nnames; i++) {
			snprintf(path, sizeof(path), "%s/%s", policy_dir,
			    names[i]);
			free(names[i]);
			names[i] = NULL;
			n = kube_yaml_load_file(path, &docs, errbuf, errlen);
			if (n < 0)
				break;
			for (j = 0, rc = 0; j < n && rc == 0; j++)
				rc = add_object(docs[j], path, errbuf, errlen);
			kube_yaml_free_docs(docs, n);
			if (rc < 0) {
				n = rc;
				break;
			}
		}
		for (; i < nnames; i++)
			free(names[i]);
		if (n < 0)
			return n;
	}
	for (i = 0; i < lab_nresources; i++)
		qsort(lab_resources[i].objs, lab_resources[i].nobjs,
		    sizeof(struct json_object *), cmp_obj);
	return 0;
}

struct lab_resource *
lab_find_resource(const char *group, const char *version, const char *plural)
{
	size_t i;

	for (i = 0; i < lab_nresources; i++) {
		struct lab_resource *r = &lab_resources[i];

		if (strcmp(r->group, group) == 0 &&
		    strcmp(r->version, version) == 0 &&
		    strcmp(r->plural, plural) == 0)
			return r;
	}
	return NULL;
}

struct json_object *
lab_find_object(struct lab_resource *r, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < r->nobjs; i++) {
		const char *ons = jstr(r->objs[i], "metadata.namespace");

		if (strcmp(jstr(r->objs[i], "metadata.name"), name) == 0 &&
		    (ns == NULL || (ons != NULL && strcmp(ons, ns) == 0)))
			return r->objs[i];
	}
	return NULL;
}

/* --- errors ------------------------------------------------------------ */

/* A metav1.Status body (kubernetes-api.md 4.5). */
void
lab_status(struct lab_reply *rep, unsigned code, const char *reason,
    const char *message, const char *kind, const char *name)
{
	struct json_object *o = json_object_new_object(), *det;

	jset_str(o, "kind", "Status");
	jset_str(o, "apiVersion", "v1");
	json_object_object_add(o, "metadata", json_object_new_object());
	jset_str(o, "status", code < 300 ? "Success" : "Failure");
	jset_str(o, "message", message);
	jset_str(o, "reason", reason);
	if (kind != NULL || name != NULL) {
		det = json_object_new_object();
		if (name != NULL)
			jset_str(det, "name", name);
		if (kind != NULL) {
			const char *slash = strchr(kind, '/');

			/* "group/plural": details.group and details.kind */
			if (slash != NULL) {
				json_object_object_add(det, "group",
				    json_object_new_string_len(kind,
				    (int)(slash - kind)));
				jset_str(det, "kind", slash + 1);
			} else {
				jset_str(det, "kind", kind);
			}
		}
		json_object_object_add(o, "details", det);
	}
	json_object_object_add(o, "code", json_object_new_int((int)code));
	rep->status = code;
	rep->body = o;
	rep->content_type = NULL;
}

/* --- discovery (the legacy, non-aggregated documents) ---------------- */

static struct json_object *
split_list(const char *csv)
{
	struct json_object *a = json_object_new_array();
	const char *p = csv, *c;

	while (*p != '\0') {
		c = strchr(p, ',');
		if (c == NULL)
			c = p + strlen(p);
		json_object_array_add(a, json_object_new_string_len(p,
		    (int)(c - p)));
		p = *c ? c + 1 : c;
	}
	return a;
}

static struct json_object *
resource_list(const char *group, const char *version)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array(), *e;
	char gv[128];
	size_t i;

	if (group[0] == '\0')
		snprintf(gv, sizeof(gv), "%s", version);
	else
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	jset_str(o, "kind", "APIResourceList");
	jset_str(o, "apiVersion", "v1");
	jset_str(o, "groupVersion", gv);
	for (i = 0; i < lab_nresources; i++) {
		struct lab_resource *r = &lab_resources[i];

		if (strcmp(r->group, group) != 0 ||
		    strcmp(r->version, version) != 0)
			continue;
		e = json_object_new_object();
		jset_str(e, "name", r->plural);
		jset_str(e, "singularName", r->singular);
		json_object_object_add(e, "namespaced",
		    json_object_new_boolean(r->namespaced));
		jset_str(e, "kind", r->kind);
		json_object_object_add(e, "verbs", split_list(
		    "get,list,watch"));
		if (r->shortnames[0] != '\0')
			json_object_object_add(e, "shortNames",
			    split_list(r->shortnames));
		if (r->categories[0] != '\0')
			json_object_object_add(e, "categories",
			    split_list(r->categories));
		json_object_array_add(a, e);
		if (r->table == TBL_POD) {
			e = json_object_new_object();
			jset_str(e, "name", "pods/exec");
			jset_str(e, "singularName", "");
			json_object_object_add(e, "namespaced",
			    json_object_new_boolean(true));
			jset_str(e, "kind", "PodExecOptions");
			json_object_object_add(e, "verbs",
			    split_list("create,get"));
			json_object_array_add(a, e);
		}
	}
	json_object_object_add(o, "resources", a);
	return o;
}

static struct json_object *
api_group(const char *group)
{
	struct json_object *g = json_object_new_object();
	struct json_object *vs = json_object_new_array(), *v;
	char gv[128];
	size_t i;

	jset_str(g, "name", group);
	for (i = 0; i < lab_nresources; i++)
		if (strcmp(lab_resources[i].group, group) == 0)
			break;
	snprintf(gv, sizeof(gv), "%s/%s", group, lab_resources[i].version);
	v = json_object_new_object();
	jset_str(v, "groupVersion", gv);
	jset_str(v, "version", lab_resources[i].version);
	json_object_array_add(vs, v);
	json_object_object_add(g, "versions", vs);
	json_object_object_add(g, "preferredVersion", json_object_get(v));
	return g;
}

void
lab_discovery(struct lab_reply *rep, const char *path, bool *handled)
{
	struct json_object *o, *a, *s;
	const char *seen[16];
	size_t i, j, nseen = 0;
	char g[128], v[64];

	*handled = true;
	rep->status = 200;
	rep->content_type = NULL;
	if (strcmp(path, "/version") == 0) {
		o = json_object_new_object();
		/* minor 32: the kubectl dispatcher picks its version from it */
		jset_str(o, "major", "1");
		jset_str(o, "minor", "32");
		jset_str(o, "gitVersion", "v1.32.4-cilkit-lab");
		jset_str(o, "gitCommit", "59526cd4867447956156ae3a602fcbac5a"
		    "81f8df");
		jset_str(o, "gitTreeState", "clean");
		jset_str(o, "buildDate", "2025-04-22T16:05:00Z");
		jset_str(o, "goVersion", "go1.23.6");
		jset_str(o, "compiler", "gc");
		jset_str(o, "platform", "linux/amd64");
		rep->body = o;
	} else if (strcmp(path, "/api") == 0) {
		o = json_object_new_object();
		jset_str(o, "kind", "APIVersions");
		json_object_object_add(o, "versions", split_list("v1"));
		a = json_object_new_array();
		s = json_object_new_object();
		jset_str(s, "clientCIDR", "0.0.0.0/0");
		jset_str(s, "serverAddress", "127.0.0.1:443");
		json_object_array_add(a, s);
		json_object_object_add(o, "serverAddressByClientCIDRs", a);
		rep->body = o;
	} else if (strcmp(path, "/api/v1") == 0) {
		rep->body = resource_list("", "v1");
	} else if (strcmp(path, "/apis") == 0) {
		o = json_object_new_object();
		jset_str(o, "kind", "APIGroupList");
		jset_str(o, "apiVersion", "v1");
		a = json_object_new_array();
		for (i = 0; i < lab_nresources; i++) {
			const char *grp = lab_resources[i].group;

			if (grp[0] == '\0')
				continue;
			for (j = 0; j < nseen; j++)
				if (strcmp(seen[j], grp) == 0)
					break;
			if (j < nseen)
				continue;
			seen[nseen++] = grp;
			json_object_array_add(a, api_group(grp));
		}
		json_object_object_add(o, "groups", a);
		rep->body = o;
	} else if (sscanf(path, "/apis/%127[^/]/%63[^/]", g, v) == 2 &&
	    strlen(path) == strlen(g) + strlen(v) + 7) {
		for (i = 0; i < lab_nresources; i++)
			if (strcmp(lab_resources[i].group, g) == 0 &&
			    strcmp(lab_resources[i].version, v) == 0)
				break;
		if (i == lab_nresources) {
			*handled = false;
			return;
		}
		rep->body = resource_list(g, v);
	} else if (sscanf(path, "/apis/%127[^/]", g) == 1 &&
	    strlen(path) == strlen(g) + 6) {
		for (i = 0; i < lab_nresources; i++)
			if (strcmp(lab_resources[i].group, g) == 0)
				break;
		if (i == lab_nresources) {
			*handled = false;
			return;
		}
		o = api_group(g);
		jset_str(o, "kind", "APIGroup");
		jset_str(o, "apiVersion", "v1");
		rep->body = o;
	} else {
		*handled = false;
	}
}

/* --- label and field selectors (kubernetes-api.md 4.3) ---------------- */

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

#define SEL_MAX_TERMS	32
#define SEL_MAX_VALUES	16

struct sel_term {
	enum sel_op op;
	char key[256];
	char vals[SEL_MAX_VALUES][64];
	int nvals;
};

struct selector {
	struct sel_term t[SEL_MAX_TERMS];
	int n;
};

static const char *
skip_ws(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

static int
sel_word(const char **pp, char *out, size_t cap, const char *stop)
{
	const char *p = skip_ws(*pp);
	size_t n = 0;

	while (*p != '\0' && strchr(stop, *p) == NULL) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *p++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	*pp = p;
	return n > 0 ? 0 : -1;
}

/* Parse a label selector (field == false) or a field selector. */
static int
sel_parse(const char *s, bool field, struct selector *sel, char *err,
    size_t errlen)
{
	const char *p = s;
	struct sel_term *t;

	sel->n = 0;
	if (s == NULL || *skip_ws(s) == '\0')
		return 0;
	for (;;) {
		if (sel->n == SEL_MAX_TERMS)
			goto bad;
		t = &sel->t[sel->n++];
		t->nvals = 0;
		p = skip_ws(p);
		if (!field && *p == '!') {
			p++;
			if (sel_word(&p, t->key, sizeof(t->key), ", ") < 0)
				goto bad;
			t->op = SEL_NOTEXISTS;
		} else {
			if (sel_word(&p, t->key, sizeof(t->key), "=!, ") < 0)
				goto bad;
			p = skip_ws(p);
			if (p[0] == '=' && p[1] == '=') {
				t->op = SEL_EQ;
				p += 2;
			} else if (p[0] == '=') {
				t->op = SEL_EQ;
				p++;
			} else if (p[0] == '!' && p[1] == '=') {
				t->op = SEL_NE;
				p += 2;
			} else if (!field && strncmp(p, "in", 2) == 0 &&
			    (p[2] == ' ' || p[2] == '(')) {
				t->op = SEL_IN;
				p += 2;
			} else if (!field && strncmp(p, "notin", 5) == 0 &&
			    (p[5] == ' ' || p[5] == '(')) {
				t->op = SEL_NOTIN;
				p += 5;
			} else if (!field && (*p == ',' || *p == '\0')) {
				t->op = SEL_EXISTS;
			} else {
				goto bad;
			}
			if (t->op == SEL_EQ || t->op == SEL_NE) {
				const char *v = skip_ws(p);
				size_t n = strcspn(v, ",");

				if (n >= sizeof(t->vals[0]))
					goto bad;
				memcpy(t->vals[0], v, n);
				t->vals[0][n] = '\0';
				while (n > 0 && t->vals[0][n - 1] == ' ')
					t->vals[0][--n] = '\0';
				t->nvals = 1;
				p = v + strcspn(v, ",");
			} else if (t->op == SEL_IN || t->op == SEL_NOTIN) {
				p = skip_ws(p);
				if (*p++ != '(')
					goto bad;
				for (;;) {
					if (t->nvals == SEL_MAX_VALUES ||
					    sel_word(&p, t->vals[t->nvals],
					    sizeof(t->vals[0]), ",)") < 0)
						goto bad;
					t->nvals++;
					if (*p == ')')
						break;
					if (*p++ != ',')
						goto bad;
				}
				p++;
			}
		}
		p = skip_ws(p);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	snprintf(err, errlen, "unable to parse requirement: %s selector "
	    "\"%s\" is not valid", field ? "field" : "label", s);
	return -1;
}

static bool
sel_match_value(const struct sel_term *t, const char *v)
{
	int i;

	switch (t->op) {
	case SEL_EQ:
		return v != NULL && strcmp(v, t->vals[0]) == 0;
	case SEL_NE:
		return v == NULL || strcmp(v, t->vals[0]) != 0;
	case SEL_IN:
	case SEL_NOTIN:
		for (i = 0; i < t->nvals; i++)
			if (v != NULL && strcmp(v, t->vals[i]) == 0)
				return t->op == SEL_IN;
		return t->op == SEL_NOTIN;
	case SEL_EXISTS:
		return v != NULL;
	case SEL_NOTEXISTS:
		return v == NULL;
	}
	return false;
}

static bool
label_match(const struct selector *sel, struct json_object *o)
{
	struct json_object *labels = jlabels(o), *v;
	int i;

	for (i = 0; i < sel->n; i++) {
		const char *val = NULL;

		if (labels != NULL &&
		    json_object_object_get_ex(labels, sel->t[i].key, &v))
			val = json_object_get_string(v);
		if (!sel_match_value(&sel->t[i], val))
			return false;
	}
	return true;
}

/* The fields each resource supports (PodToSelectableFields and friends). */
static const char *
field_value(struct lab_resource *r, struct json_object *o, const char *f,
    bool *ok)
{
	*ok = true;
	if (strcmp(f, "metadata.name") == 0)
		return jstr(o, "metadata.name");
	if (strcmp(f, "metadata.namespace") == 0)
		return jstr(o, "metadata.namespace");
	if (r->table == TBL_POD) {
		if (strcmp(f, "spec.nodeName") == 0)
			return jstr(o, "spec.nodeName");
		if (strcmp(f, "status.phase") == 0)
			return jstr(o, "status.phase");
		if (strcmp(f, "spec.restartPolicy") == 0)
			return jstr(o, "spec.restartPolicy");
		if (strcmp(f, "spec.serviceAccountName") == 0)
			return jstr(o, "spec.serviceAccountName");
		if (strcmp(f, "status.podIP") == 0)
			return jstr(o, "status.podIP");
		if (strcmp(f, "spec.hostNetwork") == 0) {
			struct json_object *h = jget(jget(o, "spec"),
			    "hostNetwork");

			return h && json_object_get_boolean(h) ? "true" :
			    "false";
		}
	}
	if (r->table == TBL_NAMESPACE && strcmp(f, "status.phase") == 0)
		return jstr(o, "status.phase");
	if (r->table == TBL_NODE && strcmp(f, "spec.unschedulable") == 0)
		return "false";
	*ok = false;
	return NULL;
}

/* --- Table output (kubectl get without -o) ----------------------------- */

static void
human_age(time_t secs, char *buf, size_t cap)
{
	/* k8s.io/apimachinery/pkg/util/duration.HumanDuration */
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, cap, "%lds", (long)secs);
	else if (secs < 600)
		snprintf(buf, cap, secs % 60 ? "%ldm%lds" : "%ldm",
		    (long)secs / 60, (long)secs % 60);
	else if (secs < 3 * 3600)
		snprintf(buf, cap, "%ldm", (long)secs / 60);
	else if (secs < 8 * 3600)
		snprintf(buf, cap, (secs / 60) % 60 ? "%ldh%ldm" : "%ldh",
		    (long)secs / 3600, (long)(secs / 60) % 60);
	else if (secs < 48 * 3600)
		snprintf(buf, cap, "%ldh", (long)secs / 3600);
	else
		snprintf(buf, cap, "%ldd", (long)secs / 86400);
}

static time_t
parse_stamp(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static struct json_object *
age_cell(struct json_object *o)
{
	char buf[32];

	human_age(time(NULL) - parse_stamp(jstr(o, "metadata.creationTimestamp")),
	    buf, sizeof(buf));
	return json_object_new_string(buf);
}

static void
coldef(struct json_object *a, const char *name, const char *type,
    const char *format, int priority, const char *desc)
{
	struct json_object *c = json_object_new_object();

	jset_str(c, "name", name);
	jset_str(c, "type", type);
	jset_str(c, "format", format);
	jset_str(c, "description", desc);
	json_object_object_add(c, "priority", json_object_new_int(priority));
	json_object_array_add(a, c);
}

static struct json_object *
columns(int table)
{
	struct json_object *a = json_object_new_array();

	coldef(a, "Name", "string", "name", 0, "Name must be unique within "
	    "a namespace.");
	switch (table) {
	case TBL_POD:
		coldef(a, "Ready", "string", "", 0, "The aggregate readiness "
		    "state of this pod for accepting traffic.");
		coldef(a, "Status", "string", "", 0, "The aggregate status of "
		    "the containers in this pod.");
		coldef(a, "Restarts", "string", "", 0, "The number of times "
		    "the containers in this pod have been restarted and when "
		    "the last container in this pod has restarted.");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		coldef(a, "IP", "string", "", 1, "IP address allocated to the "
		    "pod.");
		coldef(a, "Node", "string", "", 1, "Name of the Node this pod "
		    "is assigned to.");
		coldef(a, "Nominated Node", "string", "", 1, "Name of the node "
		    "nominated by the scheduler.");
		coldef(a, "Readiness Gates", "string", "", 1, "Readiness "
		    "gates.");
		break;
	case TBL_NAMESPACE:
		coldef(a, "Status", "string", "", 0, "The status of the "
		    "namespace");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		break;
	case TBL_NODE:
		coldef(a, "Status", "string", "", 0, "The status of the node");
		coldef(a, "Roles", "string", "", 0, "The roles of the node");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		coldef(a, "Version", "string", "", 0, "Kubelet Version");
		coldef(a, "Internal-IP", "string", "", 1, "List of internal "
		    "IPs.");
		coldef(a, "External-IP", "string", "", 1, "List of external "
		    "IPs.");
		coldef(a, "OS-Image", "string", "", 1, "OS image.");
		coldef(a, "Kernel-Version", "string", "", 1, "Kernel "
		    "version.");
		coldef(a, "Container-Runtime", "string", "", 1, "Container "
		    "runtime.");
		break;
	case TBL_SERVICE:
		coldef(a, "Type", "string", "", 0, "The type of the service.");
		coldef(a, "Cluster-IP", "string", "", 0, "The cluster IP.");
		coldef(a, "External-IP", "string", "", 0, "External IPs.");
		coldef(a, "Port(s)", "string", "", 0, "The ports.");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		coldef(a, "Selector", "string", "", 1, "The selector.");
		break;
	case TBL_EPSLICE:
		coldef(a, "AddressType", "string", "", 0, "The address type.");
		coldef(a, "Ports", "string", "", 0, "The ports.");
		coldef(a, "Endpoints", "string", "", 0, "The endpoints.");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		break;
	case TBL_NETPOL:
		coldef(a, "Pod-Selector", "string", "", 0, "The pod "
		    "selector.");
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		break;
	case TBL_CNP:
		/* additionalPrinterColumns of the Cilium CRDs */
		coldef(a, "Age", "date", "", 0, "");
		coldef(a, "Valid", "string", "", 0, "");
		break;
	case TBL_CEP:
		coldef(a, "Security Identity", "integer", "", 0, "");
		coldef(a, "Endpoint State", "string", "", 0, "");
		coldef(a, "IPv4", "string", "", 0, "");
		coldef(a, "IPv6", "string", "", 0, "");
		break;
	default:
		coldef(a, "Age", "string", "", 0, "CreationTimestamp");
		break;
	}
	return a;
}

static struct json_object *
selector_cell(struct json_object *m)
{
	struct json_object_iterator it, end;
	char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	if (m == NULL || json_object_object_length(m) == 0)
		return json_object_new_string("<none>");
	it = json_object_iter_begin(m);
	end = json_object_iter_end(m);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		n += (size_t)snprintf(buf + n, n < sizeof(buf) ?
		    sizeof(buf) - n : 0, "%s%s=%s", n ? "," : "",
		    json_object_iter_peek_name(&it),
		    json_object_get_string(json_object_iter_peek_value(&it)));
	return json_object_new_string(buf);
}

static struct json_object *
row_cells(struct lab_resource *r, struct json_object *o)
{
	struct json_object *c = json_object_new_array(), *a, *x;
	char buf[512];
	size_t i, n;

	json_object_array_add(c, json_object_new_string(
	    jstr(o, "metadata.name")));
	switch (r->table) {
	case TBL_POD:
		a = jget(jget(o, "status"), "containerStatuses");
		n = a ? json_object_array_length(a) : 0;
		for (i = 0, x = NULL; i < n; i++) {
			x = jget(json_object_array_get_idx(a, i), "ready");
			if (x == NULL || !json_object_get_boolean(x))
				break;
		}
		snprintf(buf, sizeof(buf), "%zu/%zu", i, n);
		json_object_array_add(c, json_object_new_string(buf));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.phase")));
		json_object_array_add(c, json_object_new_string("0"));
		json_object_array_add(c, age_cell(o));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.podIP") ? jstr(o, "status.podIP") :
		    "<none>"));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "spec.nodeName")));
		json_object_array_add(c, json_object_new_string("<none>"));
		json_object_array_add(c, json_object_new_string("<none>"));
		break;
	case TBL_NAMESPACE:
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.phase")));
		json_object_array_add(c, age_cell(o));
		break;
	case TBL_NODE: {
		const char *ip = "<none>";

		a = jget(jget(o, "status"), "addresses");
		for (i = 0; a && i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			if (strcmp(jstr(x, "type"), "InternalIP") == 0) {
				ip = jstr(x, "address");
				break;
			}
		}
		json_object_array_add(c, json_object_new_string("Ready"));
		json_object_array_add(c, json_object_new_string("<none>"));
		json_object_array_add(c, age_cell(o));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.nodeInfo.kubeletVersion")));
		json_object_array_add(c, json_object_new_string(ip));
		json_object_array_add(c, json_object_new_string("<none>"));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.nodeInfo.osImage")));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.nodeInfo.kernelVersion")));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.nodeInfo.containerRuntimeVersion")));
		break;
	}
	case TBL_SERVICE:
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "spec.type")));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "spec.clusterIP")));
		json_object_array_add(c, json_object_new_string("<none>"));
		a = jget(jget(o, "spec"), "ports");
		buf[0] = '\0';
		for (i = 0, n = 0; a && i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			n += (size_t)snprintf(buf + n, n < sizeof(buf) ?
			    sizeof(buf) - n : 0, "%s%d/%s", i ? "," : "",
			    json_object_get_int(jget(x, "port")),
			    jstr(x, "protocol"));
		}
		json_object_array_add(c, json_object_new_string(buf));
		json_object_array_add(c, age_cell(o));
		json_object_array_add(c, selector_cell(jget(jget(o, "spec"),
		    "selector")));
		break;
	case TBL_EPSLICE:
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "addressType")));
		a = jget(o, "ports");
		buf[0] = '\0';
		for (i = 0, n = 0; a && i < json_object_array_length(a); i++)
			n += (size_t)snprintf(buf + n, n < sizeof(buf) ?
			    sizeof(buf) - n : 0, "%s%d", i ? "," : "",
			    json_object_get_int(jget(
			    json_object_array_get_idx(a, i), "port")));
		json_object_array_add(c, json_object_new_string(buf));
		a = jget(o, "endpoints");
		buf[0] = '\0';
		for (i = 0, n = 0; a && i < json_object_array_length(a); i++) {
			x = jget(json_object_array_get_idx(a, i), "addresses");
			n += (size_t)snprintf(buf + n, n < sizeof(buf) ?
			    sizeof(buf) - n : 0, "%s%s", i ? "," : "",
			    json_object_get_string(
			    json_object_array_get_idx(x, 0)));
		}
		json_object_array_add(c, json_object_new_string(
		    buf[0] ? buf : "<unset>"));
		json_object_array_add(c, age_cell(o));
		break;
	case TBL_NETPOL:
		x = jget(jget(jget(o, "spec"), "podSelector"), "matchLabels");
		if (x == NULL || json_object_object_length(x) == 0)
			json_object_array_add(c,
			    json_object_new_string("<none>"));
		else
			json_object_array_add(c, selector_cell(x));
		json_object_array_add(c, age_cell(o));
		break;
	case TBL_CNP:
		json_object_array_add(c, age_cell(o));
		json_object_array_add(c, json_object_new_string("True"));
		break;
	case TBL_CEP:
		x = jget(jget(jget(o, "status"), "identity"), "id");
		json_object_array_add(c, x ? json_object_get(x) :
		    json_object_new_string(""));
		json_object_array_add(c, json_object_new_string(
		    jstr(o, "status.state")));
		a = jget(jget(jget(o, "status"), "networking"), "addressing");
		x = a ? json_object_array_get_idx(a, 0) : NULL;
		json_object_array_add(c, json_object_new_string(
		    x && jstr(x, "ipv4") ? jstr(x, "ipv4") : ""));
		json_object_array_add(c, json_object_new_string(
		    x && jstr(x, "ipv6") ? jstr(x, "ipv6") : ""));
		break;
	default:
		json_object_array_add(c, age_cell(o));
		break;
	}
	return c;
}

static struct json_object *
table_row(struct lab_resource *r, struct json_object *o,
    const char *include)
{
	struct json_object *row = json_object_new_object(), *pom;

	json_object_object_add(row, "cells", row_cells(r, o));
	if (include != NULL && strcmp(include, "None") == 0)
		return row;
	if (include != NULL && strcmp(include, "Object") == 0) {
		json_object_object_add(row, "object", json_object_get(o));
		return row;
	}
	pom = json_object_new_object();
	jset_str(pom, "kind", "PartialObjectMetadata");
	jset_str(pom, "apiVersion", "meta.k8s.io/v1");
	json_object_object_add(pom, "metadata",
	    json_object_get(jget(o, "metadata")));
	json_object_object_add(row, "object", pom);
	return row;
}

/* --- continue tokens ----------------------------------------------------- */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*out++ = b64url[v >> 18];
		*out++ = b64url[(v >> 12) & 63];
		*out++ = b64url[(v >> 6) & 63];
		*out++ = b64url[v & 63];
	}
	if (i < len) {
		v = (unsigned)in[i] << 16 | (i + 1 < len ?
		    (unsigned)in[i + 1] << 8 : 0);
		*out++ = b64url[v >> 18];
		*out++ = b64url[(v >> 12) & 63];
		if (i + 1 < len)
			*out++ = b64url[(v >> 6) & 63];
	}
	*out = '\0';
}

static int
b64_decode(const char *in, unsigned char *out, size_t cap, size_t *len)
{
	unsigned v = 0;
	int bits = 0;
	size_t n = 0;
	const char *p, *q;

	for (p = in; *p != '\0' && *p != '='; p++) {
		if (*p == '+')
			q = b64url + 62;
		else if (*p == '/')
			q = b64url + 63;
		else
			q = strchr(b64url, *p);
		if (q == NULL)
			return -1;
		v = v << 6 | (unsigned)(q - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= cap)
				return -1;
			out[n++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

/* The real token is base64 of {"v":"meta.k8s.io/v1","rv":N,"start":K}. */
static void
make_continue(const char *key, char *out, size_t cap)
{
	struct json_object *t = json_object_new_object();
	const char *s;

	jset_str(t, "v", "meta.k8s.io/v1");
	json_object_object_add(t, "rv", json_object_new_int64(
	    strtoll(lab_resource_version, NULL, 10)));
	jset_str(t, "start", key);
	s = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
	if (strlen(s) * 4 / 3 + 4 < cap)
		b64_encode((const unsigned char *)s, strlen(s), out);
	else
		out[0] = '\0';
	json_object_put(t);
}

/* 0 ok (*start set), -1 malformed, -2 expired */
static int
parse_continue(const char *tok, char *start, size_t cap)
{
	unsigned char buf[1024];
	size_t len;
	struct json_object *t;
	int rc = -1;

	if (b64_decode(tok, buf, sizeof(buf), &len) < 0)
		return -1;
	t = json_tokener_parse((const char *)buf);
	if (t == NULL)
		return -1;
	if (jstr(t, "start") != NULL && jget(t, "rv") != NULL &&
	    strlen(jstr(t, "start")) < cap) {
		snprintf(start, cap, "%s", jstr(t, "start"));
		rc = json_object_get_int64(jget(t, "rv")) ==
		    strtoll(lab_resource_version, NULL, 10) ? 0 : -2;
	}
	json_object_put(t);
	return rc;
}

static void
obj_key(struct json_object *o, char *buf, size_t cap)
{
	const char *ns = jstr(o, "metadata.namespace");

	snprintf(buf, cap, "%s/%s", ns ? ns : "", jstr(o, "metadata.name"));
}

/* --- GET and LIST ------------------------------------------------------ */

static const char *
kind_name(struct lab_resource *r, char *buf, size_t cap)
{
	if (r->group[0] == '\0')
		snprintf(buf, cap, "%s", r->plural);
	else
		snprintf(buf, cap, "%s.%s", r->plural, r->group);
	return buf;
}

void
lab_serve(struct lab_reply *rep, struct lab_resource *r, const char *ns,
    const char *name, bool table, const char *(*query)(void *, const char *),
    void *qcls)
{
	struct selector lsel, fsel;
	struct json_object *o, *items, *md, *out;
	char err[512], msg[768], kn[160], start[512], key[512], tok[1024];
	const char *cont, *lim, *include = query(qcls, "includeObject");
	unsigned long limit = 0;
	size_t i, nmatch = 0, remaining = 0;
	int j;
	bool more = false;

	rep->content_type = NULL;
	if (name != NULL) {
		o = lab_find_object(r, r->namespaced ? ns : NULL, name);
		if (o == NULL) {
			snprintf(msg, sizeof(msg), "%s \"%s\" not found",
			    kind_name(r, kn, sizeof(kn)), name);
			lab_status(rep, 404, "NotFound", msg, r->group[0] ?
			    NULL : r->plural, name);
			if (r->group[0] != '\0') {
				/* details.group + details.kind */
				snprintf(kn, sizeof(kn), "%s/%s", r->group,
				    r->plural);
				json_object_put(rep->body);
				lab_status(rep, 404, "NotFound", msg, kn, name);
			}
			return;
		}
		rep->status = 200;
		if (!table) {
			rep->body = json_object_get(o);
			return;
		}
		out = json_object_new_object();
		jset_str(out, "kind", "Table");
		jset_str(out, "apiVersion", "meta.k8s.io/v1");
		md = json_object_new_object();
		jset_str(md, "resourceVersion", jstr(o,
		    "metadata.resourceVersion"));
		json_object_object_add(out, "metadata", md);
		json_object_object_add(out, "columnDefinitions",
		    columns(r->table));
		items = json_object_new_array();
		json_object_array_add(items, table_row(r, o, include));
		json_object_object_add(out, "rows", items);
		rep->body = out;
		return;
	}

	if (sel_parse(query(qcls, "labelSelector"), false, &lsel, err,
	    sizeof(err)) < 0 ||
	    sel_parse(query(qcls, "fieldSelector"), true, &fsel, err,
	    sizeof(err)) < 0) {
		lab_status(rep, 400, "BadRequest", err, NULL, NULL);
		return;
	}
	for (j = 0; j < fsel.n; j++) {
		bool ok;

		field_value(r, r->nobjs ? r->objs[0] : NULL, fsel.t[j].key,
		    &ok);
		if (!ok) {
			snprintf(msg, sizeof(msg), "field label not supported: "
			    "%s", fsel.t[j].key);
			lab_status(rep, 400, "BadRequest", msg, NULL, NULL);
			return;
		}
	}
	lim = query(qcls, "limit");
	if (lim != NULL && *lim != '\0') {
		char *end;

		errno = 0;
		limit = strtoul(lim, &end, 10);
		if (*end != '\0' || errno != 0 || lim[0] == '-') {
			snprintf(msg, sizeof(msg), "invalid limit \"%s\"", lim);
			lab_status(rep, 400, "BadRequest", msg, NULL, NULL);
			return;
		}
		if (limit > 0 && lab_cfg.page_size > 0 &&
		    limit > lab_cfg.page_size)
			limit = lab_cfg.page_size;
	}
	start[0] = '\0';
	cont = query(qcls, "continue");
	if (cont != NULL && *cont != '\0') {
		int rc = parse_continue(cont, start, sizeof(start));

		if (rc == -2) {
			lab_status(rep, 410, "Expired", "The provided continue "
			    "parameter is too old to display a consistent list "
			    "result. You can start a new list without the "
			    "continue parameter.", NULL, NULL);
			return;
		}
		if (rc < 0) {
			lab_status(rep, 400, "BadRequest", "continue key is "
			    "not valid: illegal base64 data or malformed "
			    "token", NULL, NULL);
			return;
		}
	}

	items = json_object_new_array();
	key[0] = '\0';
	for (i = 0; i < r->nobjs; i++) {
		char k[512];

		o = r->objs[i];
		if (r->namespaced && ns != NULL &&
		    strcmp(jstr(o, "metadata.namespace"), ns) != 0)
			continue;
		obj_key(o, k, sizeof(k));
		if (start[0] != '\0' && strcmp(k, start) <= 0)
			continue;
		if (!label_match(&lsel, o))
			continue;
		for (j = 0; j < fsel.n; j++) {
			bool ok;

			if (!sel_match_value(&fsel.t[j], field_value(r, o,
			    fsel.t[j].key, &ok)))
				break;
		}
		if (j < fsel.n)
			continue;
		if (limit > 0 && nmatch == limit) {
			more = true;
			remaining++;
			continue;
		}
		nmatch++;
		snprintf(key, sizeof(key), "%s", k);
		json_object_array_add(items, table ?
		    table_row(r, o, include) : json_object_get(o));
	}

	out = json_object_new_object();
	md = json_object_new_object();
	jset_str(md, "resourceVersion", lab_resource_version);
	if (more) {
		make_continue(key, tok, sizeof(tok));
		jset_str(md, "continue", tok);
		if (lsel.n == 0 && fsel.n == 0)
			json_object_object_add(md, "remainingItemCount",
			    json_object_new_int64((int64_t)remaining));
	}
	if (table) {
		jset_str(out, "kind", "Table");
		jset_str(out, "apiVersion", "meta.k8s.io/v1");
		json_object_object_add(out, "metadata", md);
		json_object_object_add(out, "columnDefinitions",
		    columns(r->table));
		json_object_object_add(out, "rows", items);
	} else {
		snprintf(kn, sizeof(kn), "%sList", r->kind);
		jset_str(out, "kind", kn);
		if (r->group[0] == '\0')
			jset_str(out, "apiVersion", r->version);
		else {
			snprintf(kn, sizeof(kn), "%s/%s", r->group,
			    r->version);
			jset_str(out, "apiVersion", kn);
		}
		json_object_object_add(out, "metadata", md);
		json_object_object_add(out, "items", items);
	}
	rep->status = 200;
	rep->body = out;
}
