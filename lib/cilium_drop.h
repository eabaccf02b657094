/*
 * cilium_drop.h - Cilium's drop reason table: datapath code, the proto
 * enum name (flow.proto DropReason) and the message `cilium monitor`
 * prints (pkg/monitor/api/drop.go), with lookups in every direction.
 */
#ifndef CILKIT_CILIUM_DROP_H
#define CILKIT_CILIUM_DROP_H

#include <stddef.h>
#include <stdint.h>

struct cilium_drop_reason {
	uint32_t code;
	const char *name;	/* enum name, or NULL when the proto has none */
	const char *message;	/* current monitor message */
};

/* Families that get the same advice in a report. */
enum cilium_drop_family {
	CILIUM_DROP_FAM_OTHER = 0,
	CILIUM_DROP_FAM_POLICY,		/* policy denied, denylist, L7 */
	CILIUM_DROP_FAM_INVALID_SOURCE,	/* invalid source ip/mac, spoofing */
	CILIUM_DROP_FAM_CONNTRACK,	/* CT map full/insert/missing ACK */
	CILIUM_DROP_FAM_UNROUTABLE,	/* stale or unroutable IP, FIB, no route */
	CILIUM_DROP_FAM_TUNNEL,		/* no tunnel/encap endpoint, encap */
	CILIUM_DROP_FAM_FQDN,		/* policy denial of a DNS-named peer */
	CILIUM_DROP_FAM_AUTH,		/* mutual auth required */
	CILIUM_DROP_FAM_UNSUPPORTED,	/* unsupported L2/L3/L4 protocol */
	CILIUM_DROP_FAM_SERVICE,	/* no service backend, LB */
	CILIUM_DROP_FAM_INVALID_PACKET,	/* malformed packet, fragments */
	CILIUM_DROP_FAM_NAT,		/* NAT/SNAT failures */
	CILIUM_DROP_FAM_RATE,		/* rate limiting, EDT horizon */
};

/* Entry for a code, or NULL when the code is not in the table. */
const struct cilium_drop_reason *cilium_drop_by_code(uint32_t code);

/*
 * Find a reason by what a user or an older tool may type: the enum name
 * (case-insensitive, "POLICY_DENIED" or "policy_denied"), the message
 * (case-insensitive, current or an older monitor text such as
 * "Policy denied (L3)"), or the decimal code.  NULL when nothing matches.
 */
const struct cilium_drop_reason *cilium_drop_lookup(const char *s);

/* The message for a code; for an unknown code, "" is never returned:
 * buf (at least 32 bytes) receives "Unknown drop reason N". */
const char *cilium_drop_message(uint32_t code, char *buf, size_t len);

enum cilium_drop_family cilium_drop_family(uint32_t code);

struct flow;
/*
 * The family for a dropped flow: as cilium_drop_family(), except that a
 * policy denial towards a destination known by DNS name (destination
 * names or fqdn: labels) is CILIUM_DROP_FAM_FQDN.
 */
enum cilium_drop_family cilium_drop_family_of_flow(const struct flow *f);
const char *cilium_drop_family_name(enum cilium_drop_family fam);

/* Number of table entries, and entry i (for tests and listings). */
size_t cilium_drop_count(void);
const struct cilium_drop_reason *cilium_drop_at(size_t i);

#endif /* CILKIT_CILIUM_DROP_H */
