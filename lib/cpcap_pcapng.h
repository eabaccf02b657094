/*
 * cpcap_pcapng.h - a pcapng reader for the files libpcap refuses.
 *
 * libpcap reads captures with one link type: a pcapng file whose
 * interfaces have different ones (dumpcap -i eth0 -i any, -i lxc... -i
 * cilium_wg0, mergecap of captures from different devices) ends with
 * "an interface has a type ... different from the type of the first
 * interface".  cpcap_read.c then goes on with this reader, which gives
 * each packet its own interface's link type.  It follows the pcapng
 * specification (draft-ietf-opsawg-pcapng): sections in either byte
 * order, interface description blocks with their timestamp resolution
 * and offset, enhanced, simple and (obsolete) packet blocks; every other
 * block is skipped.
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
 * The link types of the interfaces described so far, each once, in the
 * order first described.
 */
size_t cpcap_pcapng_dlts(const struct cpcap_pcapng *g, const int **v);

#endif /* CILKIT_CPCAP_PCAPNG_H */
