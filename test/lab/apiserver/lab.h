/*
 * lab.h - the lab's fake Kubernetes API server (test/lab/apiserver/).
 *
 * Not part of libcilkit: a test tool built to build/tools/lab-apiserver.
 * It serves the objects test/lab/gen.py wrote plus test/lab/policies/,
 * over HTTPS with client-certificate and bearer-token authentication, and
 * runs pods/exec over WebSocket inside the pods' network namespaces.
 * The wire facts it follows are in shared/docs/kubernetes-api.md.
 */
#ifndef CILKIT_LAB_H
#define CILKIT_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct json_object;
struct MHD_Connection;

/* One served resource type (a row of the discovery documents). */
struct lab_resource {
	const char *group;	/* "" for the core group */
	const char *version;
	const char *plural;
	const char *singular;
	const char *kind;
	bool namespaced;
	const char *shortnames;	/* comma-separated, may be "" */
	const char *categories;	/* comma-separated, may be "" */
	int table;		/* which Table layout (enum in store.c) */
	/* objects, sorted by namespace then name (the etcd key order) */
	struct json_object **objs;
	size_t nobjs;
};

/* A pod's place in the lab, from pods.tsv. */
struct lab_pod {
	char ns[64];
	char name[64];
	char node[64];
	char netns[128];
	bool host;
};

struct lab_config {
	const char *bin_dir;		/* stand-ins for hubble, cilium-dbg */
	unsigned page_size;		/* 0: honour the client's limit */
	time_t start;
	struct lab_pod *pods;
	size_t npods;
};

extern struct lab_config lab_cfg;
extern struct lab_resource lab_resources[];
extern const size_t lab_nresources;
extern char lab_resource_version[32];

/* store.c */
int lab_store_load(const char *objects, const char *policy_dir,
    char *errbuf, size_t errlen);
struct lab_resource *lab_find_resource(const char *group,
    const char *version, const char *plural);
struct json_object *lab_find_object(struct lab_resource *r, const char *ns,
    const char *name);

/* The result of a request: HTTP status and a JSON body (owned). */
struct lab_reply {
	unsigned status;
	struct json_object *body;
	const char *content_type;	/* NULL: application/json */
};

void lab_status(struct lab_reply *rep, unsigned code, const char *reason,
    const char *message, const char *kind, const char *name);
void lab_discovery(struct lab_reply *rep, const char *path, bool *handled);
/* A list or get. query gives named query values (may return NULL). */
void lab_serve(struct lab_reply *rep, struct lab_resource *r,
    const char *ns, const char *name, bool table,
    const char *(*query)(void *, const char *), void *qcls);

/* exec.c */
struct lab_pod *lab_find_pod(const char *ns, const char *name);
/*
 * Queue the WebSocket upgrade for pods/exec on conn, having checked the
 * request; returns the MHD result.  argv is NULL-terminated and owned
 * by the session afterwards.
 */
int lab_exec_upgrade(struct MHD_Connection *conn, struct lab_pod *pod,
    char **argv, bool want_stdin, bool want_stdout, bool want_stderr,
    bool tty);

#endif /* CILKIT_LAB_H */
