/*
 * fuzz_cpcap_inplace.c - libFuzzer target, differential: a capture file
 * read in place (cpcap_inplace.h) must give exactly what libpcap gives
 * for it: the same records, bytes, timestamps, counts, and the same end
 * or error message; the in-place side is read in batches.  Any
 * difference aborts.  The bytes are a real file
 * (memfd), so that the in-place reader takes it where it can.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cilkit.h"
#include "cpcap_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cpcap_reader *
open_fd(int fd, bool lib, char *eb, size_t ebl)
{
	char path[64];
	struct cpcap_reader *r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (lib)
		setenv("CILKIT_PCAP_LIBPCAP", "1", 1);
	r = cpcap_reader_open_path(path, eb, ebl);
	unsetenv("CILKIT_PCAP_LIBPCAP");
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char eb1[CILKIT_ERRBUF_SIZE] = "", eb2[CILKIT_ERRBUF_SIZE] = "";
	struct cpcap_reader *lib, *own;
	struct cpcap_frame f1, f2;
	int fd, rc1, rc2;

	if ((fd = memfd_create("fuzz", 0)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lib = open_fd(fd, true, eb1, sizeof(eb1));
	own = open_fd(fd, false, eb2, sizeof(eb2));
	if ((lib == NULL) != (own == NULL))
		abort();
	if (lib != NULL) {
		/* The in-place side in batches of 1 to 8 records. */
		int max = (int)(size % 8) + 1, i;
		struct cpcap_frame fb[8];

		do {
			rc2 = cpcap_reader_batch(own, fb, max, eb2,
			    sizeof(eb2));
			for (i = 0; i < rc2; i++) {
				f2 = fb[i];
				if (cpcap_reader_next(lib, &f1, eb1,
				    sizeof(eb1)) != 1 ||
				    f1.ts_ns != f2.ts_ns ||
				    f1.caplen != f2.caplen ||
				    f1.wirelen != f2.wirelen ||
				    f1.dlt != f2.dlt ||
				    memcmp(f1.data, f2.data, f1.caplen) != 0)
					abort();
			}
		} while (rc2 > 0);
		rc1 = cpcap_reader_next(lib, &f1, eb1, sizeof(eb1));
		if (rc1 != rc2)
			abort();
		if (rc1 < 0 && strcmp(eb1, eb2) != 0)
			abort();
		if (cpcap_reader_count(lib) != cpcap_reader_count(own))
			abort();
	}
	cpcap_reader_free(lib);
	cpcap_reader_free(own);
	close(fd);
	return 0;
}
