/*
 * live.c - policy-tester against a cluster: objects from the API, the
 * probe inside the source pod and the Hubble step.
 *
 * Cluster access (lib/kube_*) is not in this tree yet: every live entry
 * point says so plainly instead of pretending.
 */
#include <stdio.h>
#include <string.h>

#include "cilkit.h"
#include "policy.h"
#include "tester.h"

int
tester_live_load(struct tester *t, char *eb, size_t el)
{
	(void)t;
	return cilkit_fail(eb, el, CILKIT_EUNSUPPORTED,
	    "no --manifests given, and this build has no cluster access "
	    "yet: use --manifests FILE|DIR");
}

void
tester_live_probe(struct tester *t, int src_pod, const char *dst_ip,
    int port, int proto, struct tresult *r)
{
	(void)t;
	(void)src_pod;
	(void)dst_ip;
	(void)port;
	(void)proto;
	(void)r;
}

void
tester_live_close(struct tester *t)
{
	(void)t;
}
