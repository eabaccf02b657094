/*
 * cpcap_read.c - capture reading through libpcap (cpcap_read.h).
 *
 * libpcap checks the file header and each record's caplen against the
 * snaplen and a per-link maximum before allocating (sf-pcap.c,
 * sf-pcapng.c), so the record sizes we see are already bounded;
 * cpcap_inplace.c makes the same checks.
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
#include "cpcap_decode.h"
#include "cpcap_inplace.h"
#include "cpcap_pcapng.h"
#include "cpcap_read.h"
#include "cpcap_reorder.h"

/*
 * A pipe's first bytes are kept (up to this much) so that a pcapng
 * stream can be read again by cpcap_pcapng.c: right after libpcap opened
 * it, or with CILKIT_PCAP_LIBPCAP when libpcap refuses its mixed link
 * types at the second interface's description, which capture tools
 * write before the packets.
 */
#define JOURNAL_MAX	((size_t)4 << 20)
/*
 * libpcap's biggest snapshot length (MAXIMUM_SNAPLEN): the biggest
 * record it takes of every link type we decode, and the snaplen a
 * filter is compiled with when the file's is 0 or more.
 */
#define PCAP_SNAPLEN_MAX	262144
/* Link types of one capture that get a compiled filter of their own. */
#define FILTER_DLTS	16

/*
 * Bytes put back in front of a stream, then the stream itself; what it
 * hands out is also kept in a journal while journal is set.
 */
struct prefix_cookie {
	FILE		*fp;
	unsigned char	*buf;
	size_t		 len, pos;
	bool		 journal;
	unsigned char	*jbuf;
	size_t		 jlen, jcap;
};

/* The filter compiled for one link type (ok: it compiled). */
struct dlt_prog {
	int		 dlt;
	bool		 ok;
	struct bpf_program prog;
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
	uint32_t	 snaplen;
	off_t		 start;		/* of the capture in a file, or -1 */
	struct prefix_cookie *ck;	/* the stitching stream's */
	/* A plain pcap file, read in place once libpcap opened it: */
	struct cpcap_inplace *inplace;
	/* A pcapng capture is read by cpcap_pcapng.c: */
	struct cpcap_pcapng *own;
	uint64_t	 skip;		/* records libpcap gave: read again */
	/* its interfaces merged into time order, once there are several */
	struct cpcap_reorder *order;
	int		 own_rc;	/* 1 reading, else its end or error */
	char		 own_err[CILKIT_ERRBUF_SIZE];
	char		*filter;	/* the expression, for each link type */
	struct dlt_prog	 progs[FILTER_DLTS];
	size_t		 nprogs;
};

/* Give the journal up: the stream cannot be read again. */
static void
journal_drop(struct prefix_cookie *pc)
{
	free(pc->jbuf);
	pc->jbuf = NULL;
	pc->jlen = pc->jcap = 0;
	pc->journal = false;
}

/* Keep n bytes handed out in the journal, or give the journal up. */
static void
journal_add(struct prefix_cookie *pc, const void *p, size_t n)
{
	unsigned char *nb;
	size_t ncap;

	if (pc->jlen + n > JOURNAL_MAX) {
		journal_drop(pc);
		return;
	}
	if (pc->jlen + n > pc->jcap) {
		ncap = pc->jcap != 0 ? pc->jcap : 64 << 10;
		while (ncap < pc->jlen + n)
			ncap *= 2;
		if ((nb = realloc(pc->jbuf, ncap)) == NULL) {
			journal_drop(pc);
			return;
		}
		pc->jbuf = nb;
		pc->jcap = ncap;
	}
	memcpy(pc->jbuf + pc->jlen, p, n);
	pc->jlen += n;
}

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
	} else {
		n = fread(buf, 1, size, pc->fp);
		if (n == 0 && ferror(pc->fp))
			return -1;
	}
	if (pc->journal && n > 0)
		journal_add(pc, buf, n);
	return (ssize_t)n;
}

static int
prefix_close(void *cookie)
{
	struct prefix_cookie *pc = cookie;

	free(pc->buf);
	free(pc->jbuf);
	free(pc);
	return 0;
}

/*
 * A stream of buf (n bytes, taken over) and then fp; its cookie in *ck
 * if ck is not NULL.  On failure buf is freed.
 */
static FILE *
prefix_open_buf(FILE *fp, unsigned char *buf, size_t n,
    struct prefix_cookie **ck)
{
	cookie_io_functions_t io = { .read = prefix_read,
	    .close = prefix_close };
	struct prefix_cookie *pc;
	FILE *out;

	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		free(buf);
		return NULL;
	}
	pc->buf = buf;
	pc->len = n;
	pc->fp = fp;
	if ((out = fopencookie(pc, "r", io)) == NULL) {
		free(pc->buf);
		free(pc);
		return NULL;
	}
	if (ck != NULL)
		*ck = pc;
	return out;
}

