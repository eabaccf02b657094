/*
 * remote.c - cilium-pcap's remote mode: tcpdump in the node's Cilium
 * agent pod through pods/exec.
 */
#include "capture.h"
#include "cli.h"
#include "exitcodes.h"

int
cp_remote(struct cp_opts *o)
{
	(void)o;
	cli_warnx("remote capture through the cluster API is not available "
	    "in this build; use --local --ip ADDR on the pod's node");
	return CILKIT_EXIT_CLUSTER;
}
