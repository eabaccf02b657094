/*
 * cpcap_pcapng.h - a pcapng reader that says where each packet was seen.
 *
 * libpcap reads captures with one link type: a pcapng file whose
 * interfaces have different ones (dumpcap -i eth0 -i any, -i lxc... -i
 * cilium_wg0, mergecap of captures from different devices) ends with
 * "an interface has a type ... different from the type of the first
 * interface".  And it does not say on which interface, or in which
 * direction, a packet was captured, which is what tells one packet seen
 * on two devices from a resend.  cpcap_read.c therefore reads every
 * pcapng file with this reader, which gives each packet its own
 * interface's link type, the interface and the direction.  It follows
 * the pcapng specification (draft-ietf-opsawg-pcapng): sections in
 * either byte order, interface description blocks with their timestamp
 * resolution and offset, enhanced, simple and (obsolete) packet blocks
 * with their flags; every other block is skipped.
 */
#ifndef CILKIT_CPCAP_PCAPNG_H
#define CILKIT_CPCAP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpcap_read.h"

/* The biggest block read (libpcap's limit too). */
#define CPCAP_PCAPNG_BLOCK_MAX	((uint32_t)16 << 20)
/* Interfaces remembered per section. */
#define CPCAP_PCAPNG_IFACES	4096

struct cpcap_pcapng;

/*
 * A reader on fp, which it takes over and closes; name is for messages.
 * Reads nothing yet.  NULL only without memory (fp is closed then).
 */
struct cpcap_pcapng *cpcap_pcapng_open(FILE *fp, const char *name);
void cpcap_pcapng_free(struct cpcap_pcapng *g);

/*
 * Next packet: 1 with *f filled (f->dlt its interface's link type,
 * f->data valid until the next call), 0 at the end of the file, or a
 * negative enum cilkit_err with errbuf "NAME: offset N: reason" when
 * the file is damaged or cut inside a block; there is nothing more to
 * read then.
 */
int cpcap_pcapng_next(struct cpcap_pcapng *g, struct cpcap_frame *f,
    char *errbuf, size_t errlen);

/*
 * The interfaces of the section being read: their capif numbers (struct
 * cpcap_frame) are *first .. *first + *n - 1, once the file has
 * described more than one interface (*n 0 before a section starts).
 */
void cpcap_pcapng_section(const struct cpcap_pcapng *g, uint32_t *first,
    uint32_t *n);

/* Interfaces described so far, in every section. */
uint32_t cpcap_pcapng_ifaces(const struct cpcap_pcapng *g);

/*
 * The link types of the interfaces described so far, each once, in the
 * order first described.
 */
size_t cpcap_pcapng_dlts(const struct cpcap_pcapng *g, const int **v);

#endif /* CILKIT_CPCAP_PCAPNG_H */
