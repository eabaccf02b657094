/*
 * cpcap_conv.c - conversations and TCP analysis (cpcap_conv.h).
 *
 * The TCP checks follow tcp-analysis.md, which restates Wireshark's
 * tcp_analyze_sequence_number() (epan/dissectors/packet-tcp.c): the
 * same order, the same conditions, absolute sequence numbers, and 0 in
 * nextseq/maxseqtobeacked/lastack meaning "nothing seen", so that the
 * counts can be checked against tshark's tcp.analysis.* flags.
 *
 * Memory: conversations live in a chained hash table and on one of
 * three activity lists (open TCP, closed TCP, datagram), each kept in
 * order of last activity, so expiring the idle ones is O(1) per
 * conversation.  Finished conversations go to the caller's callback and
 * back to a free list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "cilkit_pool.h"
#include "cpcap_conv.h"
#include "cpcap_read.h"
#include "flow.h"
#include "report_quantile.h"

#define NS_PER_MS	1000000.0
#define NS_PER_SEC	UINT64_C(1000000000)

/* Activity list reordering granularity (timeouts are minutes). */
#define LRU_GRAIN_NS	UINT64_C(1000000000)

/* Activity lists. */
enum { LRU_TCP = 0, LRU_CLOSED, LRU_DGRAM, LRU_N };

/* Analysis flags of one segment (Wireshark's TCP_A_*). */
#define TA_RETRANS	0x0001
#define TA_FAST		0x0002
#define TA_SPURIOUS	0x0004
#define TA_OOO		0x0008
#define TA_LOST		0x0010
#define TA_ACKLOST	0x0020
#define TA_DUPACK	0x0040
#define TA_ZW		0x0080
#define TA_ZWP		0x0100
#define TA_ZWPACK	0x0200
#define TA_KA		0x0400
#define TA_KAACK	0x0800
#define TA_WUPD		0x1000
#define TA_WFULL	0x2000

#define TH_FIN	FLOW_TCP_FIN
#define TH_SYN	FLOW_TCP_SYN
#define TH_RST	FLOW_TCP_RST
#define TH_ACK	FLOW_TCP_ACK

/* Sequence comparisons modulo 2^32. */
#define LT_SEQ(a, b)	((int32_t)((a) - (b)) < 0)
#define LE_SEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define GT_SEQ(a, b)	((int32_t)((a) - (b)) > 0)

/* Wireshark's out-of-order threshold without a known RTT: 3 ms. */
#define OOO_DEFAULT_NS	UINT64_C(3000000)
/*
 * One packet captured on two interfaces (cilium-pcap -i any: a pod's
 * lxc and the tunnel device, the tunnel device and eth0 with the same
 * inner packet) arrives again within microseconds; a retransmission
 * takes at least an RTT and carries a new IPv4 id or TCP timestamp.
 */
#define DUP_WINDOW_NS	UINT64_C(10000000)	/* 10 ms */
/* Fast retransmission: within 20 ms of the last dup ACK. */
#define FAST_RT_NS	UINT64_C(20000000)
/* How often waiting IP fragments are looked at for their timeout. */
#define FRAG_CHECK_NS	UINT64_C(100000000)

/*
 * Packets wait in a ring before they are analysed: when a packet is
 * committed the hash bucket of its conversation is prefetched, one step
 * later the conversation itself, and PIPE_DEPTH steps later it is
 * analysed, its memory in cache by then.  On a table bigger than the
 * CPU cache this halves the cost per packet.  The decoder writes into
 * the ring's free slot (cpcap_analyzer_slot()), so a packet is never
 * copied, and its key and hash are computed once.
 */
#define PIPE_DEPTH	3
#define PIPE_SLOTS	(PIPE_DEPTH + 1)	/* one always free */
#define RTT_BATCH	256	/* data RTT samples per batch (below) */

/*
 * Payload bytes kept in the slot (DNS only): a DNS header and question,
 * and in a DNS-over-TCP segment the start of the next message after the
 * tail of a long one.  A longer DNS-over-TCP segment is kept whole in
 * the slot's own buffer (up to PIPE_PAYLOAD_MAX), so that a message
 * starting anywhere in it is read.
 */
#define PIPE_PAYLOAD	2048
#define PIPE_PAYLOAD_MAX	((uint32_t)1 << 20)
#define CONV_HOT	(offsetof(struct cpcap_conv, seen) + \
			    sizeof(((struct cpcap_conv *)0)->seen))
/* The layout cpcap_conv.h describes: a packet's part in four lines. */
_Static_assert(offsetof(struct cpcap_conv, seq) == 64 && CONV_HOT <= 256,
    "a conversation's per-packet fields are its first four cache lines");
_Static_assert(sizeof(struct cpcap_conv) <= 640,
    "a conversation is 640 bytes: the memory of a capture is mostly them");

/* A lookup key: the tuple in canonical order (lower endpoint first). */
struct key {
	uint8_t		 af, proto;
	const uint8_t	*addr[2];
	uint16_t	 port[2];
};

struct pending {
	uint64_t	 ts;
	uint32_t	 wirelen;
	uint32_t	 hash;
	bool		 keyed;		/* key, dir and hash are valid */
	int		 dir;		/* the sender's index in key */
	struct key	 key;		/* points into pkt */
	struct cpcap_pkt pkt;
	uint8_t		 payload[PIPE_PAYLOAD];
	uint8_t		*big;		/* a long DNS-over-TCP segment */
	uint32_t	 bigcap;
};

