/*
 * cpcap_write.c - classic pcap writer; see cpcap_write.h for the
 * contract.  Format: the libpcap savefile format (pcap-savefile(5)):
 * a 24-byte global header, then per packet a 16-byte record header and
 * caplen bytes, all in the writer's byte order.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cilkit.h"
#include "cpcap_write.h"

/* Large enough for any record (header + CPCAP_MAX_SNAPLEN). */
#define WBUF_SIZE	(512 * 1024)

struct cpcap_writer {
	int		 fd;
	int		 owned;		/* opened by path: close it */
	int		 regular;	/* a regular file: can be cut back */
	int		 flush_each;
	int		 tsprec;
	uint32_t	 snaplen;
	char		 name[256];
	uint8_t		*buf;
	size_t		 used;
	size_t		 first_rec;	/* offset of the first record in buf */
	uint64_t	 committed;	/* file bytes known written */
	uint64_t	 pk_committed;
	uint64_t	 pk_buffered;
	int		 err;		/* errno of a failed write, sticky */
};

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static int
write_all(int fd, const uint8_t *p, size_t n, size_t *done)
{
	struct pollfd pfd;
	ssize_t r;

	*done = 0;
	while (*done < n) {
		r = write(fd, p + *done, n - *done);
		if (r > 0) {
			*done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		if (r == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * After a failed write of the buffer, find the end of the last whole
 * record within the first `done` bytes, and how many records that is.
 */
static size_t
last_boundary(const struct cpcap_writer *w, size_t done, uint64_t *nrec)
{
	size_t off = w->first_rec, good;
	uint32_t caplen;

	*nrec = 0;
	good = done >= w->first_rec ? w->first_rec : 0;
	while (off + CPCAP_REC_HDR_LEN <= w->used) {
		memcpy(&caplen, w->buf + off + 8, 4);
		if (off + CPCAP_REC_HDR_LEN + caplen > done)
			break;
		off += CPCAP_REC_HDR_LEN + caplen;
		good = off;
		(*nrec)++;
	}
	return good;
}

int
cpcap_writer_flush(struct cpcap_writer *w, char *errbuf, size_t errlen)
{
	size_t done, good;
	uint64_t nrec;

	if (w->err != 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: %s",
		    w->name, strerror(w->err));
	if (w->used == 0)
		return 0;
	if (write_all(w->fd, w->buf, w->used, &done) != 0) {
		w->err = errno;
		good = last_boundary(w, done, &nrec);
		if (w->regular && done != good &&
		    ftruncate(w->fd, (off_t)(w->committed + good)) == 0)
			done = good;
		w->committed += done;
		w->pk_committed += nrec;
		w->pk_buffered = 0;
		w->used = 0;
		return cilkit_fail(errbuf, errlen, CILKIT_EIO,
		    "%s: write failed: %s", w->name, strerror(w->err));
	}
	w->committed += w->used;
	w->pk_committed += w->pk_buffered;
	w->pk_buffered = 0;
	w->used = 0;
	w->first_rec = 0;
	return 0;
}

static int
params_ok(int linktype, uint32_t snaplen, int tsprec)
{
	return snaplen > 0 && snaplen <= CPCAP_MAX_SNAPLEN && linktype >= 0 &&
	    (tsprec == CPCAP_TS_USEC || tsprec == CPCAP_TS_NSEC);
}

static int
writer_init(struct cpcap_writer **wp, int fd, int owned, const char *name,
    int flags, int linktype, uint32_t snaplen, int tsprec, char *errbuf,
    size_t errlen)
{
	struct cpcap_writer *w;
	struct stat st;
	uint8_t *h;
	int rc;

	*wp = NULL;
	if (!params_ok(linktype, snaplen, tsprec))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: bad pcap parameters (snaplen %u, linktype %d)", name,
		    snaplen, linktype);
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->buf = malloc(WBUF_SIZE)) == NULL) {
		free(w);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	w->fd = fd;
	w->owned = owned;
	w->snaplen = snaplen;
	w->tsprec = tsprec;
	snprintf(w->name, sizeof(w->name), "%s", name);
	if (fstat(fd, &st) == 0) {
		w->regular = S_ISREG(st.st_mode);
		if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
		    S_ISCHR(st.st_mode))
			w->flush_each = 1;
	}
	if (flags & CPCAP_W_FLUSH)
		w->flush_each = 1;
	h = w->buf;
	put32(h, tsprec == CPCAP_TS_NSEC ? CPCAP_MAGIC_NSEC :
	    CPCAP_MAGIC_USEC);
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);		/* thiszone */
	put32(h + 12, 0);		/* sigfigs */
	put32(h + 16, snaplen);
	put32(h + 20, (uint32_t)linktype);
	w->used = CPCAP_GLOBAL_HDR_LEN;
	w->first_rec = CPCAP_GLOBAL_HDR_LEN;
	/* The header goes out at once so that a reader can start. */
	if ((rc = cpcap_writer_flush(w, errbuf, errlen)) != 0) {
		free(w->buf);
		free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int
cpcap_writer_fdopen(struct cpcap_writer **wp, int fd, const char *name,
    int flags, int linktype, uint32_t snaplen, int tsprec, char *errbuf,
    size_t errlen)
{
	return writer_init(wp, fd, 0, name, flags, linktype, snaplen, tsprec,
	    errbuf, errlen);
}

int
cpcap_writer_open(struct cpcap_writer **wp, const char *path, int flags,
    int linktype, uint32_t snaplen, int tsprec, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd, oflags, rc;

	*wp = NULL;
	if (path == NULL || *path == '\0')
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "empty output file name");
	if (strcmp(path, "-") == 0)
		return cpcap_writer_fdopen(wp, STDOUT_FILENO, "<stdout>", flags,
		    linktype, snaplen, tsprec, errbuf, errlen);
	/* Checked first, so that a refusal leaves no file behind. */
	if (!params_ok(linktype, snaplen, tsprec))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: bad pcap parameters (snaplen %u, linktype %d)", path,
		    snaplen, linktype);
	oflags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A FIFO or a device: write to it as it is. */
		if (S_ISDIR(st.st_mode))
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: is a directory", path);
		oflags &= ~O_CREAT;
	} else if (flags & CPCAP_W_FORCE) {
		oflags |= O_TRUNC | O_NOFOLLOW;
	} else {
		oflags |= O_EXCL;
	}
	fd = open(path, oflags, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
			    "%s: file exists (use --force to overwrite)", path);
		return cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: %s", path,
		    strerror(errno));
	}
	/* A replaced file keeps its old mode: make it private too. */
	if ((oflags & O_TRUNC) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0)
		(void)fchmod(fd, 0600);
	rc = writer_init(wp, fd, 1, path, flags, linktype, snaplen, tsprec,
	    errbuf, errlen);
	if (rc != 0) {
		if (oflags & O_EXCL)
			(void)unlink(path);
		close(fd);
	}
	return rc;
}