static FILE *
prefix_open(FILE *fp, const void *prefix, size_t n, struct prefix_cookie **ck)
{
	unsigned char *buf;

	if ((buf = malloc(n)) == NULL)
		return NULL;
	memcpy(buf, prefix, n);
	return prefix_open_buf(fp, buf, n, ck);
}

/*
 * A regular file needs no stitching: a new stream on the same file,
 * from where the prefix started, with a big buffer.  (A stream wrapped
 * with fopencookie costs the reader a fifth more: glibc copies the
 * small reads libpcap makes from it a byte at a time.)  NULL when fp is
 * not a seekable file; fp itself is left alone then.
 */
static FILE *
reopen_before_prefix(FILE *fp, size_t n, off_t *start)
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
	*start = pos - (off_t)n;
	setvbuf(nf, NULL, _IOFBF, (size_t)1 << 20);
	return nf;
}

/*
 * A regular pcap file that cpcap_inplace.c reads as libpcap would: its
 * header (read again from the file) is version 2.4 in the host's byte
 * order, and its link type one we decode, whose biggest record libpcap
 * takes is PCAP_SNAPLEN_MAX (only D-Bus, USBPcap and EBHSCR allow
 * more).  NULL for anything else: libpcap reads it.
 */
static struct cpcap_inplace *
open_inplace(struct cpcap_reader *r)
{
	unsigned char hdr[CPCAP_PCAP_FILEHDR];
	bool nano;

	if (r->start < 0 || getenv("CILKIT_PCAP_LIBPCAP") != NULL ||
	    pcap_is_swapped(r->pc) || !cpcap_dlt_supported(r->dlt) ||
	    pread(fileno(r->fp), hdr, sizeof(hdr), r->start) !=
	    (ssize_t)sizeof(hdr) || !cpcap_inplace_header_ok(hdr, &nano))
		return NULL;
	return cpcap_inplace_new(fileno(r->fp), r->start +
	    CPCAP_PCAP_FILEHDR, nano, r->snaplen, PCAP_SNAPLEN_MAX);
}

static bool own_start(struct cpcap_reader *r);

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
	r->start = -1;
	if (n > 0 && (r->fp = reopen_before_prefix(fp, n, &r->start)) !=
	    NULL) {
		fclose(fp);
	} else if (n > 0) {
		if ((r->fp = prefix_open(fp, prefix, n, &r->ck)) == NULL) {
			cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
			    "%s: out of memory", r->name);
			fclose(fp);
			goto fail;
		}
		r->under = fp;
		/* A pcapng stream may have to be read again. */
		r->ck->journal = n >= 4 && memcmp(prefix, "\x0a\x0d\x0d\x0a",
		    4) == 0;
		/* Fresh stream: a big buffer means few reads per packet. */
		setvbuf(r->fp, NULL, _IOFBF, (size_t)1 << 20);
	} else {
		struct stat st;

		r->fp = fp;
		if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
			r->start = ftello(fp);
	}
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
	r->snaplen = (uint32_t)pcap_snapshot(r->pc);
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
	if (!r->ng)
		r->inplace = open_inplace(r);
	else if (getenv("CILKIT_PCAP_LIBPCAP") == NULL)
		/*
		 * Every pcapng file by cpcap_pcapng.c, once libpcap has
		 * checked its start: it gives each packet its interface and
		 * direction, which libpcap does not, reads link types mixed,
		 * and from a pipe needs no second reading later.  Where it
		 * cannot start (no memory), libpcap goes on.
		 */
		(void)own_start(r);
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

/* Free the compiled filter, for every link type. */
static void
free_filters(struct cpcap_reader *r)
{
	size_t i;

	if (r->have_prog) {
		pcap_freecode(&r->prog);
		r->have_prog = false;
	}
	for (i = 0; i < r->nprogs; i++)
		if (r->progs[i].ok)
			pcap_freecode(&r->progs[i].prog);
	r->nprogs = 0;
}

void
cpcap_reader_free(struct cpcap_reader *r)
{
	if (r == NULL)
		return;
	free_filters(r);
	if (r->pc != NULL)
		pcap_close(r->pc);	/* closes r->fp */
	cpcap_pcapng_free(r->own);	/* closes its stream */
	cpcap_reorder_free(r->order);
	cpcap_inplace_free(r->inplace);
	if (r->under != NULL)
		fclose(r->under);
	free(r->filter);
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
	return r->snaplen;
}

