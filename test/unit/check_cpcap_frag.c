/*
 * check_cpcap_frag.c - IP fragments: datagrams made whole in any order,
 * copies recognised, lost fragments counted, memory bounded; and the
 * analyzer counting a fragmented datagram as one packet of its
 * conversation, as tshark does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cpcap_conv.h"
#include "cpcap_frag.h"
#include "test_hex.h"

#define MS	UINT64_C(1000000)

/* One fragment of UDP 10.0.0.1:40000 -> 10.0.0.2:9999 (ports in off 0). */
struct frag {
	uint32_t	 id, off, len;
	bool		 more;
	enum cpcap_frag_verdict want;
};

struct frow {
	const char	*name;
	struct frag	 f[8];
	int		 n;
	uint64_t	 whole, incomplete, incomplete_frames, copies;
	uint32_t	 seglen;	/* of the whole datagram, last one */
};

static const struct frow frows[] = {
	{ "in-order", { { 7, 0, 1480, true, CPCAP_FRAG_WAIT },
	  { 7, 1480, 1480, true, CPCAP_FRAG_WAIT },
	  { 7, 2960, 1048, false, CPCAP_FRAG_WHOLE } }, 3, 1, 0, 0, 0,
	  4000 },
	{ "last-first", { { 7, 2960, 1048, false, CPCAP_FRAG_WAIT },
	  { 7, 1480, 1480, true, CPCAP_FRAG_WAIT },
	  { 7, 0, 1480, true, CPCAP_FRAG_WHOLE } }, 3, 1, 0, 0, 0, 4000 },
	/* a capture on two interfaces: every fragment twice */
	{ "copies", { { 7, 0, 1480, true, CPCAP_FRAG_WAIT },
	  { 7, 0, 1480, true, CPCAP_FRAG_COPY },
	  { 7, 1480, 520, false, CPCAP_FRAG_WHOLE },
	  { 7, 1480, 520, false, CPCAP_FRAG_COPY } }, 4, 1, 0, 0, 2, 1992 },
	/* two datagrams interleaved, ids tell them apart */
	{ "interleaved", { { 1, 0, 1480, true, CPCAP_FRAG_WAIT },
	  { 2, 0, 1480, true, CPCAP_FRAG_WAIT },
	  { 2, 1480, 100, false, CPCAP_FRAG_WHOLE },
	  { 1, 1480, 200, false, CPCAP_FRAG_WHOLE } }, 4, 2, 0, 0, 0, 1672 },
	/* the middle fragment lost: never whole */
	{ "middle-lost", { { 9, 0, 1480, true, CPCAP_FRAG_WAIT },
	  { 9, 2960, 40, false, CPCAP_FRAG_WAIT } }, 2, 0, 1, 2, 0, 0 },
	/* the first lost: no ports, never whole */
	{ "first-lost", { { 9, 1480, 1480, true, CPCAP_FRAG_WAIT },
	  { 9, 2960, 40, false, CPCAP_FRAG_WAIT } }, 2, 0, 1, 2, 0, 0 },
};

static void
mkfrag(struct cpcap_pkt *p, const struct frag *f)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	memset(p, 0, sizeof(*p));
	p->l3 = CPCAP_L3_IPV4;
	p->t.af = 4;
	p->t.proto = 17;
	memcpy(p->t.src, a, 4);
	memcpy(p->t.dst, b, 4);
	p->frag = true;
	p->frag_first = f->off == 0;
	p->frag_more = f->more;
	p->frag_id = f->id;
	p->ip_id = (uint16_t)f->id;
	p->frag_off = f->off;
	p->frag_len = f->len;
	p->l4_len = f->len;
	if (f->off == 0) {
		/* what the decoder makes of a first fragment */
		p->t.sport = 40000;
		p->t.dport = 9999;
		p->t.has_ports = true;
		p->l4_ok = true;
		p->seglen = f->len - 8;
	}
}

