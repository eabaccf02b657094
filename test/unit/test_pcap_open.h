/*
 * test_pcap_open.h - open a capture for the reader tests either way:
 * read by libpcap, or in place where the reader can (cpcap_inplace.h).
 */
#ifndef CILKIT_TEST_PCAP_OPEN_H
#define CILKIT_TEST_PCAP_OPEN_H

#include <stdbool.h>
#include <stdlib.h>

#include <check.h>

#include "cpcap_read.h"

/* Open path, read by libpcap (lib) or, where it can be, in place. */
static inline struct cpcap_reader *
open_as(const char *path, bool lib, char *eb, size_t ebl)
{
	struct cpcap_reader *r;

	if (lib)
		setenv("CILKIT_PCAP_LIBPCAP", "1", 1);
	r = cpcap_reader_open_path(path, eb, ebl);
	unsetenv("CILKIT_PCAP_LIBPCAP");
	if (r != NULL && lib)
		ck_assert(!cpcap_reader_in_place(r));
	return r;
}

#endif /* CILKIT_TEST_PCAP_OPEN_H */
