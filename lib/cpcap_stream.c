/*
 * cpcap_stream.c - incremental pcap validation; see cpcap_stream.h.
 * Format: pcap-savefile(5) / draft-ietf-opsawg-pcap: a 24-byte global
 * header (magic, version 2.4, thiszone, sigfigs, snaplen, linktype),
 * then records of a 16-byte header (ts_sec, ts_frac, caplen, len) and
 * caplen bytes, in the byte order the magic shows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_stream.h"

#define PCAPNG_MAGIC	0x0a0d0d0aU

struct cpcap_stream {
	char			 name[128];
	cpcap_stream_info_fn	 on_info;
	cpcap_stream_rec_fn	 on_rec;
	void			*arg;
	struct cpcap_stream_info info;
	int			 started;
	int			 err;		/* sticky error */
	char			 errmsg[CILKIT_ERRBUF_SIZE];
	uint64_t		 records;
	uint64_t		 offset;	/* bytes consumed (whole units) */
	uint8_t			*pend;		/* a partial header/record */
	size_t			 npend;
	size_t			 cap;
};

int
cpcap_stream_new(struct cpcap_stream **sp, const char *name,
    cpcap_stream_info_fn on_info, cpcap_stream_rec_fn on_rec, void *arg,
    char *errbuf, size_t errlen)
{
	struct cpcap_stream *s;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	s->cap = CPCAP_REC_HDR_LEN + CPCAP_MAX_SNAPLEN;
	s->pend = malloc(s->cap);
	if (s->pend == NULL) {
		free(s);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->on_info = on_info;
	s->on_rec = on_rec;
	s->arg = arg;
	*sp = s;
	return 0;
}

void
cpcap_stream_free(struct cpcap_stream *s)
{
	if (s == NULL)
		return;
	free(s->pend);
	free(s);
}

static uint32_t
get32(const struct cpcap_stream *s, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return s->info.swapped ? __builtin_bswap32(v) : v;
}

static int
fail(struct cpcap_stream *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct cpcap_stream *s, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(s->errmsg, sizeof(s->errmsg), "%s: offset %llu: ",
	    s->name, (unsigned long long)s->offset);
	if (n < 0 || (size_t)n >= sizeof(s->errmsg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(s->errmsg + n, sizeof(s->errmsg) - (size_t)n, fmt, ap);
	va_end(ap);
	s->err = err;
	return err;
}

/* Printable rendering of the first bytes, for "not a pcap" messages. */
static void
peek(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < outlen; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    p[i]);
	}
	out[o] = '\0';
}

static int
parse_global(struct cpcap_stream *s, const uint8_t *p)
{
	uint32_t magic, snap, lt;
	uint16_t vmaj;
	char pk[128];

	memcpy(&magic, p, 4);
	s->info.swapped = 0;
	if (magic == CPCAP_MAGIC_USEC || magic == CPCAP_MAGIC_NSEC) {
		s->info.tsprec = magic == CPCAP_MAGIC_NSEC ? CPCAP_TS_NSEC :
		    CPCAP_TS_USEC;
	} else if (__builtin_bswap32(magic) == CPCAP_MAGIC_USEC ||
	    __builtin_bswap32(magic) == CPCAP_MAGIC_NSEC) {
		s->info.swapped = 1;
		s->info.tsprec = __builtin_bswap32(magic) == CPCAP_MAGIC_NSEC ?
		    CPCAP_TS_NSEC : CPCAP_TS_USEC;
	} else if (magic == PCAPNG_MAGIC) {
		return fail(s, CILKIT_EUNSUPPORTED,
		    "pcapng stream; classic pcap expected");
	} else {
		peek(p, CPCAP_GLOBAL_HDR_LEN, pk, sizeof(pk));
		return fail(s, CILKIT_EINVAL,
		    "not a pcap stream (starts with \"%s\")", pk);
	}
	memcpy(&vmaj, p + 4, 2);
	if (s->info.swapped)
		vmaj = __builtin_bswap16(vmaj);
	if (vmaj != 2)
		return fail(s, CILKIT_EINVAL, "pcap version %u, 2 expected",
		    vmaj);
	snap = get32(s, p + 16);
	lt = get32(s, p + 20);
	/* As libpcap: a zero or oversized snaplen means "the maximum". */
	if (snap == 0 || snap > CPCAP_MAX_SNAPLEN)
		snap = CPCAP_MAX_SNAPLEN;
	s->info.snaplen = snap;
	/* The upper bits carry the FCS length (LT_FCS_DATALEN). */
	s->info.linktype = lt & 0x03ffffffU;
	s->started = 1;
	return 0;
}

/* Check one record header (at p); 0 or an error. */
static int
check_rec(struct cpcap_stream *s, const struct cpcap_rechdr *h)
{
	if (h->caplen > s->info.snaplen)
		return fail(s, CILKIT_EINVAL,
		    "record %llu: caplen %u over the snaplen %u",
		    (unsigned long long)s->records + 1, h->caplen,
		    s->info.snaplen);
	if (h->len < h->caplen || h->len > CPCAP_STREAM_MAX_LEN)
		return fail(s, CILKIT_EINVAL,
		    "record %llu: bad packet length %u (caplen %u)",
		    (unsigned long long)s->records + 1, h->len, h->caplen);
	if (h->ts_frac >= (s->info.tsprec == CPCAP_TS_NSEC ? 1000000000U :
	    1000000U))
		return fail(s, CILKIT_EINVAL,
		    "record %llu: bad timestamp fraction %u",
		    (unsigned long long)s->records + 1, h->ts_frac);
	return 0;
}

static void
read_rec(const struct cpcap_stream *s, const uint8_t *p,
    struct cpcap_rechdr *h)
{
	h->ts_sec = get32(s, p);
	h->ts_frac = get32(s, p + 4);
	h->caplen = get32(s, p + 8);
	h->len = get32(s, p + 12);
}

/*
 * How many bytes the unit starting at p (n bytes available) needs in
 * all: the global header, or a record header plus its data.  0 when
 * more bytes are needed to tell; negative on a bad header.
 */
static long
unit_size(struct cpcap_stream *s, const uint8_t *p, size_t n,
    struct cpcap_rechdr *h)
{
	int rc;

	if (!s->started)
		return CPCAP_GLOBAL_HDR_LEN;
	if (n < CPCAP_REC_HDR_LEN)
		return CPCAP_REC_HDR_LEN;
	read_rec(s, p, h);
	if ((rc = check_rec(s, h)) != 0)
		return rc;
	return (long)(CPCAP_REC_HDR_LEN + h->caplen);
}

/* Consume one complete unit at p. */
static int
take_unit(struct cpcap_stream *s, const uint8_t *p, size_t size,
    const struct cpcap_rechdr *h)
{
	int rc;

	if (!s->started) {
		if ((rc = parse_global(s, p)) != 0)
			return rc;
		s->offset += size;
		if (s->on_info != NULL && (rc = s->on_info(s->arg,
		    &s->info)) != 0) {
			s->err = rc;
			snprintf(s->errmsg, sizeof(s->errmsg),
			    "%s: stopped by the consumer", s->name);
			return rc;
		}
		return 0;
	}
	s->offset += size;
	s->records++;
	if (s->on_rec != NULL && (rc = s->on_rec(s->arg, h,
	    p + CPCAP_REC_HDR_LEN)) != 0) {
		s->err = rc;
		snprintf(s->errmsg, sizeof(s->errmsg),
		    "%s: stopped by the consumer", s->name);
		return rc;
	}
	return 0;
}

int
cpcap_stream_feed(struct cpcap_stream *s, const uint8_t *buf, size_t len,
    char *errbuf, size_t errlen)
{
	struct cpcap_rechdr h;
	size_t take;
	long need;
	int rc;

	if (s->err != 0)
		goto err;
	while (len > 0) {
		if (s->npend > 0) {
			/* Complete the pending unit from buf. */
			need = unit_size(s, s->pend, s->npend, &h);
			if (need < 0)
				goto err;
			if (s->npend < (size_t)need) {
				take = (size_t)need - s->npend;
				if (take > len)
					take = len;
				memcpy(s->pend + s->npend, buf, take);
				s->npend += take;
				buf += take;
				len -= take;
				/* A record header may now tell the size. */
				continue;
			}
			rc = take_unit(s, s->pend, (size_t)need, &h);
			s->npend = 0;
			if (rc != 0)
				goto err;
			continue;
		}
		need = unit_size(s, buf, len, &h);
		if (need < 0)
			goto err;
		if (len < (size_t)need) {
			/* Keep the partial unit (bounded by one record). */
			memcpy(s->pend, buf, len);
			s->npend = len;
			break;
		}
		if ((rc = take_unit(s, buf, (size_t)need, &h)) != 0)
			goto err;
		buf += need;
		len -= (size_t)need;
	}
	/* A pending unit that is already complete is taken now. */
	if (s->npend > 0) {
		need = unit_size(s, s->pend, s->npend, &h);
		if (need < 0)
			goto err;
		if (s->npend == (size_t)need) {
			rc = take_unit(s, s->pend, (size_t)need, &h);
			s->npend = 0;
			if (rc != 0)
				goto err;
		}
	}
	return 0;
err:
	return cilkit_fail(errbuf, errlen, s->err, "%s", s->errmsg);
}

int
cpcap_stream_end(struct cpcap_stream *s, char *errbuf, size_t errlen)
{
	if (s->err != 0)
		return cilkit_fail(errbuf, errlen, s->err, "%s", s->errmsg);
	if (!s->started)
		return cilkit_fail(errbuf, errlen, CILKIT_ETRUNC,
		    "%s: ended after %zu bytes, before the pcap header",
		    s->name, s->npend);
	if (s->npend > 0)
		return cilkit_fail(errbuf, errlen, CILKIT_ETRUNC,
		    "%s: ended inside record %llu (%zu bytes dropped)",
		    s->name, (unsigned long long)s->records + 1, s->npend);
	return 0;
}

uint64_t
cpcap_stream_records(const struct cpcap_stream *s)
{
	return s->records;
}

uint64_t
cpcap_stream_offset(const struct cpcap_stream *s)
{
	return s->offset;
}

int
cpcap_stream_tsprec(const struct cpcap_stream *s)
{
	return s->info.tsprec;
}

int
cpcap_stream_started(const struct cpcap_stream *s)
{
	return s->started;
}