START_TEST(test_frag_rows)
{
	const struct frow *r = &frows[_i];
	struct cpcap_frags *fr = cpcap_frags_new(0);
	const struct cpcap_frag_stats *st;
	const struct cpcap_pkt *dg = NULL;
	struct cpcap_pkt p;
	int i;

	ck_assert_ptr_nonnull(fr);
	for (i = 0; i < r->n; i++) {
		mkfrag(&p, &r->f[i]);
		ck_assert_msg(cpcap_frags_add(fr, (uint64_t)(i + 1) * MS, &p,
		    &dg) == r->f[i].want, "%s: fragment %d", r->name, i);
		if (r->f[i].want == CPCAP_FRAG_WHOLE) {
			ck_assert_uint_eq(dg->t.sport, 40000);
			ck_assert_uint_eq(dg->t.dport, 9999);
		}
	}
	if (r->seglen > 0)
		ck_assert_uint_eq(dg->seglen, r->seglen);
	cpcap_frags_finish(fr);
	st = cpcap_frags_stats(fr);
	ck_assert_uint_eq(st->whole, r->whole);
	ck_assert_uint_eq(st->incomplete, r->incomplete);
	ck_assert_uint_eq(st->incomplete_frames, r->incomplete_frames);
	ck_assert_uint_eq(st->copies, r->copies);
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 0);
	cpcap_frags_free(fr);
}
END_TEST

/* Timeouts and the memory cap give datagrams up, counted. */
START_TEST(test_frag_expiry_and_cap)
{
	struct cpcap_frags *fr = cpcap_frags_new(4);
	const struct cpcap_pkt *dg;
	struct cpcap_pkt p;
	struct frag f = { 1, 0, 1480, true, CPCAP_FRAG_WAIT };
	uint32_t id;

	ck_assert_ptr_nonnull(fr);
	/* six datagrams waiting in a table of four: two given up */
	for (id = 1; id <= 6; id++) {
		f.id = id;
		mkfrag(&p, &f);
		ck_assert_int_eq(cpcap_frags_add(fr, id * MS, &p, &dg),
		    CPCAP_FRAG_WAIT);
	}
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 4);
	ck_assert_uint_eq(cpcap_frags_stats(fr)->incomplete, 2);
	/* not yet timed out, then timed out */
	cpcap_frags_expire(fr, 6 * MS + CPCAP_FRAG_TIMEOUT_NS - 10 * MS);
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 4);
	cpcap_frags_expire(fr, 7 * MS + CPCAP_FRAG_TIMEOUT_NS);
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 0);
	ck_assert_uint_eq(cpcap_frags_stats(fr)->incomplete, 6);
	ck_assert_uint_eq(cpcap_frags_stats(fr)->last_incomplete.sport,
	    40000);

	/* a whole datagram is forgotten after its copies could come */
	f.id = 50;
	f.len = 100;
	mkfrag(&p, &f);
	ck_assert_int_eq(cpcap_frags_add(fr, 100 * MS, &p, &dg),
	    CPCAP_FRAG_WAIT);
	f.off = 100;
	f.more = false;
	mkfrag(&p, &f);
	ck_assert_int_eq(cpcap_frags_add(fr, 101 * MS, &p, &dg),
	    CPCAP_FRAG_WHOLE);
	ck_assert_uint_eq(dg->seglen, 192);
	cpcap_frags_expire(fr, 102 * MS);
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 1);
	cpcap_frags_expire(fr, 101 * MS + 1000 * MS);
	ck_assert_uint_eq(cpcap_frags_waiting(fr), 0);
	ck_assert_uint_eq(cpcap_frags_stats(fr)->incomplete, 6);
	cpcap_frags_free(fr);
	cpcap_frags_free(NULL);
}
END_TEST

struct collect {
	struct cpcap_conv last;
	struct cpcap_conv_more last_more;	/* last's details */
	int n;
};

static void
collect(const struct cpcap_conv *c, void *arg)
{
	struct collect *col = arg;

	col->n++;
	cpcap_conv_copy(&col->last, &col->last_more, c);
}

/*
 * Through the analyzer: a datagram in three fragments (last one first)
 * and an unfragmented one are two packets of one conversation, with the
 * completing frame's length; a datagram missing a fragment is in no
 * conversation and is counted incomplete.
 */