struct cpcap_analyzer {
	struct cpcap_conv_config cfg;
	struct pending	 pipe[PIPE_SLOTS];
	unsigned	 pipe_n;	/* packets waiting, < PIPE_SLOTS */
	unsigned	 pipe_first;	/* oldest one */
	cpcap_done_fn	 done;
	void		*arg;
	cpcap_finish_begin_fn finish_begin;
	cpcap_finish_end_fn finish_end;
	struct cpcap_conv **buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 live;
	struct cpcap_conv *head[LRU_N], *tail[LRU_N];
	struct cilkit_pool convs;	/* conversations' memory */
	struct cilkit_pool mores;	/* their ICMP and DNS details */
	bool		 more_lost;	/* details dropped: no memory */
	uint64_t	 now;		/* latest timestamp seen */
	/*
	 * No list head is due before this: expire() has nothing to do
	 * until now passes it (lowered whenever a list's head changes).
	 */
	uint64_t	 expire_at;
	struct cpcap_stats st;
	struct report_quantile *q_hs, *q_dns, *q_rtt;
	/*
	 * Data RTT samples wait here and go to q_rtt RTT_BATCH at a time:
	 * one for every other packet or so, each adding to the sketch
	 * would fetch its tables back after the packet path pushed them
	 * out of the cache (5% of a run's profile, 2% in batches).
	 */
	double		 rtt_batch[RTT_BATCH];
	unsigned	 nrtt;
	struct cpcap_frags *frags;
	uint64_t	 frag_check_ns;	/* next cpcap_frags_expire() */
};

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A total order on 16-byte addresses (not memcmp's, but cheaper). */
static int
cmp16(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = load64(a), y = load64(b);

	if (x == y) {
		x = load64(a + 8);
		y = load64(b + 8);
	}
	return x < y ? -1 : x > y;
}

/*
 * Build the canonical key of a packet's tuple; returns the index of the
 * sender in the key (0 or 1).
 */
static int
make_key(struct key *k, const struct cpcap_tuple *t, uint16_t sport,
    uint16_t dport)
{
	int c = cmp16(t->src, t->dst);

	k->af = t->af;
	k->proto = t->proto;
	if (c < 0 || (c == 0 && sport <= dport)) {
		k->addr[0] = t->src;
		k->addr[1] = t->dst;
		k->port[0] = sport;
		k->port[1] = dport;
		return 0;
	}
	k->addr[0] = t->dst;
	k->addr[1] = t->src;
	k->port[0] = dport;
	k->port[1] = sport;
	return 1;
}

/*
 * Addresses are compared and hashed as 16 bytes: an IPv4 address sits
 * in the first 4 with zeros after it (the decoder clears the tuple).
 */
static uint32_t
key_hash(const struct key *k)
{
	uint64_t h;

	h = load64(k->addr[0]) * UINT64_C(0x9E3779B97F4A7C15);
	h ^= load64(k->addr[0] + 8) + (h << 6) + (h >> 2);
	h ^= load64(k->addr[1]) * UINT64_C(0xC2B2AE3D27D4EB4F);
	h ^= load64(k->addr[1] + 8) + (h << 6) + (h >> 2);
	h ^= ((uint64_t)k->port[0] << 32 | (uint64_t)k->port[1] << 16 |
	    (uint64_t)k->proto << 8 | k->af) * UINT64_C(0x165667B19E3779F9);
	h ^= h >> 29;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	h ^= h >> 32;
	return (uint32_t)h;
}

static bool
key_eq(const struct key *k, const struct cpcap_conv *c)
{
	return c->port[0] == k->port[0] && c->port[1] == k->port[1] &&
	    c->proto == k->proto && c->af == k->af &&
	    load64(c->addr[0]) == load64(k->addr[0]) &&
	    load64(c->addr[0] + 8) == load64(k->addr[0] + 8) &&
	    load64(c->addr[1]) == load64(k->addr[1]) &&
	    load64(c->addr[1] + 8) == load64(k->addr[1] + 8);
}

/* ---- activity lists ---- */

static uint64_t
lru_timeout(const struct cpcap_analyzer *a, uint8_t list)
{
	switch (list) {
	case LRU_TCP:
		return a->cfg.tcp_idle_ns;
	case LRU_CLOSED:
		return a->cfg.tcp_closed_idle_ns;
	default:
		return a->cfg.dgram_idle_ns;
	}
}

/* List l has a new head: it may be due before a->expire_at. */
static void
note_head(struct cpcap_analyzer *a, uint8_t l)
{
	const struct cpcap_conv *h = a->head[l];
	uint64_t to, due;

	if (h == NULL)
		return;
	to = lru_timeout(a, l);
	due = h->lru_ns + to < h->lru_ns ? UINT64_MAX : h->lru_ns + to;
	if (due < a->expire_at)
		a->expire_at = due;
}

static void
lru_unlink(struct cpcap_analyzer *a, struct cpcap_conv *c)
{
	if (c->lprev != NULL)
		c->lprev->lnext = c->lnext;
	else
		a->head[c->lru] = c->lnext;
	if (c->lnext != NULL)
		c->lnext->lprev = c->lprev;
	else
		a->tail[c->lru] = c->lprev;
	if (c->lprev == NULL)
		note_head(a, c->lru);
	c->lprev = c->lnext = NULL;
}

static void
lru_append(struct cpcap_analyzer *a, struct cpcap_conv *c, uint8_t list)
{
	c->lru = list;
	c->lru_ns = c->last_ns;
	c->lnext = NULL;
	c->lprev = a->tail[list];
	if (a->tail[list] != NULL)
		a->tail[list]->lnext = c;
	else
		a->head[list] = c;
	a->tail[list] = c;
	if (c->lprev == NULL)
		note_head(a, list);
}

static uint8_t
lru_class(const struct cpcap_conv *c)
{
	if (c->proto != 6)
		return LRU_DGRAM;
	if (c->rst_from >= 0 || c->fin_mask == 3)
		return LRU_CLOSED;
	return LRU_TCP;
}

/* ---- state ---- */

static enum cpcap_state
tcp_state(const struct cpcap_conv *c)
{
	int srv = 1 - c->client;

	if (c->syn_count > 0 && c->synack_count == 0 && !c->established) {
		if (c->d[srv].resets > 0)
			return CPCAP_ST_REFUSED;
		if (c->d[c->client].resets > 0)
			return CPCAP_ST_RESET;
		if (cpcap_conv_more(c)->icmp_errors > 0)
			return CPCAP_ST_UNREACHABLE;
		return CPCAP_ST_SYN_SENT;
	}
	if (c->synack_count > 0 && !c->established &&
	    c->data_mask == 0) {
		if (CPCAP_BOTH(c, resets) > 0)
			return CPCAP_ST_RESET;
		return CPCAP_ST_HALF_OPEN;
	}
	if (CPCAP_BOTH(c, resets) > 0)
		return CPCAP_ST_RESET;
	if (c->fin_mask == 3)
		return CPCAP_ST_CLOSED;
	if (c->fin_mask != 0)
		return CPCAP_ST_HALF_CLOSED;
	return c->established || c->synack_count > 0 ?
	    CPCAP_ST_ESTABLISHED : CPCAP_ST_OPEN;
}

enum cpcap_state
cpcap_conv_final_state(const struct cpcap_conv *c)
{
	return c->proto == 6 ? tcp_state(c) : c->state;
}

/* Settle a conversation's final state and hand it to the callback. */
static void
conv_report(struct cpcap_analyzer *a, struct cpcap_conv *c)
{
	if (c->proto == 6)
		c->state = tcp_state(c);
	a->st.dns_unanswered += cpcap_conv_more(c)->dns_npending;
	if (a->done != NULL)
		a->done(c, a->arg);
}

/* Give a finished conversation's memory back to the pools. */
static void
conv_free(struct cpcap_analyzer *a, struct cpcap_conv *c)
{
	/* more is const for the readers; the analyzer made it writable */
	if (c->more != NULL)
		cilkit_pool_put(&a->mores, (void *)(uintptr_t)c->more);
	cilkit_pool_put(&a->convs, c);
}

/* Hand a conversation to the callback, unlink and recycle it. */
static void
conv_finish(struct cpcap_analyzer *a, struct cpcap_conv *c)
{
	struct cpcap_conv **pp;

	conv_report(a, c);
	pp = &a->buckets[c->hash & (a->nbuckets - 1)];
	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp == c)
		*pp = c->hnext;
	lru_unlink(a, c);
	a->live--;
	conv_free(a, c);
}

static void
expire(struct cpcap_analyzer *a)
{
	uint8_t l;
	uint64_t to;
	struct cpcap_conv *c;

	/* Per packet: most of the time no head is due. */
	if (a->now <= a->expire_at)
		return;
	for (l = 0; l < LRU_N; l++) {
		to = lru_timeout(a, l);
		while ((c = a->head[l]) != NULL && a->now > c->lru_ns &&
		    a->now - c->lru_ns > to) {
			if (a->now - c->last_ns <= to) {
				/* active since its last move: requeue */
				lru_unlink(a, c);
				lru_append(a, c, l);
				continue;
			}
			a->st.expired++;
			conv_finish(a, c);
		}
	}
	a->expire_at = UINT64_MAX;
	for (l = 0; l < LRU_N; l++)
		note_head(a, l);
}

