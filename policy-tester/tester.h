/*
 * tester.h - policy-tester's pieces: one check, suites, the live side.
 */
#ifndef CILKIT_TESTER_H
#define CILKIT_TESTER_H

#include <stdbool.h>
#include <stddef.h>

struct policy_db;

enum expect { EXPECT_NONE = 0, EXPECT_ALLOW, EXPECT_DENY };

struct tcase {
	const char *name;	/* suite case name, or NULL */
	const char *from, *to;
	int port;
	int proto;		/* enum policy_proto */
	enum expect expect;
};

struct live;

struct tester {
	struct policy_db *db;
	const char *namespace, *context, *kubeconfig, *junit;
	bool json, verbose, utf8, offline;
	int timeout;
	struct live *live;	/* cluster state, NULL offline */
};

enum step_status { ST_OK = 0, ST_FAIL, ST_SKIP, ST_INFO };

#define MAX_STEPS	8
#define TEXT_LEN	2048

struct step {
	const char *name;	/* "DNS resolution", "Policy check", ... */
	enum step_status status;
	char text[TEXT_LEN];
};

/* What one check found. */
struct tresult {
	char title[512];	/* "demo/frontend -> demo/backend:8080" */
	char error[1024];	/* input problem (unknown pod...), or "" */
	int verdict;		/* enum policy_verdict_code of the policy */
	char matched[1024];	/* deciding policy names */
	char detail[TEXT_LEN];	/* explanation when denied / unknown */
	char expl[2][TEXT_LEN];	/* ingress, egress explanations */
	bool probed;		/* a live probe ran */
	bool probe_ok;
	bool observed_allow;	/* probe result if probed, else policy */
	bool decided;		/* verdict is allow or deny (not unknown) */
	bool pass;		/* matches the expectation (or allowed) */
	struct step steps[MAX_STEPS];
	int nsteps;
	char result[256];
};

/* Run one check and print its report; returns the exit code. */
int tester_run_one(struct tester *t, const struct tcase *c);
/* Run a suite file; returns the exit code. */
int tester_run_suite(struct tester *t, const char *path);

/* Fill r for case c (no printing). Returns 0, or -1 with r->error set. */
int tester_check(struct tester *t, const struct tcase *c,
    struct tresult *r);

/* live.c: load objects from the cluster into t->db. */
int tester_live_load(struct tester *t, char *errbuf, size_t errlen);
/*
 * live.c: probe and Hubble steps for a check whose policy verdict is in
 * r; adds steps to r.  src_pod/dst are as resolved by tester_check.
 */
struct live_target {
	const char *ip;		/* what the probe connects to (pod or
				 * cluster IP, or an address) */
	int port;		/* its port (the service port for a service) */
	int proto;		/* enum policy_proto */
	int pod;		/* backend pod after service translation, -1 */
	const char *pod_ip;	/* its IP, or NULL */
	int pod_port;		/* its (target) port */
};

void tester_live_probe(struct tester *t, int src_pod,
    const struct live_target *dst, struct tresult *r);
/* live.c: resolve name inside the source pod (--verbose); adds a step. */
void tester_live_dns(struct tester *t, int src_pod, const char *name,
    const char *want_ip, struct tresult *r);
void tester_live_close(struct tester *t);

#endif /* CILKIT_TESTER_H */
