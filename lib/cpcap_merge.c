/*
 * cpcap_merge.c - time-ordered merge; see cpcap_merge.h.  A binary
 * min-heap on (timestamp in ns, arrival sequence), so equal timestamps
 * keep their arrival order.
 */
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cpcap_merge.h"

struct mrec {
	uint64_t	ts_ns;
	uint64_t	seq;
	int64_t		arrival_ms;
	int		src;
	uint32_t	caplen;
	uint32_t	len;
	uint8_t		data[];
};

struct cpcap_merge {
	int		 nsrc;
	int64_t		 hold_ms;
	size_t		 max_bytes;
	size_t		 bytes;
	uint64_t	 seq;
	struct mrec	**heap;
	size_t		 n, cap;
	size_t		*queued;	/* per source */
	unsigned char	*done;		/* per source */
};

int
cpcap_merge_new(struct cpcap_merge **mp, int nsrc, int64_t hold_ms,
    size_t max_bytes, char *errbuf, size_t errlen)
{
	struct cpcap_merge *m;

	*mp = NULL;
	if (nsrc < 1 || nsrc > 1024 || hold_ms < 0 || max_bytes == 0)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "bad merge parameters");
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->queued = calloc((size_t)nsrc,
	    sizeof(*m->queued))) == NULL || (m->done = calloc((size_t)nsrc,
	    1)) == NULL) {
		if (m != NULL)
			free(m->queued);
		free(m);
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	}
	m->nsrc = nsrc;
	m->hold_ms = hold_ms;
	m->max_bytes = max_bytes;
	*mp = m;
	return 0;
}

static int
before(const struct mrec *a, const struct mrec *b)
{
	return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns &&
	    a->seq < b->seq);
}

static void
sift_up(struct cpcap_merge *m, size_t i)
{
	struct mrec *t;

	while (i > 0 && before(m->heap[i], m->heap[(i - 1) / 2])) {
		t = m->heap[i];
		m->heap[i] = m->heap[(i - 1) / 2];
		m->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
sift_down(struct cpcap_merge *m, size_t i)
{
	size_t l, r, s;
	struct mrec *t;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		s = i;
		if (l < m->n && before(m->heap[l], m->heap[s]))
			s = l;
		if (r < m->n && before(m->heap[r], m->heap[s]))
			s = r;
		if (s == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

int
cpcap_merge_push(struct cpcap_merge *m, int src,
    const struct cpcap_rechdr *h, int tsprec, const uint8_t *data,
    int64_t arrival_ms, char *errbuf, size_t errlen)
{
	struct mrec *r, **nh;
	size_t ncap;

	if (src < 0 || src >= m->nsrc || h->caplen > CPCAP_MAX_SNAPLEN)
		return cilkit_fail(errbuf, errlen, CILKIT_EINVAL,
		    "bad merge record (source %d, caplen %u)", src,
		    h->caplen);
	if (m->n == m->cap) {
		ncap = m->cap ? m->cap * 2 : 256;
		nh = realloc(m->heap, ncap * sizeof(*nh));
		if (nh == NULL)
			return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
			    "out of memory");
		m->heap = nh;
		m->cap = ncap;
	}
	r = malloc(sizeof(*r) + h->caplen);
	if (r == NULL)
		return cilkit_fail(errbuf, errlen, CILKIT_ENOMEM,
		    "out of memory");
	r->ts_ns = (uint64_t)h->ts_sec * 1000000000ULL + (tsprec ==
	    CPCAP_TS_NSEC ? h->ts_frac : (uint64_t)h->ts_frac * 1000);
	r->seq = m->seq++;
	r->arrival_ms = arrival_ms;
	r->src = src;
	r->caplen = h->caplen;
	r->len = h->len;
	if (h->caplen > 0)
		memcpy(r->data, data, h->caplen);
	m->heap[m->n] = r;
	sift_up(m, m->n++);
	m->queued[src]++;
	m->bytes += sizeof(*r) + h->caplen;
	return 0;
}

void
cpcap_merge_done(struct cpcap_merge *m, int src)
{
	if (src >= 0 && src < m->nsrc)
		m->done[src] = 1;
}

/* Whether every live source has something queued. */
static int
all_live_queued(const struct cpcap_merge *m)
{
	int i;

	for (i = 0; i < m->nsrc; i++)
		if (!m->done[i] && m->queued[i] == 0)
			return 0;
	return 1;
}

int
cpcap_merge_pump(struct cpcap_merge *m, struct cpcap_writer *w,
    int64_t now_ms, int flush, char *errbuf, size_t errlen)
{
	struct cpcap_rechdr h;
	struct mrec *r;
	int nw = 0, rc;

	while (m->n > 0) {
		r = m->heap[0];
		if (!flush && !all_live_queued(m) &&
		    r->arrival_ms > now_ms - m->hold_ms &&
		    m->bytes <= m->max_bytes)
			break;
		h.ts_sec = (uint32_t)(r->ts_ns / 1000000000ULL);
		h.ts_frac = (uint32_t)(r->ts_ns % 1000000000ULL);
		if (cpcap_writer_tsprec(w) == CPCAP_TS_USEC)
			h.ts_frac /= 1000;
		h.caplen = r->caplen;
		h.len = r->len;
		if (h.caplen > (uint32_t)cpcap_writer_snaplen(w))
			h.caplen = (uint32_t)cpcap_writer_snaplen(w);
		rc = cpcap_writer_write(w, &h, r->data, errbuf, errlen);
		m->heap[0] = m->heap[--m->n];
		sift_down(m, 0);
		m->queued[r->src]--;
		m->bytes -= sizeof(*r) + r->caplen;
		free(r);
		if (rc != 0)
			return rc;
		nw++;
	}
	return nw;
}

size_t
cpcap_merge_queued(const struct cpcap_merge *m)
{
	return m->n;
}

void
cpcap_merge_free(struct cpcap_merge *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->heap[i]);
	free(m->heap);
	free(m->queued);
	free(m->done);
	free(m);
}