/* Finish the least recently active conversation (table full). */
static void
evict_one(struct cpcap_analyzer *a)
{
	struct cpcap_conv *best = NULL;
	uint8_t l;

	for (l = 0; l < LRU_N; l++)
		if (a->head[l] != NULL && (best == NULL ||
		    a->head[l]->last_ns < best->last_ns))
			best = a->head[l];
	if (best != NULL) {
		a->st.evicted++;
		conv_finish(a, best);
	}
}

static int
grow(struct cpcap_analyzer *a)
{
	size_t n = a->nbuckets * 2, i;
	struct cpcap_conv **nb, *c, *next;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return CILKIT_ENOMEM;
	for (i = 0; i < a->nbuckets; i++)
		for (c = a->buckets[i]; c != NULL; c = next) {
			next = c->hnext;
			c->hnext = nb[c->hash & (n - 1)];
			nb[c->hash & (n - 1)] = c;
		}
	free(a->buckets);
	a->buckets = nb;
	a->nbuckets = n;
	return 0;
}

static struct cpcap_conv *
lookup(struct cpcap_analyzer *a, const struct key *k, uint32_t h)
{
	struct cpcap_conv *c;

	for (c = a->buckets[h & (a->nbuckets - 1)]; c != NULL; c = c->hnext)
		if (c->hash == h && key_eq(k, c))
			return c;
	return NULL;
}

