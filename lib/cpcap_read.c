/*
 * cpcap_read.c - capture reading through libpcap (cpcap_read.h).
 *
 * libpcap checks the file header and each record's caplen against the
 * snaplen and a per-link maximum before allocating (sf-pcap.c,
 * sf-pcapng.c), so the record sizes we see are already bounded.
 */
#include <errno.h>
#include <stdio_ext.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cilkit.h"
#include "cpcap_read.h"

/* Bytes put back in front of a stream, then the stream itself. */
struct prefix_cookie {
	FILE		*fp;
	unsigned char	*buf;
	size_t		 len, pos;
};

struct cpcap_reader {
	pcap_t		*pc;
	FILE		*fp;		/* what libpcap reads (closed by it) */
	FILE		*under;		/* the caller's stream, if wrapped */
	char		*name;
	int		 dlt;
	bool		 ng;
	bool		 nano_file;
	struct bpf_program prog;
	bool		 have_prog;
	uint64_t	 count, filtered;
};

static ssize_t
prefix_read(void *cookie, char *buf, size_t size)
{
	struct prefix_cookie *pc = cookie;
	size_t n;

	if (pc->pos < pc->len) {
		n = pc->len - pc->pos;
		if (n > size)
			n = size;
		memcpy(buf, pc->buf + pc->pos, n);
		pc->pos += n;
		return (ssize_t)n;
	}
	n = fread(buf, 1, size, pc->fp);
	if (n == 0 && ferror(pc->fp))
		return -1;
	return (ssize_t)n;
}

static int
prefix_close(void *cookie)
{
	struct prefix_cookie *pc = cookie;

	free(pc->buf);
	free(pc);
	return 0;
}

static FILE *
prefix_open(FILE *fp, const void *prefix, size_t n)
{
	cookie_io_functions_t io = { .read = prefix_read,
	    .close = prefix_close };
	struct prefix_cookie *pc;
	FILE *out;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	if ((pc->buf = malloc(n)) == NULL) {
		free(pc);
		return NULL;
	}
	memcpy(pc->buf, prefix, n);
	pc->len = n;
	pc->fp = fp;
	if ((out = fopencookie(pc, "r", io)) == NULL) {
		free(pc->buf);
		free(pc);
	}
	return out;
}

/*
 * A regular file needs no stitching: a new stream on the same file,
 * from where the prefix started, with a big buffer.  (A stream wrapped
 * with fopencookie costs the reader a fifth more: glibc copies the
 * small reads libpcap makes from it a byte at a time.)  NULL when fp is
 * not a seekable file; fp itself is left alone then.
 */
static FILE *
reopen_before_prefix(FILE *fp, size_t n)
{
	struct stat st;
	off_t pos;
	FILE *nf;
	int fd;

	if (fileno(fp) < 0 || fstat(fileno(fp), &st) != 0 ||
	    !S_ISREG(st.st_mode) || (pos = ftello(fp)) < (off_t)n)
		return NULL;
	if ((fd = dup(fileno(fp))) < 0)
		return NULL;
	if (lseek(fd, pos - (off_t)n, SEEK_SET) < 0 ||
	    (nf = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return NULL;
	}
	setvbuf(nf, NULL, _IOFBF, (size_t)1 << 20);
	return nf;
}

struct cpcap_reader *
cpcap_reader_open(FILE *fp, const char *name, const void *prefix, size_t n,
    char *errbuf, size_t errlen)
{
	struct cpcap_reader *r;
	char pe[PCAP_ERRBUF_SIZE] = "";
	const unsigned char *m = prefix;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->name = strdup(name != NULL ? name : "<stdin>")) == NULL) {
		free(r);
		cilkit_fail(errbuf, errlen, CILKIT_ENOMEM, "out of memory");
		fclose(fp);
		return NULL;
	}
	if (n > 0 && (r->fp = reopen_before_prefix(fp, n)) != NULL) {
		fclose(fp);
	} else if (n > 0) {
		if ((r->fp = prefix_open(fp, prefix, n)) == NULL) {
			cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
			    "%s: out of memory", r->name);
			fclose(fp);
			goto fail;
		}
		r->under = fp;
		/* Fresh stream: a big buffer means few reads per packet. */
		setvbuf(r->fp, NULL, _IOFBF, (size_t)1 << 20);
	} else
		r->fp = fp;
	/*
	 * libpcap makes two freads per packet; with the stream's lock
	 * taken in each they cost as much as decoding the packet.  The
	 * reader is the stream's only user, one thread at a time.
	 */
	__fsetlocking(r->fp, FSETLOCKING_BYCALLER);
	if (r->under != NULL)
		__fsetlocking(r->under, FSETLOCKING_BYCALLER);
	r->pc = pcap_fopen_offline_with_tstamp_precision(r->fp,
	    PCAP_TSTAMP_PRECISION_NANO, pe);
	if (r->pc == NULL) {
		cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: not a readable capture: %s", r->name,
		    pe[0] != '\0' ? pe : "unknown format");
		fclose(r->fp);
		if (r->under != NULL)
			fclose(r->under);
		goto fail;
	}
	r->dlt = pcap_datalink(r->pc);
	if (n >= 4) {
		r->ng = m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d &&
		    m[3] == 0x0a;
		r->nano_file = (m[0] == 0xa1 && m[1] == 0xb2 &&
		    m[2] == 0x3c && m[3] == 0x4d) ||
		    (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 &&
		    m[3] == 0xa1);
	} else {
		/* No prefix: ask libpcap (pcapng reports version 1.0). */
		r->ng = pcap_major_version(r->pc) == 1;
	}
	return r;