int
cpcap_writer_write(struct cpcap_writer *w, const struct cpcap_rechdr *h,
    const uint8_t *data, char *errbuf, size_t errlen)
{
	uint8_t *p;
	int rc;

	if (w->err != 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: %s",
		    w->name, strerror(w->err));
	if (h->caplen > w->snaplen || h->caplen > h->len ||
	    h->ts_frac >= (w->tsprec == CPCAP_TS_NSEC ? 1000000000U :
	    1000000U))
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "%s: bad record (caplen %u, len %u, snaplen %u)", w->name,
		    h->caplen, h->len, w->snaplen);
	if (w->used + CPCAP_REC_HDR_LEN + h->caplen > WBUF_SIZE &&
	    (rc = cpcap_writer_flush(w, errbuf, errlen)) != 0)
		return rc;
	p = w->buf + w->used;
	put32(p, h->ts_sec);
	put32(p + 4, h->ts_frac);
	put32(p + 8, h->caplen);
	put32(p + 12, h->len);
	if (h->caplen > 0)
		memcpy(p + CPCAP_REC_HDR_LEN, data, h->caplen);
	w->used += CPCAP_REC_HDR_LEN + h->caplen;
	w->pk_buffered++;
	if (w->flush_each)
		return cpcap_writer_flush(w, errbuf, errlen);
	return 0;
}

int
cpcap_writer_close(struct cpcap_writer *w, char *errbuf, size_t errlen)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (w->err == 0)
		rc = cpcap_writer_flush(w, errbuf, errlen);
	if (w->owned && close(w->fd) != 0 && rc == 0) {
		w->err = errno;
		rc = cilkit_fail(errbuf, errlen, CILKIT_EIO, "%s: close: %s",
		    w->name, strerror(errno));
	}
	free(w->buf);
	free(w);
	return rc;
}

uint64_t
cpcap_writer_packets(const struct cpcap_writer *w)
{
	return w->pk_committed + w->pk_buffered;
}

uint64_t
cpcap_writer_bytes(const struct cpcap_writer *w)
{
	return w->committed + w->used;
}

int
cpcap_writer_errno(const struct cpcap_writer *w)
{
	return w->err;
}

int
cpcap_writer_snaplen(const struct cpcap_writer *w)
{
	return (int)w->snaplen;
}

int
cpcap_writer_tsprec(const struct cpcap_writer *w)
{
	return w->tsprec;
}
