/*
 * policy_fuzz_common.h - what both policy fuzz targets do with the
 * objects they read: load them, finalize, evaluate every pod pair on a
 * few ports (explaining each verdict) and build the connlist.  Included
 * by fuzz_policy_yaml.c and fuzz_policy_json.c only.
 */
#ifndef CILKIT_POLICY_FUZZ_COMMON_H
#define CILKIT_POLICY_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cilkit.h"
#include "policy.h"

static void
fuzz_policy_objects(struct json_object **objs, int n, unsigned mode)
{
	struct policy_opts po;
	struct policy_db *db;
	char eb[CILKIT_ERRBUF_SIZE], buf[2048], **lines;
	size_t np, i, j, nl;
	int k;

	memset(&po, 0, sizeof(po));
	po.k8s_semantics = mode & 1;
	po.ipblock = mode & 2 ? POLICY_IPBLOCK_K8S : POLICY_IPBLOCK_CILIUM;
	if (policy_db_new(&db, &po, eb, sizeof(eb)) < 0)
		return;
	for (k = 0; k < n; k++)
		(void)policy_db_add_object(db, objs[k], "fuzz", eb, sizeof(eb));
	if (policy_db_finalize(db, eb, sizeof(eb)) < 0)
		goto out;
	np = policy_db_npods(db);
	if (np > 16)
		np = 16;
	for (i = 0; i < np; i++) {
		for (j = 0; j < np; j++) {
			static const int ports[] = { 1, 53, 80, 8080, 65535 };
			struct policy_query q;
			struct policy_verdict v;
			size_t p;

			memset(&q, 0, sizeof(q));
			q.src.pod = (int)i;
			q.dst.pod = (int)j;
			for (p = 0; p < 6; p++) {
				q.proto = p == 5 ? POLICY_ICMP : p % 2 ?
				    POLICY_UDP : POLICY_TCP;
				q.port = p == 5 ? 0 : ports[p];
				q.icmp_type = 8;
				if (policy_evaluate(db, &q, &v, eb,
				    sizeof(eb)) < 0)
					abort();
				policy_explain_dir(db, &q, POLICY_EGRESS,
				    &v.egress, buf, sizeof(buf));
				policy_explain_dir(db, &q, POLICY_INGRESS,
				    &v.ingress, buf, sizeof(buf));
			}
			(void)policy_connset(db, &q.src, &q.dst, buf,
			    sizeof(buf));
		}
	}
	/* addresses too: outside, a node (seeds use 192.168.0.1), IPv6 */
	for (i = 0; i < np; i++) {
		static const char *const ips[] = { "8.8.8.8", "192.168.0.1",
			"fd00::1" };
		struct policy_query q;
		struct policy_verdict v;
		size_t k, d;

		for (k = 0; k < 3; k++)
			for (d = 0; d < 2; d++) {
				struct policy_end *a = d ? &q.src : &q.dst;

				memset(&q, 0, sizeof(q));
				q.src.pod = q.dst.pod = (int)i;
				a->pod = -1;
				if (policy_parse_ip(ips[k], &a->family,
				    a->ip) < 0)
					abort();
				q.proto = POLICY_TCP;
				q.port = 443;
				if (policy_evaluate(db, &q, &v, eb,
				    sizeof(eb)) < 0)
					abort();
				policy_explain_dir(db, &q, d ? POLICY_INGRESS :
				    POLICY_EGRESS, d ? &v.ingress : &v.egress,
				    buf, sizeof(buf));
			}
	}
	if (policy_db_npods(db) <= 32 &&
	    policy_connlist(db, &lines, &nl, eb, sizeof(eb)) == 0)
		policy_lines_free(lines, nl);
out:
	policy_db_free(db);
}

#endif /* CILKIT_POLICY_FUZZ_COMMON_H */