START_TEST(test_frag_analyzer)
{
	struct collect col = { .n = 0 };
	struct cpcap_analyzer *a = cpcap_analyzer_new(NULL, collect, &col);
	const struct cpcap_stats *st;
	const struct cpcap_frag_stats *fs;
	struct cpcap_pkt p;
	static const struct frag seq[] = {
		{ 3, 2960, 1048, false, 0 }, { 3, 0, 1480, true, 0 },
		{ 3, 1480, 1480, true, 0 },
		{ 4, 0, 1480, true, 0 },	/* its rest never comes */
	};
	size_t i;

	ck_assert_ptr_nonnull(a);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		mkfrag(&p, &seq[i]);
		ck_assert_int_eq(cpcap_analyzer_add(a, (i + 1) * MS,
		    seq[i].len + 34, &p), 0);
	}
	/* a whole datagram of the same conversation */
	mkfrag(&p, &seq[1]);
	p.frag = p.frag_more = false;
	p.seglen = 92;
	p.l4_len = 100;
	ck_assert_int_eq(cpcap_analyzer_add(a, 10 * MS, 134, &p), 0);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	ck_assert_uint_eq(col.last.d[0].packets, 2);
	ck_assert_uint_eq(col.last.d[0].bytes, (1480 + 34) + 134);
	ck_assert_uint_eq(col.last.d[0].fragmented, 1);
	ck_assert_uint_eq(col.last.d[0].payload, 4000 + 92);
	ck_assert_uint_eq(col.last.first_ns, 3 * MS);
	st = cpcap_analyzer_stats(a);
	ck_assert_uint_eq(st->packets, 5);
	ck_assert_uint_eq(st->fragments, 4);
	fs = cpcap_analyzer_frag_stats(a);
	ck_assert_uint_eq(fs->whole, 1);
	ck_assert_uint_eq(fs->incomplete, 1);
	ck_assert_uint_eq(fs->incomplete_frames, 1);
	cpcap_analyzer_free(a);
}
END_TEST

/*
 * A VXLAN packet whose outer datagram was fragmented (a tunnel MTU too
 * small): the first outer fragment carries the VXLAN header and the
 * inner TCP SYN, the second only outer bytes.  The inner SYN is
 * analysed once the outer datagram is whole, in the inner conversation,
 * and nothing is left incomplete.
 */
START_TEST(test_frag_tunnel)
{
	static const char *first = "45 00 005c 0009 2000 40 11 0000 "
	    "0a000001 0a000002 c000 2118 0050 0000 08000000 00006400 "
	    "ffffffffffff 000000000001 0800 "
	    "45 00 002a 0001 0000 40 06 0000 0a010001 0a010002 "
	    "04d2 0050 00000001 00000000 5002 ffff 0000 0000 6162";
	static const char *last = "45 00 001c 0009 0009 40 11 0000 "
	    "0a000001 0a000002 0000000000000000";
	struct collect col = { .n = 0 };
	struct cpcap_analyzer *a = cpcap_analyzer_new(NULL, collect, &col);
	uint8_t buf[256];
	struct cpcap_pkt p;
	size_t n;

	ck_assert_ptr_nonnull(a);
	n = unhex(first, buf, sizeof(buf));
	cpcap_decode(12, buf, n, n, &p);
	ck_assert_int_eq(p.status, CPCAP_OK);
	ck_assert(p.frag && p.frag_first && p.frag_more && p.frag_outer);
	ck_assert_uint_eq(p.frag_id, 9);
	ck_assert_uint_eq(p.frag_len, 72);
	ck_assert_uint_eq(p.t.proto, 6);
	ck_assert_uint_eq(p.t.dport, 80);
	ck_assert_int_eq(p.tunnel, CPCAP_TUN_VXLAN);
	ck_assert_int_eq(cpcap_analyzer_add(a, 1 * MS, (uint32_t)n, &p), 0);
	n = unhex(last, buf, sizeof(buf));
	cpcap_decode(12, buf, n, n, &p);
	ck_assert(p.frag && !p.frag_first && !p.frag_outer);
	ck_assert_uint_eq(p.frag_off, 72);
	ck_assert_int_eq(cpcap_analyzer_add(a, 2 * MS, (uint32_t)n, &p), 0);
	cpcap_analyzer_finish(a);
	ck_assert_int_eq(col.n, 1);
	ck_assert_uint_eq(col.last.proto, 6);
	ck_assert_uint_eq(col.last.syn_count, 1);
	ck_assert_int_eq(col.last.tunnel, CPCAP_TUN_VXLAN);
	ck_assert_uint_eq(col.last.vni, 100);
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, packets), 1);
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, bytes), 28);
	/* the inner lengths, not grown by the outer datagram's */
	ck_assert_uint_eq(CPCAP_BOTH(&col.last, payload), 2);
	ck_assert_uint_eq(cpcap_analyzer_frag_stats(a)->whole, 1);
	ck_assert_uint_eq(cpcap_analyzer_frag_stats(a)->incomplete, 0);
	cpcap_analyzer_free(a);
}
END_TEST

static Suite *
frag_suite(void)
{
	Suite *s = suite_create("cpcap_frag");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_frag_rows, 0,
	    (int)(sizeof(frows) / sizeof(frows[0])));
	tcase_add_test(tc, test_frag_expiry_and_cap);
	tcase_add_test(tc, test_frag_analyzer);
	tcase_add_test(tc, test_frag_tunnel);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(frag_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