fail:
	free(r->name);
	free(r);
	return NULL;
}

struct cpcap_reader *
cpcap_reader_open_path(const char *path, char *errbuf, size_t errlen)
{
	bool file = strcmp(path, "-") != 0;
	unsigned char magic[4];
	size_t n;
	FILE *fp = stdin;

	if (file) {
		if ((fp = fopen(path, "rb")) == NULL) {
			cilkit_fail(errbuf, errlen, errno == ENOENT ?
			    CILKIT_ENOTFOUND : CILKIT_EIO, "%s: %s", path,
			    strerror(errno));
			return NULL;
		}
	}
	/*
	 * Read the magic ourselves so that the format is known; a file is
	 * then read again from its start, a pipe gets it put back.
	 */
	n = fread(magic, 1, sizeof(magic), fp);
	return cpcap_reader_open(fp, file ? path : "<stdin>", magic, n, errbuf,
	    errlen);
}

void
cpcap_reader_free(struct cpcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->have_prog)
		pcap_freecode(&r->prog);
	if (r->pc != NULL)
		pcap_close(r->pc);	/* closes r->fp */
	if (r->under != NULL)
		fclose(r->under);
	free(r->name);
	free(r);
}

int
cpcap_reader_dlt(const struct cpcap_reader *r)
{
	return r->dlt;
}

uint32_t
cpcap_reader_snaplen(const struct cpcap_reader *r)
{
	return (uint32_t)pcap_snapshot(r->pc);
}

const char *
cpcap_reader_format(const struct cpcap_reader *r)
{
	return r->ng ? "pcapng" : "pcap";
}

int
cpcap_reader_nano(const struct cpcap_reader *r)
{
	return r->nano_file;
}

int
cpcap_reader_set_filter(struct cpcap_reader *r, const char *expr,
    char *errbuf, size_t errlen)
{
	pcap_t *dead;
	int snap = pcap_snapshot(r->pc);

	if (snap <= 0)
		snap = 262144;
	/* A dead handle of the capture's link type: no device needed. */
	if ((dead = pcap_open_dead(r->dlt, snap)) == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	if (r->have_prog) {
		pcap_freecode(&r->prog);
		r->have_prog = false;
	}
	if (pcap_compile(dead, &r->prog, expr, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "filter '%s': %s", expr, pcap_geterr(dead));
		pcap_close(dead);
		return CILKIT_EINVAL;
	}
	pcap_close(dead);
	r->have_prog = true;
	return 0;
}

int
cpcap_reader_next(struct cpcap_reader *r, struct cpcap_frame *f,
    char *errbuf, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (;;) {
		rc = pcap_next_ex(r->pc, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			const char *why = pcap_geterr(r->pc);

			/*
			 * libpcap reads one link type per file; dumpcap and
			 * mergecap write pcapng files with several.  Say
			 * that it is the file's shape, not damage.
			 */
			return cilkit_fail(errbuf, errlen, CILKIT_ETRUNC,
			    "%s: after packet %llu: %s%s", r->name,
			    (unsigned long long)r->count, why,
			    strstr(why, "different from the type of the "
			    "first interface") != NULL ? " (the file mixes "
			    "link types, which libpcap cannot read: capture "
			    "each interface to a file of its own)" : "");
		}
		r->count++;
		if (r->have_prog && pcap_offline_filter(&r->prog, h,
		    data) == 0) {
			r->filtered++;
			continue;
		}
		/* With nano precision, tv_usec holds nanoseconds. */
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
		    (uint64_t)h->ts.tv_usec;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->data = data;
		return 1;
	}
}

uint64_t
cpcap_reader_count(const struct cpcap_reader *r)
{
	return r->count;
}

uint64_t
cpcap_reader_filtered(const struct cpcap_reader *r)
{
	return r->filtered;
}