static struct cpcap_conv *
create(struct cpcap_analyzer *a, const struct key *k, uint32_t h,
    uint64_t ts)
{
	struct cpcap_conv *c;
	int e;

	if (a->live >= a->cfg.max_live)
		evict_one(a);
	if (a->live >= a->nbuckets && a->nbuckets < (SIZE_MAX >> 4))
		(void)grow(a);	/* a longer chain is still correct */
	if ((c = cilkit_pool_get(&a->convs)) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->id = a->st.conversations++;
	c->af = k->af;
	c->proto = k->proto;
	for (e = 0; e < 2; e++) {
		memcpy(c->addr[e], k->addr[e], 16);
		c->port[e] = k->port[e];
		c->seq[e].win_scale = -1;
	}
	c->client = 0;
	c->client_guessed = true;
	c->handshake_rtt_ns = -1;
	c->rst_from = -1;
	c->first_ns = c->last_ns = ts;
	c->hash = h;
	c->hnext = a->buckets[h & (a->nbuckets - 1)];
	a->buckets[h & (a->nbuckets - 1)] = c;
	lru_append(a, c, lru_class(c));
	a->live++;
	if (a->live > a->st.live_max)
		a->st.live_max = a->live;
	return c;
}

/*
 * The side that is probably the server when no SYN says so: the lower
 * port (services listen on low or well-known ports), else the receiver
 * of the first packet.
 */
static void
guess_client(struct cpcap_conv *c, int sender)
{
	if (c->port[0] != c->port[1])
		c->client = c->port[0] < c->port[1] ? 1 : 0;
	else
		c->client = sender;
	c->client_guessed = true;
}

/* ---- TCP ---- */

/* Data RTT samples in batches (struct cpcap_analyzer). */
static void
rtt_flush(struct cpcap_analyzer *a)
{
	report_quantile_add_many(a->q_rtt, a->rtt_batch, a->nrtt);
	a->nrtt = 0;
}

static void
rtt_sample(struct cpcap_analyzer *a, double ms)
{
	a->rtt_batch[a->nrtt++] = ms;
	if (a->nrtt == RTT_BATCH)
		rtt_flush(a);
}

static void
tcp_analyze(struct cpcap_analyzer *a, struct cpcap_conv *c, int dir,
    uint64_t now, const struct cpcap_pkt *p)
{
	struct cpcap_tcpseq *fwd = &c->seq[dir], *rev = &c->seq[1 - dir];
	struct cpcap_dirstats *ds = &c->d[dir];
	uint32_t seq = p->seq, ack = p->ack, seglen = p->seglen;
	uint32_t nextseq, window = p->window;
	uint16_t flags = p->tcp_flags, ta = 0;
	uint64_t t, thres;
	bool not_adv;
	int srv;

	/* Window scale from the handshake (RFC 7323 2.2). */
	if (flags & TH_SYN) {
		fwd->win_scale = (p->tcp_opts & CPCAP_TCPOPT_WS) ?
		    (int8_t)(p->wscale > 14 ? 14 : p->wscale) : -2;
		if ((flags & TH_ACK) && (fwd->win_scale == -2 ||
		    rev->win_scale == -2))
			fwd->win_scale = rev->win_scale = -2;
	} else if (fwd->win_scale >= 0)
		window <<= fwd->win_scale;

	if (!fwd->base_set) {
		fwd->base_seq = (flags & TH_SYN) ? seq : seq - 1;
		fwd->base_set = true;
	}
	if (!rev->base_set && (flags & TH_ACK)) {
		rev->base_seq = ack - 1;
		rev->base_set = true;
	}

	/* 1. zero window probe */
	if (seglen == 1 && seq == fwd->nextseq && rev->window == 0) {
		ta |= TA_ZWP;
		goto finished_fwd;
	}
	/* 2. zero window */
	if (window == 0 && (flags & (TH_RST | TH_FIN | TH_SYN)) == 0)
		ta |= TA_ZW;
	/* 3. previous segment not captured */
	if (fwd->nextseq != 0 && GT_SEQ(seq, fwd->nextseq) &&
	    (flags & TH_RST) == 0)
		ta |= TA_LOST;
	/* 4. keep-alive */
	if (seglen <= 1 && seq == fwd->nextseq - 1 &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
		ta |= TA_KA;
	/* 5. window update */
	if (seglen == 0 && window != 0 && window != fwd->window &&
	    seq == fwd->nextseq && ack == fwd->lastack &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
		ta |= TA_WUPD;
	/* 6. window full */
	if (seglen > 0 && rev->win_scale != -1 &&
	    seq + seglen == rev->lastack + rev->window &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0)
		ta |= TA_WFULL;
	/* 7. keep-alive ACK */
	if (seglen == 0 && window != 0 && window == fwd->window &&
	    seq == fwd->nextseq && ack == fwd->lastack &&
	    (rev->lastsegflags & TA_KA) &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0) {
		ta |= TA_KAACK;
		goto finished_fwd;
	}
	/* 8. zero window probe ACK */
	if (seglen == 0 && window == 0 && window == fwd->window &&
	    seq == fwd->nextseq && ack == fwd->lastack &&
	    (rev->lastsegflags & TA_ZWP) &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0) {
		ta |= TA_ZWPACK;
		goto finished_fwd;
	}
	/* 9. duplicate ACK */
	if (seglen == 0 && window != 0 && window == fwd->window &&
	    seq == fwd->nextseq && ack == fwd->lastack &&
	    (flags & (TH_SYN | TH_FIN | TH_RST)) == 0) {
		fwd->dupacknum++;
		ta |= TA_DUPACK;
	}

finished_fwd:
	/* A. ACK side */
	if (ack != fwd->lastack)
		fwd->dupacknum = 0;
	if (rev->maxseqtobeacked != 0 && GT_SEQ(ack, rev->maxseqtobeacked) &&
	    (flags & TH_ACK)) {
		ta |= TA_ACKLOST;
		rev->maxseqtobeacked = rev->nextseq;
	}

	/* B. retransmission family */
	if ((seglen > 0 || (flags & (TH_SYN | TH_FIN))) && !(ta & TA_KA)) {
		not_adv = fwd->nextseq != 0 && LT_SEQ(seq, fwd->nextseq);
		/* A segment after a lost zero window probe carries new data. */
		if (seglen > 1 && fwd->nextseq - 1 == seq)
			not_adv = false;
		if (seglen > 0 && rev->lastack != 0 &&
		    LE_SEQ(seq + seglen, rev->lastack)) {
			ta |= TA_SPURIOUS;
			goto finished_rt;
		}
		t = now - rev->lastack_ns;
		if (not_adv && rev->dupacknum >= 2 && rev->lastack == seq &&
		    now >= rev->lastack_ns && t < FAST_RT_NS) {
			ta |= TA_FAST;
			goto finished_rt;
		}
		t = now >= fwd->nextseq_ns ? now - fwd->nextseq_ns : 0;
		thres = c->first_rtt_ns != 0 ? c->first_rtt_ns :
		    OOO_DEFAULT_NS;
		if (not_adv && t < thres && fwd->nextseq != seq + seglen +
		    ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u)) {
			ta |= TA_OOO;
			goto finished_rt;
		}
		if (not_adv)
			ta |= TA_RETRANS;
	}
finished_rt:

	/* C. bookkeeping */
	nextseq = seq + seglen;
	if (flags & (TH_SYN | TH_FIN))
		nextseq++;
	if ((GT_SEQ(nextseq, fwd->nextseq) || fwd->nextseq == 0) &&
	    !(ta & TA_ZWP)) {
		/* Karn: time one new data segment at a time. */
		if (seglen > 0 && !fwd->rtt_pending) {
			fwd->rtt_pending = true;
			fwd->rtt_end = nextseq;
			fwd->rtt_ns = now;
		}
		fwd->nextseq = nextseq;
		fwd->nextseq_ns = now;
	}
	if ((seq == fwd->maxseqtobeacked || fwd->maxseqtobeacked == 0) &&
	    !(ta & TA_ZWP))
		fwd->maxseqtobeacked = fwd->nextseq;
	fwd->window = window;
	fwd->lastack = ack;
	fwd->lastack_ns = now;
	fwd->lastsegflags = ta;

	/* Data RTT: this ACK covers the timed segment of the other side. */
	if ((flags & TH_ACK) && rev->rtt_pending &&
	    !LT_SEQ(ack, rev->rtt_end)) {
		rev->rtt_pending = false;
		if (now >= rev->rtt_ns)
			rtt_sample(a, (double)(now - rev->rtt_ns) /
			    NS_PER_MS);
	}
	if (ta & (TA_RETRANS | TA_FAST | TA_SPURIOUS))
		fwd->rtt_pending = false;

	/* Counters (tshark's retransmission flag covers all three). */
	if (ta & (TA_RETRANS | TA_FAST | TA_SPURIOUS)) {
		ds->retransmissions++;
		ds->retrans_bytes += seglen;
	}
	if (ta & TA_FAST)
		ds->fast_retransmissions++;
	if (ta & TA_SPURIOUS)
		ds->spurious_retransmissions++;
	if (ta & TA_OOO)
		ds->out_of_order++;
	if (ta & TA_LOST)
		ds->lost_segments++;
	if (ta & TA_ACKLOST)
		ds->ack_lost_segments++;
	if (ta & TA_DUPACK)
		ds->dup_acks++;
	if (ta & TA_ZW) {
		if (ds->zero_windows++ == 0)
			ds->first_zero_window_ns = now;
	}
	if (ta & TA_ZWP)
		ds->zero_window_probes++;
	if (ta & TA_KA)
		ds->keep_alives++;
	if (ta & TA_WFULL)
		ds->window_full++;
	if (ta & TA_WUPD)
		ds->window_updates++;
	if (seglen > 0) {
		ds->data_segments++;
		ds->payload += seglen;
		c->data_mask |= (uint8_t)(1u << dir);
	}

	/* Handshake, resets and FINs. */
	if ((flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		ds->syns++;
		if (c->syn_count == 0 && c->synack_count == 0) {
			c->client = dir;
			c->client_guessed = false;
		}
		if (dir == c->client) {
			if (c->syn_count++ == 0)
				c->first_syn_ns = now;
			c->syn_ns = now;
		}
		c->mru_syn_ns = now;
	} else if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		ds->syns++;
		if (c->syn_count == 0 && c->synack_count == 0) {
			c->client = 1 - dir;
			c->client_guessed = false;
		}
		if (dir != c->client && c->synack_count++ == 0)
			c->synack_ns = now;
	} else if ((flags & TH_ACK) && c->first_rtt_ns == 0 &&
	    c->mru_syn_ns != 0 && ack == rev->nextseq &&
	    now > c->mru_syn_ns) {
		/*
		 * Wireshark's initial RTT: first ACK after the SYN(s).
		 * first_rtt_ns is tested first: it is in the lines every
		 * packet touches, mru_syn_ns is not.
		 */
		c->first_rtt_ns = now - c->mru_syn_ns;
	}
	srv = 1 - c->client;
	if (!c->established && dir == c->client && c->synack_count > 0 &&
	    (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_ACK &&
	    ack == c->seq[srv].base_seq + 1) {
		c->established = true;
		if (c->syn_count > 0 && now >= c->syn_ns) {
			c->handshake_rtt_ns = (int64_t)(now - c->syn_ns);
			report_quantile_add(a->q_hs,
			    (double)c->handshake_rtt_ns / NS_PER_MS);
		}
	}
	if (flags & TH_RST) {
		ds->resets++;
		if (c->rst_from < 0) {
			c->rst_from = dir;
			c->rst_ns = now;
		}
	}
	if (flags & TH_FIN) {
		ds->fins++;
		c->fin_mask |= (uint8_t)(1u << dir);
	}
}

/* ---- the same packet captured twice ---- */

static uint32_t
mix32(uint64_t a, uint64_t b)
{
	uint64_t h = a * UINT64_C(0x9E3779B97F4A7C15) ^ b;

	h ^= h >> 31;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	return (uint32_t)(h ^ h >> 29);
}

/*
 * Whether p is a packet this direction already had, seen again at
 * another capture point; remembers it otherwise.  A copy has the same
 * headers, so the same fingerprint: TCP sequence, ACK, length, flags,
 * window and option bytes (two duplicate ACKs of one millisecond over
 * IPv6 differ in their SACK blocks only), and the IPv4 id; UDP over
 * IPv4 by its id and length.
 *
 * What tells a copy from a resend with the same headers:
 *   - the interface, in Linux cooked v2 captures (-i any), else in a
 *     pcapng file of several interfaces (dumpcap -i lxca -i lxcb): a
 *     copy comes from another one;
 *   - else the direction of Linux cooked v1 (and v2) captures, or of a
 *     pcapng packet block's flags: the forwarded packet is seen coming
 *     in on one device and going out on the next.  Only a packet's
 *     first frame is remembered, and each packet's first frame comes
 *     from the same point, so a resend is not taken for a copy of its
 *     original's second frame;
 *   - else, and also there, the same non-zero IPv4 id: a resend gets a
 *     new one.
 * Nothing else does: a TCP timestamp ticks in milliseconds, and Linux
 * resends within one (seen on a real capture over IPv6).  Without any
 * of them (an Ethernet capture of IPv6 on one interface) every frame is
 * analysed, as tshark does.
 */
static bool
seen_before(struct cpcap_conv *c, int dir, uint64_t now,
    const struct cpcap_pkt *p)
{
	struct cpcap_seen *s;
	uint32_t fp, where;
	bool byid, byif = p->ifindex != 0 || p->capif != 0;
	unsigned i;

	if (p->t.proto == 6) {
		byid = p->t.af == 4 && p->ip_id != 0;
		fp = mix32((uint64_t)p->seq << 32 | p->ack,
		    (uint64_t)p->seglen << 32 | (uint64_t)p->tcp_flags << 16 |
		    p->window) ^ mix32(p->t.af == 4 ? p->ip_id : 0,
		    p->opts_fp);
	} else if (p->t.proto == 17 && p->t.af == 4) {
		byid = p->ip_id != 0;
		fp = mix32(p->ip_id, p->seglen);
	} else
		return false;
	/* Linux interface indexes are small: the high bit is free. */
	if (p->ifindex != 0)
		where = p->ifindex;
	else if (p->capif != 0)
		where = UINT32_C(0x80000000) | p->capif;
	else if (p->sll_pkttype != 0xffff)
		where = 0x10000u | p->sll_pkttype;
	else if (p->capdir != CPCAP_DIR_UNKNOWN)
		/* as PACKET_HOST (in) and PACKET_OUTGOING (out) */
		where = 0x10000u | (p->capdir == CPCAP_DIR_OUT ? 4u : 0u);
	else
		where = 0;
	if (!byid && where == 0)
		return false;
	for (i = 0; i < CPCAP_SEEN; i++) {
		s = &c->seen[dir][i];
		if (s->ns == 0 || s->fp != fp || now < s->ns ||
		    now - s->ns > DUP_WINDOW_NS)
			continue;
		if (s->where != where || (byid && !byif))
			return true;
	}
	s = &c->seen[dir][c->seen_next[dir]++ % CPCAP_SEEN];
	s->fp = fp;
	s->where = where;
	s->ns = now;
	return false;
}

/* ---- DNS (RFC 1035 4.1) ---- */

static void
dns_qname(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t i = 12, o = 0;
	uint8_t l;

	out[0] = '\0';
	while (i < n && o + 2 < outlen) {
		l = p[i++];
		if (l == 0 || (l & 0xc0) != 0)
			break;
		if (o > 0)
			out[o++] = '.';
		while (l-- > 0 && i < n && o + 1 < outlen) {
			uint8_t ch = p[i++];

			out[o++] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
		}
	}
	out[o] = '\0';
}

static void
dns_account(struct cpcap_analyzer *a, struct cpcap_conv_more *more,
    uint64_t now, const uint8_t *p, size_t n)
{
	uint16_t id, flags;
	unsigned i;

	if (n < 12)
		return;
	id = (uint16_t)(p[0] << 8 | p[1]);
	flags = (uint16_t)(p[2] << 8 | p[3]);
	if (!(flags & 0x8000)) {		/* query */
		more->dns_queries++;
		a->st.dns_queries++;
		if (more->dns_npending == CPCAP_DNS_PENDING) {
			/* oldest one is given up as unanswered */
			a->st.dns_unanswered++;
			memmove(more->dns_pending_id, more->dns_pending_id + 1,
			    sizeof(more->dns_pending_id[0]) *
			    (CPCAP_DNS_PENDING - 1));
			memmove(more->dns_pending_ns, more->dns_pending_ns + 1,
			    sizeof(more->dns_pending_ns[0]) *
			    (CPCAP_DNS_PENDING - 1));
			more->dns_npending--;
		}
		for (i = 0; i < more->dns_npending; i++)
			if (more->dns_pending_id[i] == id)
				return;		/* a retry: keep the first */
		more->dns_pending_id[more->dns_npending] = id;
		more->dns_pending_ns[more->dns_npending] = now;
		more->dns_npending++;
		return;
	}
	more->dns_responses++;
	a->st.dns_responses++;
	if ((flags & 0x000f) != 0) {
		more->dns_errors++;
		more->dns_rcode = flags & 0x0f;
		dns_qname(p, n, more->dns_qname, sizeof(more->dns_qname));
	}
	for (i = 0; i < more->dns_npending; i++) {
		if (more->dns_pending_id[i] != id)
			continue;
		if (now >= more->dns_pending_ns[i]) {
			uint64_t lat = now - more->dns_pending_ns[i];

			report_quantile_add(a->q_dns, (double)lat / NS_PER_MS);
			if (lat > more->dns_latency_max_ns)
				more->dns_latency_max_ns = lat;
		}
		more->dns_npending--;
		memmove(more->dns_pending_id + i, more->dns_pending_id + i + 1,
		    sizeof(more->dns_pending_id[0]) * (more->dns_npending - i));
		memmove(more->dns_pending_ns + i, more->dns_pending_ns + i + 1,
		    sizeof(more->dns_pending_ns[0]) * (more->dns_npending - i));
		return;
	}
}

/*
 * Whether a segment that may start a DNS-over-TCP message looks like one:
 * a sane length, a standard opcode and at most one question.  Used only
 * where the message boundaries were lost (capture started mid-stream,
 * data not captured).
 */
static bool
dns_tcp_plausible(const uint8_t *m, size_t n)
{
	if (n < 14)
		return false;
	return (m[0] << 8 | m[1]) >= 12 && ((m[4] >> 3) & 0x0f) <= 5 &&
	    m[6] == 0 && m[7] <= 1;
}

/*
 * DNS over TCP: a stream of messages, each after a 2-byte length, that
 * TCP cuts into segments anywhere.  The messages are followed by
 * sequence number, so that a segment in the middle of a long answer, or
 * resent, is not read as a message of its own, a segment holding several
 * is read whole, and a length sent in a segment of its own still finds
 * its message.  A message whose start was not captured (snaplen, or a
 * segment past PIPE_PAYLOAD_MAX) is missed, and the stream is found
 * again at a later segment that starts a message.
 */
static void
dns_tcp(struct cpcap_analyzer *a, struct cpcap_conv *c,
    struct cpcap_conv_more *more, int dir, uint64_t now,
    const struct cpcap_pkt *p)
{
	const uint8_t *m = p->payload;
	size_t n = p->payload != NULL ? p->payload_caplen : 0;
	uint32_t seq = p->seq, left = p->seglen, len;
	uint8_t bit = (uint8_t)(1u << dir);
	bool from_syn = dir == c->client ? c->syn_count > 0 :
	    c->synack_count > 0;

	if ((more->dns_tcp_sync & bit) &&
	    LT_SEQ(seq, more->dns_tcp_next[dir])) {
		/* Inside a message, or resent: go to the next one. */
		uint32_t skip = more->dns_tcp_next[dir] - seq;

		if (skip >= left)
			return;
		if (skip >= n) {
			more->dns_tcp_sync &= (uint8_t)~bit;  /* not captured */
			return;
		}
		seq += skip;
		left -= skip;
		m += skip;
		n -= skip;
	}
	if ((more->dns_tcp_sync & bit) && seq != more->dns_tcp_next[dir])
		more->dns_tcp_sync &= (uint8_t)~bit;	/* data missed */
	if (!(more->dns_tcp_sync & bit)) {
		/* The first data after the handshake starts a message. */
		if (!(from_syn && c->seq[dir].base_set &&
		    seq == c->seq[dir].base_seq + 1) &&
		    !dns_tcp_plausible(m, n))
			return;
		more->dns_tcp_sync |= bit;
		more->dns_tcp_body &= (uint8_t)~bit;
	}
	if (more->dns_tcp_body & bit) {
		/* The length came alone: this is the message. */
		more->dns_tcp_body &= (uint8_t)~bit;
		len = more->dns_tcp_len[dir];
		dns_account(a, more, now, m, n < len ? n : len);
		more->dns_tcp_next[dir] = seq + len;
		if (len >= left)
			return;
		seq += len;
		left -= len;
		m = n > len ? m + len : NULL;
		n = n > len ? n - len : 0;
	}
	for (;;) {
		if (left < 2 || n < 2) {
			/* A length cut by the segment or by the snaplen. */
			more->dns_tcp_sync &= (uint8_t)~bit;
			return;
		}
		len = (uint32_t)(m[0] << 8 | m[1]);
		if (left == 2) {
			/* The length alone; the message follows. */
			more->dns_tcp_next[dir] = seq + 2;
			more->dns_tcp_len[dir] = (uint16_t)len;
			more->dns_tcp_body |= bit;
			return;
		}
		more->dns_tcp_next[dir] = seq + 2 + len;
		dns_account(a, more, now, m + 2, n - 2 < len ? n - 2 : len);
		if (2 + len >= left)
			return;		/* the next one starts later */
		seq += 2 + len;
		left -= 2 + len;
		if (n <= 2 + len) {
			/* Its start was not captured: find it again. */
			more->dns_tcp_sync &= (uint8_t)~bit;
			return;
		}
		m += 2 + len;
		n -= 2 + len;
	}
}

/* ---- ICMP and DNS details ---- */

static const struct cpcap_conv_more no_more;

const struct cpcap_conv_more *
cpcap_conv_more(const struct cpcap_conv *c)
{
	return c->more != NULL ? c->more : &no_more;
}

void
cpcap_conv_copy(struct cpcap_conv *dst, struct cpcap_conv_more *more,
    const struct cpcap_conv *src)
{
	*dst = *src;
	if (src->more != NULL) {
		*more = *src->more;
		dst->more = more;
	}
}

/*
 * c's details, writable, made on first use; NULL without memory (the
 * packet is still counted, and the caller told: more_lost).
 */
static struct cpcap_conv_more *
more_of(struct cpcap_analyzer *a, struct cpcap_conv *c)
{
	struct cpcap_conv_more *m;

	if (c->more != NULL)
		return (struct cpcap_conv_more *)(uintptr_t)c->more;
	if ((m = cilkit_pool_get(&a->mores)) == NULL) {
		a->more_lost = true;
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	c->more = m;
	return m;
}

/* ---- ICMP errors ---- */

static void
icmp_note(struct cpcap_conv_more *more, uint64_t now,
    const struct cpcap_pkt *p)
{
	more->icmp_errors++;
	more->icmp_af = p->t.af;
	more->icmp_type = p->icmp_type;
	more->icmp_code = p->icmp_code;
	more->icmp_mtu = p->icmp_mtu;
	memcpy(more->icmp_from, p->t.src, sizeof(more->icmp_from));
	more->icmp_ns = now;
}

/*
 * Link an ICMP error to the conversation of the packet it quotes;
 * returns false when that conversation is not in the table.
 */
static bool
icmp_link(struct cpcap_analyzer *a, uint64_t now, const struct cpcap_pkt *p)
{
	const struct cpcap_tuple *q = &p->quote;
	struct cpcap_conv *c;
	struct cpcap_conv_more *more;
	struct key k;

	a->st.icmp_errors++;
	if (q->af == 0)
		return false;
	make_key(&k, q, q->sport, q->dport);
	if ((c = lookup(a, &k, key_hash(&k))) == NULL)
		return false;
	a->st.icmp_errors_linked++;
	if ((more = more_of(a, c)) != NULL)
		icmp_note(more, now, p);
	return true;
}
/* ---- the packet path ---- */

/* DNS, by port: the payload is kept for it and read by dns_*(). */
static bool
is_dns(const struct cpcap_pkt *p)
{
	return p->t.sport == 53 || p->t.dport == 53;
}

/* The key of a packet's conversation; false when it has none. */
static bool
pkt_key(const struct cpcap_pkt *p, struct key *k, int *dir)
{
	uint16_t sport = p->t.sport, dport = p->t.dport;

	if (p->t.af == 0 || (p->frag && !p->frag_first))
		return false;
	if (p->t.proto == 1 || p->t.proto == 58)
		sport = dport = p->icmp_id;
	*dir = make_key(k, &p->t, sport, dport);
	return true;
}

static int
process(struct cpcap_analyzer *a, struct pending *e)
{
	const struct cpcap_pkt *p = &e->pkt;
	uint64_t ts = e->ts;
	uint32_t wirelen = e->wirelen;
	struct cpcap_conv *c;
	struct cpcap_conv_more *more;
	const struct key *k;
	uint32_t h;
	int dir;
	uint8_t list;
	bool orphan = false, fragmented = false;
	struct key fk;

	a->st.packets++;
	a->st.bytes += wirelen;
	if (a->st.first_ns == 0 || ts < a->st.first_ns)
		a->st.first_ns = ts;
	if (ts > a->st.last_ns)
		a->st.last_ns = ts;
	if (ts < a->now)
		a->st.ts_backwards++;
	else
		a->now = ts;
	switch (p->status) {
	case CPCAP_TRUNCATED:
		a->st.truncated++;
		break;
	case CPCAP_MALFORMED:
		a->st.malformed++;
		break;
	case CPCAP_UNSUPPORTED:
		a->st.unsupported++;
		break;
	default:
		break;
	}
	if ((unsigned)p->reason < CPCAP_R_COUNT)
		a->st.by_reason[p->reason]++;
	if (p->tunnel != CPCAP_TUN_NONE)
		a->st.tunnelled++;
	expire(a);
	if (cpcap_frags_waiting(a->frags) > 0 && a->now >= a->frag_check_ns) {
		cpcap_frags_expire(a->frags, a->now);
		a->frag_check_ns = a->now + FRAG_CHECK_NS;
	}

	if (p->t.af == 0) {
		if (p->l3 == CPCAP_L3_OTHER)
			a->st.non_ip++;
		return 0;
	}
	if (p->frag) {
		/* Analysed once whole, as tshark does (cpcap_frag.h). */
		a->st.fragments++;
		a->st.fragments_cut += p->frag_cut;
		switch (cpcap_frags_add(a->frags, ts, p, &p)) {
		case CPCAP_FRAG_WHOLE:
			fragmented = true;
			break;
		case CPCAP_FRAG_CUT:
			/*
			 * Never whole: tshark decodes an IPv4 first fragment
			 * cut by the snapshot length as it is, not an IPv6
			 * one.
			 */
			if (p->frag_cut && p->frag_first &&
			    (p->frag_outer ? p->outer.af : p->t.af) == 4)
				break;
			return 0;
		default:
			return 0;
		}
	}
	/* Transport header needed for TCP/UDP/SCTP/ICMP conversations. */
	switch (p->t.proto) {
	case 6: case 17: case 132: case 1: case 58:
		if (!p->l4_ok) {
			a->st.no_l4++;
			return 0;
		}
		break;
	default:
		break;
	}
	if ((p->t.proto == 1 || p->t.proto == 58) && p->icmp_error)
		orphan = !icmp_link(a, ts, p);
	if (fragmented) {
		/* Keyed now: its first fragment may be long gone. */
		pkt_key(p, &fk, &dir);
		k = &fk;
		h = key_hash(k);
	} else {
		/* The key was made at commit time (pkt_key()). */
		k = &e->key;
		dir = e->dir;
		h = e->hash;
	}
	c = lookup(a, k, h);
	/* A new SYN with another ISN on a known tuple: a new stream. */
	if (c != NULL && p->t.proto == 6 &&
	    (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN &&
	    c->seq[dir].base_set && p->seq != c->seq[dir].base_seq) {
		a->st.port_reuse++;
		conv_finish(a, c);
		c = NULL;
	}
	if (c == NULL) {
		if ((c = create(a, k, h, ts)) == NULL)
			return CILKIT_ENOMEM;
		guess_client(c, dir);
		if ((p->t.proto == 1 && p->icmp_type == 8) ||
		    (p->t.proto == 58 && p->icmp_type == 128)) {
			c->client = dir;
			c->client_guessed = false;
		}
	}
	if (ts > c->last_ns)
		c->last_ns = ts;
	c->d[dir].packets++;
	c->d[dir].bytes += wirelen;
	if (fragmented)
		c->d[dir].fragmented++;
	if (p->tunnel != CPCAP_TUN_NONE) {
		c->tunnel = p->tunnel;
		c->vni = p->vni;
	}
	if (orphan && (more = more_of(a, c)) != NULL) {
		icmp_note(more, ts, p);
		more->icmp_orphan = true;
		more->icmp_quote = p->quote;
	}
	if (seen_before(c, dir, ts, p)) {
		/* Counted like tshark, not analysed twice. */
		c->d[dir].duplicates++;
		a->st.duplicates++;
	} else if (p->t.proto == 6) {
		tcp_analyze(a, c, dir, ts, p);
		if (is_dns(p) && p->seglen > 0 &&
		    (more = more_of(a, c)) != NULL)
			dns_tcp(a, c, more, dir, ts, p);
	} else if (p->t.proto == 17) {
		c->d[dir].payload += p->seglen;
		if (p->seglen > 0)
			c->data_mask |= (uint8_t)(1u << dir);
		if (is_dns(p) && p->payload != NULL &&
		    (more = more_of(a, c)) != NULL)
			dns_account(a, more, ts, p->payload,
			    p->payload_caplen);
	}
	/*
	 * Keep the activity lists in order lazily: a conversation moves to
	 * its list's tail at most once per LRU_GRAIN of capture time, or
	 * when its class changes (expire() requeues the rest), so that
	 * most packets touch no other conversation's memory.
	 */
	list = lru_class(c);
	if (list != c->lru || c->last_ns - c->lru_ns > LRU_GRAIN_NS) {
		lru_unlink(a, c);
		lru_append(a, c, list);
	}
	if (a->more_lost) {
		a->more_lost = false;
		return CILKIT_ENOMEM;
	}
	return 0;
}

static int
pipe_process_oldest(struct cpcap_analyzer *a)
{
	struct pending *e = &a->pipe[a->pipe_first];
	int rc;

	rc = process(a, e);
	a->pipe_first = (a->pipe_first + 1) % PIPE_SLOTS;
	a->pipe_n--;
	return rc;
}

void
cpcap_analyzer_set_finish_hooks(struct cpcap_analyzer *a,
    cpcap_finish_begin_fn begin, cpcap_finish_end_fn end)
{
	a->finish_begin = begin;
	a->finish_end = end;
}

struct cpcap_pkt *
cpcap_analyzer_slot(struct cpcap_analyzer *a)
{
	return &a->pipe[(a->pipe_first + a->pipe_n) % PIPE_SLOTS].pkt;
}

/*
 * Room in slot e for a DNS-over-TCP segment of n captured bytes; false
 * (keep the first PIPE_PAYLOAD) past PIPE_PAYLOAD_MAX or without memory.
 */
static bool
slot_big(struct pending *e, uint32_t n)
{
	uint8_t *b;

	if (n > PIPE_PAYLOAD_MAX)
		return false;
	if (n <= e->bigcap)
		return true;
	if ((b = realloc(e->big, n)) == NULL)
		return false;
	e->big = b;
	e->bigcap = n;
	return true;
}

int
cpcap_analyzer_commit(struct cpcap_analyzer *a, uint64_t ts,
    uint32_t wirelen)
{
	unsigned i = (a->pipe_first + a->pipe_n) % PIPE_SLOTS;
	struct pending *e = &a->pipe[i];
	struct cpcap_pkt *p = &e->pkt;

	e->ts = ts;
	e->wirelen = wirelen;
	/* The payload is borrowed from the reader: keep what DNS needs. */
	if (p->payload != NULL && p->payload_caplen > 0 && is_dns(p)) {
		uint8_t *dst = e->payload;

		if (p->payload_caplen > PIPE_PAYLOAD) {
			if (p->t.proto == 6 && slot_big(e, p->payload_caplen))
				dst = e->big;
			else
				p->payload_caplen = PIPE_PAYLOAD;
		}
		memmove(dst, p->payload, p->payload_caplen);
		p->payload = dst;
	} else {
		p->payload = NULL;
		p->payload_caplen = 0;
	}
	e->keyed = pkt_key(p, &e->key, &e->dir);
	if (e->keyed) {
		e->hash = key_hash(&e->key);
		__builtin_prefetch(&a->buckets[e->hash & (a->nbuckets - 1)]);
	}
	/* The one before: its bucket is in cache now, fetch the head. */
	if (a->pipe_n >= 1) {
		struct pending *prev = &a->pipe[(i + PIPE_SLOTS - 1) %
		    PIPE_SLOTS];

		if (prev->keyed) {
			struct cpcap_conv *c =
			    a->buckets[prev->hash & (a->nbuckets - 1)];

			/*
			 * What a packet touches: the key, the sequence
			 * state and the frames last seen (the first
			 * CONV_HOT bytes), and its sender's counters.
			 */
			if (c != NULL) {
				const char *m = (const char *)c;
				size_t o;

				for (o = 0; o < CONV_HOT; o += 64)
					__builtin_prefetch(m + o);
				__builtin_prefetch(&c->d[prev->dir]);
			}
		}
	}
	if (++a->pipe_n < PIPE_SLOTS)
		return 0;
	return pipe_process_oldest(a);
}

int
cpcap_analyzer_add(struct cpcap_analyzer *a, uint64_t ts, uint32_t wirelen,
    const struct cpcap_pkt *pkt)
{
	*cpcap_analyzer_slot(a) = *pkt;
	return cpcap_analyzer_commit(a, ts, wirelen);
}

int
cpcap_analyzer_flush(struct cpcap_analyzer *a)
{
	int rc = 0, r;

	while (a->pipe_n > 0)
		if ((r = pipe_process_oldest(a)) != 0)
			rc = r;
	rtt_flush(a);
	return rc;
}

/* ---- lifecycle ---- */

struct cpcap_analyzer *
cpcap_analyzer_new(const struct cpcap_conv_config *cfg, cpcap_done_fn done,
    void *arg)
{
	struct cpcap_analyzer *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->cfg.tcp_idle_ns = 3600 * NS_PER_SEC;
	a->cfg.tcp_closed_idle_ns = 240 * NS_PER_SEC;
	a->cfg.dgram_idle_ns = 600 * NS_PER_SEC;
	a->cfg.max_live = (size_t)4 << 20;
	if (cfg != NULL) {
		if (cfg->tcp_idle_ns != 0)
			a->cfg.tcp_idle_ns = cfg->tcp_idle_ns;
		if (cfg->tcp_closed_idle_ns != 0)
			a->cfg.tcp_closed_idle_ns = cfg->tcp_closed_idle_ns;
		if (cfg->dgram_idle_ns != 0)
			a->cfg.dgram_idle_ns = cfg->dgram_idle_ns;
		if (cfg->max_live != 0)
			a->cfg.max_live = cfg->max_live;
		a->cfg.prefault = cfg->prefault;
	}
	a->done = done;
	a->arg = arg;
	cilkit_pool_init(&a->convs, sizeof(struct cpcap_conv));
	cilkit_pool_set_prefault(&a->convs, a->cfg.prefault);
	cilkit_pool_init(&a->mores, sizeof(struct cpcap_conv_more));
	a->nbuckets = 1024;
	a->buckets = calloc(a->nbuckets, sizeof(*a->buckets));
	a->q_hs = report_quantile_new(0.01);
	a->q_dns = report_quantile_new(0.01);
	a->q_rtt = report_quantile_new(0.01);
	a->frags = cpcap_frags_new(0);
	if (a->buckets == NULL || a->q_hs == NULL || a->q_dns == NULL ||
	    a->q_rtt == NULL || a->frags == NULL) {
		cpcap_analyzer_free(a);
		return NULL;
	}
	return a;
}

/* Conversations fetched ahead when finishing them all. */
#define FINISH_AHEAD	4

static int
cmp_id(const void *x, const void *y)
{
	const struct cpcap_conv *a = *(const struct cpcap_conv *const *)x;
	const struct cpcap_conv *b = *(const struct cpcap_conv *const *)y;

	return a->id < b->id ? -1 : a->id > b->id;
}

void
cpcap_analyzer_finish(struct cpcap_analyzer *a)
{
	struct cpcap_conv **v, **slot, *c;
	size_t n = 0, n2, i, b;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint8_t l;

	cpcap_analyzer_flush(a);
	cpcap_frags_finish(a->frags);
	v = a->live > 0 ? malloc(a->live * sizeof(*v)) : NULL;
	if (v == NULL) {
		/* No memory to sort: finish in activity order instead. */
		for (l = 0; l < LRU_N; l++)
			while ((c = a->head[l]) != NULL)
				conv_finish(a, c);
		return;
	}
	/*
	 * Collect from the bucket array rather than the activity lists:
	 * the array is read in order and the conversations a few buckets
	 * on are fetched ahead, where following list links waits for one
	 * cache miss after another.
	 */
	for (b = 0; b < a->nbuckets && n < a->live; b++) {
		if (b + FINISH_AHEAD < a->nbuckets &&
		    (c = a->buckets[b + FINISH_AHEAD]) != NULL) {
			__builtin_prefetch(c);
			__builtin_prefetch(&c->id);
		}
		for (c = a->buckets[b]; c != NULL && n < a->live;
		    c = c->hnext) {
			v[n++] = c;
			if (c->id < lo)
				lo = c->id;
			if (c->id > hi)
				hi = c->id;
		}
	}
	/*
	 * Ids are dense when most conversations are still live (a short
	 * capture): place them by id, else sort.
	 */
	if (n > 0 && hi - lo < (uint64_t)n * 4 &&
	    (slot = calloc((size_t)(hi - lo) + 1, sizeof(*slot))) != NULL) {
		for (i = 0; i < n; i++)
			slot[v[i]->id - lo] = v[i];
		/* In id order, packed: the same walk as after a sort. */
		for (i = 0, n2 = 0; i <= (size_t)(hi - lo); i++)
			if (slot[i] != NULL)
				v[n2++] = slot[i];
		free(slot);
	} else
		qsort(v, n, sizeof(*v), cmp_id);
	if (a->finish_begin != NULL)
		a->finish_begin(v, n, a->arg);
	for (i = 0; i < n; i++) {
		/* The report reads most of a conversation: fetch ahead. */
		if (i + FINISH_AHEAD < n) {
			const char *m = (const char *)v[i + FINISH_AHEAD];
			size_t o;

			for (o = 0; o < sizeof(struct cpcap_conv); o += 64)
				__builtin_prefetch(m + o);
		}
		conv_report(a, v[i]);
	}
	if (a->finish_end != NULL)
		a->finish_end(a->arg);
	/*
	 * Every conversation goes: empty the table and the lists at once
	 * rather than unlinking each (which touches its neighbours, cache
	 * misses on a big table).
	 */
	memset(a->buckets, 0, a->nbuckets * sizeof(*a->buckets));
	for (l = 0; l < LRU_N; l++)
		a->head[l] = a->tail[l] = NULL;
	for (i = 0; i < n; i++)
		conv_free(a, v[i]);
	a->live = 0;
	free(v);
}

void
cpcap_analyzer_free(struct cpcap_analyzer *a)
{
	size_t i;

	if (a == NULL)
		return;
	cilkit_pool_destroy(&a->convs);
	cilkit_pool_destroy(&a->mores);
	for (i = 0; i < PIPE_SLOTS; i++)
		free(a->pipe[i].big);
	free(a->buckets);
	report_quantile_free(a->q_hs);
	report_quantile_free(a->q_dns);
	report_quantile_free(a->q_rtt);
	cpcap_frags_free(a->frags);
	free(a);
}

const struct cpcap_frag_stats *
cpcap_analyzer_frag_stats(const struct cpcap_analyzer *a)
{
	return cpcap_frags_stats(a->frags);
}

const struct cpcap_stats *
cpcap_analyzer_stats(const struct cpcap_analyzer *a)
{
	return &a->st;
}

size_t
cpcap_analyzer_live(const struct cpcap_analyzer *a)
{
	return a->live;
}

const struct report_quantile *
cpcap_analyzer_handshake_rtt(const struct cpcap_analyzer *a)
{
	return a->q_hs;
}

const struct report_quantile *
cpcap_analyzer_dns_latency(const struct cpcap_analyzer *a)
{
	return a->q_dns;
}

const struct report_quantile *
cpcap_analyzer_data_rtt(const struct cpcap_analyzer *a)
{
	return a->q_rtt;
}

const char *
cpcap_state_name(enum cpcap_state s)
{
	static const char *const names[CPCAP_ST_COUNT] = {
		[CPCAP_ST_NONE] = "",
		[CPCAP_ST_SYN_SENT] = "syn-sent",
		[CPCAP_ST_REFUSED] = "refused",
		[CPCAP_ST_UNREACHABLE] = "unreachable",
		[CPCAP_ST_HALF_OPEN] = "half-open",
		[CPCAP_ST_ESTABLISHED] = "established",
		[CPCAP_ST_OPEN] = "open",
		[CPCAP_ST_HALF_CLOSED] = "half-closed",
		[CPCAP_ST_CLOSED] = "closed",
		[CPCAP_ST_RESET] = "reset",
	};

	if ((unsigned)s >= CPCAP_ST_COUNT)
		return "";
	return names[s];
}

const char *
cpcap_dns_rcode_name(uint8_t rcode, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
	    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
	    "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (len > 0) {
		buf[0] = '\0';
		snprintf(buf, len, "RCODE%u", rcode);
	}
	return buf;
}