size_t
cpcap_reader_dlts(const struct cpcap_reader *r, const int **v)
{
	if (r->own != NULL)
		return cpcap_pcapng_dlts(r->own, v);
	*v = &r->dlt;
	return 1;
}

uint32_t
cpcap_reader_interfaces(const struct cpcap_reader *r)
{
	if (r->own != NULL)
		return cpcap_pcapng_ifaces(r->own);
	return r->ng ? 0 : 1;
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

/* Compile r->filter for link type dlt into *prog. */
static int
compile_for(struct cpcap_reader *r, int dlt, struct bpf_program *prog,
    char *errbuf, size_t errlen)
{
	pcap_t *dead;
	int snap = r->snaplen > 0 && r->snaplen <= PCAP_SNAPLEN_MAX ?
	    (int)r->snaplen : PCAP_SNAPLEN_MAX;

	/* A dead handle of the link type: no device needed. */
	if ((dead = pcap_open_dead(dlt, snap)) == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	if (pcap_compile(dead, prog, r->filter, 1,
	    PCAP_NETMASK_UNKNOWN) != 0) {
		cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "filter '%s': %s", r->filter, pcap_geterr(dead));
		pcap_close(dead);
		return CILKIT_EINVAL;
	}
	pcap_close(dead);
	return 0;
}

int
cpcap_reader_set_filter(struct cpcap_reader *r, const char *expr,
    char *errbuf, size_t errlen)
{
	int rc;

	free_filters(r);
	free(r->filter);
	if ((r->filter = strdup(expr)) == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	if ((rc = compile_for(r, r->dlt, &r->prog, errbuf, errlen)) != 0)
		return rc;
	r->have_prog = true;
	return 0;
}

/*
 * The filter of the capture compiled for link type dlt (one compiled
 * for a link type met after the first).  NULL when it does not compile
 * for that link type ("ether host" on raw IP): none of its packets can
 * match then, as in tshark.
 */
static const struct bpf_program *
prog_for(struct cpcap_reader *r, int dlt)
{
	struct dlt_prog *dp;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t i;

	if (dlt == r->dlt)
		return &r->prog;
	for (i = 0; i < r->nprogs; i++)
		if (r->progs[i].dlt == dlt)
			return r->progs[i].ok ? &r->progs[i].prog : NULL;
	if (r->nprogs == FILTER_DLTS)
		return NULL;
	dp = &r->progs[r->nprogs++];
	dp->dlt = dlt;
	dp->ok = compile_for(r, dlt, &dp->prog, eb, sizeof(eb)) == 0;
	return dp->ok ? &dp->prog : NULL;
}

/*
 * Go on with cpcap_pcapng.c from the start of a pcapng capture: a file
 * is read again, a pipe from the journal of what went through the
 * stitching stream and then the rest of it.  At the open, or when
 * libpcap (CILKIT_PCAP_LIBPCAP) refused the file for a second link
 * type: its records are skipped then.  false when neither is possible
 * (a pipe past JOURNAL_MAX).
 */
static bool
own_start(struct cpcap_reader *r)
{
	FILE *nf = NULL;
	int fd;

	if (r->start >= 0) {
		if ((fd = dup(fileno(r->fp))) < 0)
			return false;
		if (lseek(fd, r->start, SEEK_SET) < 0 ||
		    (nf = fdopen(fd, "rb")) == NULL) {
			close(fd);
			return false;
		}
	} else if (r->ck != NULL && r->ck->journal && r->under != NULL) {
		nf = prefix_open_buf(r->under, r->ck->jbuf, r->ck->jlen, NULL);
		r->ck->jbuf = NULL;
		r->ck->journal = false;
		if (nf == NULL)
			return false;
	} else
		return false;
	/* Few reads, and no lock: its only user is the reader. */
	setvbuf(nf, NULL, _IOFBF, (size_t)1 << 20);
	__fsetlocking(nf, FSETLOCKING_BYCALLER);
	if ((r->own = cpcap_pcapng_open(nf, r->name)) == NULL)
		return false;
	pcap_close(r->pc);	/* and r->fp, r->ck with it */
	r->pc = NULL;
	r->fp = NULL;
	r->ck = NULL;
	r->skip = r->count;
	r->count = 0;
	r->own_rc = 1;
	return true;
}

/*
 * The next record from cpcap_pcapng.c, past those libpcap gave, that
 * the filter passes; once the file has described more than one
 * interface, in time order across them (cpcap_reorder.h).  Its end or
 * error comes after the records queued.
 */
static int
own_next(struct cpcap_reader *r, struct cpcap_frame *f, char *errbuf,
    size_t errlen)
{
	const struct bpf_program *prog;
	struct pcap_pkthdr h;
	uint32_t first, nif;
	int rc;

	for (;;) {
		if (r->order != NULL && cpcap_reorder_pop(r->order,
		    r->own_rc != 1, f))
			return 1;
		if (r->own_rc != 1) {
			if (r->own_rc < 0)
				snprintf(errbuf, errlen, "%s", r->own_err);
			return r->own_rc;
		}
		if ((rc = cpcap_pcapng_next(r->own, f, r->own_err,
		    sizeof(r->own_err))) != 1) {
			r->own_rc = rc;
			continue;
		}
		r->count++;
		if (r->skip > 0) {
			r->skip--;
			continue;
		}
		if (r->filter != NULL) {
			prog = prog_for(r, f->dlt);
			h.caplen = f->caplen;
			h.len = f->wirelen;
			if (prog == NULL || pcap_offline_filter(prog, &h,
			    f->data) == 0) {
				r->filtered++;
				continue;
			}
		}
		/* One interface so far: the file's order is the time's. */
		if (f->capif == 0 && r->order == NULL)
			return 1;
		if (r->order == NULL &&
		    (r->order = cpcap_reorder_new()) == NULL)
			return 1;	/* without memory: in the file's order */
		cpcap_pcapng_section(r->own, &first, &nif);
		cpcap_reorder_sources(r->order, first, nif);
		if (cpcap_reorder_push(r->order, f) != 0)
			return 1;	/* the same: late, but not lost */
	}
}

/*
 * Records read in place, as from pcap_next_ex(): up to max, those the
 * filter passes, packed to the front of f.
 */
static int
inplace_batch(struct cpcap_reader *r, struct cpcap_frame *f, int max,
    char *errbuf, size_t errlen)
{
	struct pcap_pkthdr h;
	char why[PCAP_ERRBUF_SIZE];
	int n, i, kept;

	for (;;) {
		n = cpcap_inplace_batch(r->inplace, f, max, why, sizeof(why));
		if (n == 0)
			return 0;
		if (n < 0)
			return cilkit_fail(errbuf, errlen, CILKIT_ETRUNC,
			    "%s: after packet %llu: %s", r->name,
			    (unsigned long long)r->count, why);
		r->count += (uint64_t)n;
		for (i = 0; i < n; i++) {
			f[i].dlt = r->dlt;
			f[i].capif = 0;
			f[i].capdir = CPCAP_DIR_UNKNOWN;
		}
		if (!r->have_prog)
			return n;
		for (i = kept = 0; i < n; i++) {
			h.caplen = f[i].caplen;
			h.len = f[i].wirelen;
			if (pcap_offline_filter(&r->prog, &h, f[i].data) == 0)
				r->filtered++;
			else
				f[kept++] = f[i];
		}
		if (kept > 0)
			return kept;
	}
}

int
cpcap_reader_batch(struct cpcap_reader *r, struct cpcap_frame *f, int max,
    char *errbuf, size_t errlen)
{
	if (r->inplace != NULL && max > 0)
		return inplace_batch(r, f, max, errbuf, errlen);
	return cpcap_reader_next(r, f, errbuf, errlen);
}

int
cpcap_reader_next(struct cpcap_reader *r, struct cpcap_frame *f,
    char *errbuf, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (;;) {
		if (r->inplace != NULL)
			return inplace_batch(r, f, 1, errbuf, errlen);
		if (r->own != NULL)
			return own_next(r, f, errbuf, errlen);
		rc = pcap_next_ex(r->pc, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			const char *why = pcap_geterr(r->pc);
			bool mixed = strstr(why, "different from the type of "
			    "the first interface") != NULL;

			/*
			 * libpcap reads one link type per file; dumpcap and
			 * mergecap write pcapng files with several.
			 */
			if (mixed && own_start(r))
				continue;
			return cilkit_fail(errbuf, errlen, CILKIT_ETRUNC,
			    "%s: after packet %llu: %s%s", r->name,
			    (unsigned long long)r->count, why, !mixed ? "" :
			    r->start >= 0 ? " (the file mixes link types, "
			    "and could not be opened again to read them)" :
			    " (the file mixes link types, and was read from "
			    "a pipe too far to read it again: give it as a "
			    "file)");
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
		f->dlt = r->dlt;
		f->capif = 0;
		f->capdir = CPCAP_DIR_UNKNOWN;
		return 1;
	}
}

bool
cpcap_reader_in_place(const struct cpcap_reader *r)
{
	return r->inplace != NULL;
}

int
cpcap_reader_prefetch(struct cpcap_reader *r)
{
	return r->inplace != NULL ? cpcap_inplace_thread(r->inplace) : -1;
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
