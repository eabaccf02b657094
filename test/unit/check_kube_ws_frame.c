/*
 * check_kube_ws_frame.c - RFC 6455 framing: every length form, masking,
 * fragmentation, control and close frames, the bad rows, incremental
 * parsing, the accept key; and the SHA-1 and base64 it is built on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cilkit.h"
#include "kube_base64.h"
#include "kube_sha1.h"
#include "kube_ws_frame.h"

/* ---- SHA-1 (FIPS 180-4 examples and the million-'a' vector) ---- */

struct sha1_case {
	const char *in;
	size_t repeat;
	const char *hex;
};

static const struct sha1_case sha1_cases[] = {
	{ "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	/* 55, 56 and 64 bytes: the padding boundary cases */
	{ "0123456789012345678901234567890123456789012345678901234", 1,
	  "9f3a4ce7f66b1b74c34da2c5d732c39f81e0f8df" },
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  1, "cf0800f7644ace3cb4c3fa33388d3ba0ea3c8b6e" },
};

static void
hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

START_TEST(test_sha1)
{
	const struct sha1_case *tc = &sha1_cases[_i];
	struct kube_sha1 c;
	uint8_t d[KUBE_SHA1_LEN];
	char h[41];
	size_t i;

	kube_sha1_init(&c);
	for (i = 0; i < tc->repeat; i++)
		kube_sha1_update(&c, tc->in, strlen(tc->in));
	kube_sha1_final(&c, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, tc->hex);
}
END_TEST

/* Split updates must give the same digest as one update. */
START_TEST(test_sha1_split)
{
	uint8_t buf[300], d1[20], d2[20];
	struct kube_sha1 c;
	size_t i, cut;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	kube_sha1_digest(buf, sizeof(buf), d1);
	for (cut = 0; cut <= sizeof(buf); cut += 13) {
		kube_sha1_init(&c);
		kube_sha1_update(&c, buf, cut);
		kube_sha1_update(&c, buf + cut, sizeof(buf) - cut);
		kube_sha1_final(&c, d2);
		ck_assert_mem_eq(d1, d2, 20);
	}
}
END_TEST

/* ---- base64 (RFC 4648 section 10 vectors and bad rows) ---- */

struct b64_case {
	const char *enc;
	const char *dec;	/* NULL: decoding must fail */
	int err;
};

static const struct b64_case b64_cases[] = {
	{ "", "", 0 },
	{ "Zg==", "f", 0 },
	{ "Zm8=", "fo", 0 },
	{ "Zm9v", "foo", 0 },
	{ "Zm9vYg==", "foob", 0 },
	{ "Zm9vYmE=", "fooba", 0 },
	{ "Zm9vYmFy", "foobar", 0 },
	{ "Zm9v\nYmFy\r\n", "foobar", 0 },	/* line breaks ignored */
	/* bad input */
	{ "Zm9", NULL, CILKIT_EINVAL },		/* truncated */
	{ "Zg=", NULL, CILKIT_EINVAL },		/* short padding */
	{ "Z===", NULL, CILKIT_EINVAL },	/* too much padding */
	{ "Zg==Zg==", NULL, CILKIT_EINVAL },	/* data after padding */
	{ "Zm9v YmFy", NULL, CILKIT_EINVAL },	/* space */
	{ "Zm9v-_==", NULL, CILKIT_EINVAL },	/* URL alphabet */
	{ "=Zm9", NULL, CILKIT_EINVAL },
};

START_TEST(test_base64)
{
	const struct b64_case *tc = &b64_cases[_i];
	char eb[CILKIT_ERRBUF_SIZE] = "", enc[64];
	uint8_t dec[64];
	long n;

	n = kube_base64_decode(tc->enc, strlen(tc->enc), dec, sizeof(dec),
	    eb, sizeof(eb));
	if (tc->dec == NULL) {
		ck_assert_int_eq(n, tc->err);
		ck_assert_ptr_nonnull(strstr(eb, "base64"));
		return;
	}
	ck_assert_int_eq(n, (long)strlen(tc->dec));
	ck_assert_mem_eq(dec, tc->dec, (size_t)n);
	if (strchr(tc->enc, '\n') == NULL) {
		n = kube_base64_encode(tc->dec, strlen(tc->dec), enc,
		    sizeof(enc));
		ck_assert_int_eq(n, (long)strlen(tc->enc));
		ck_assert_str_eq(enc, tc->enc);
	}
}
END_TEST

START_TEST(test_base64_caps)
{
	char eb[CILKIT_ERRBUF_SIZE], enc[8];
	uint8_t dec[5];

	/* "foobar" needs 9 bytes with the NUL */
	ck_assert_int_eq(kube_base64_encode("foobar", 6, enc, 8),
	    CILKIT_ETOOBIG);
	ck_assert_int_eq(kube_base64_encode("foo", 3, enc, 5), 4);
	ck_assert_int_eq(kube_base64_decode("Zm9vYmFy", 8, dec, 5, eb,
	    sizeof(eb)), CILKIT_ETOOBIG);
}
END_TEST

/* ---- frames ---- */

/* RFC 6455 section 5.7 examples, and one per length form. */
struct frame_case {
	const char *name;
	const uint8_t *bytes;
	size_t nbytes;
	bool masked;
	bool fin;
	uint8_t op;
	const char *payload;
};

static const uint8_t f_hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
static const uint8_t f_hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
static const uint8_t f_hel[] = { 0x01, 0x03, 'H', 'e', 'l' };
static const uint8_t f_lo[] = { 0x80, 0x02, 'l', 'o' };
static const uint8_t f_ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
static const uint8_t f_pong_masked[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21,
    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
static const uint8_t f_close[] = { 0x88, 0x02, 0x03, 0xe8 };
static const uint8_t f_close_empty[] = { 0x88, 0x00 };
static const uint8_t f_empty_bin[] = { 0x82, 0x00 };

static const struct frame_case frame_cases[] = {
	{ "text", f_hello, sizeof(f_hello), false, true, 1, "Hello" },
	{ "masked", f_hello_masked, sizeof(f_hello_masked), true, true, 1,
	  "Hello" },
	{ "frag1", f_hel, sizeof(f_hel), false, false, 1, "Hel" },
	{ "frag2", f_lo, sizeof(f_lo), false, true, 0, "lo" },
	{ "ping", f_ping, sizeof(f_ping), false, true, 9, "Hello" },
	{ "pong", f_pong_masked, sizeof(f_pong_masked), true, true, 10,
	  "Hello" },
	{ "close", f_close, sizeof(f_close), false, true, 8, "\x03\xe8" },
	{ "close0", f_close_empty, sizeof(f_close_empty), false, true, 8, "" },
	{ "empty", f_empty_bin, sizeof(f_empty_bin), false, true, 2, "" },
};

START_TEST(test_frame_examples)
{
	const struct frame_case *tc = &frame_cases[_i];
	struct kube_ws_frame f;
	uint8_t buf[64];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	size_t k;
	ssize_t n;

	memcpy(buf, tc->bytes, tc->nbytes);
	/* every proper prefix asks for more */
	for (k = 0; k < tc->nbytes; k++)
		ck_assert_int_eq(kube_ws_frame_parse(buf, k, tc->masked, 1024,
		    &f, eb, sizeof(eb)), 0);
	n = kube_ws_frame_parse(buf, tc->nbytes, tc->masked, 1024, &f, eb,
	    sizeof(eb));
	ck_assert_msg(n == (ssize_t)tc->nbytes, "%s: %zd (%s)", tc->name, n,
	    eb);
	ck_assert_int_eq(f.fin, tc->fin);
	ck_assert_int_eq(f.opcode, tc->op);
	ck_assert_uint_eq(f.len, strlen(tc->payload));
	ck_assert_mem_eq(f.payload, tc->payload, f.len);
}
END_TEST

/* Close payloads: status code and reason, empty, and the bad 1 byte. */
START_TEST(test_close_parse)
{
	uint8_t p[] = { 0x03, 0xe8, 'b', 'y', 'e' };
	const char *r;
	size_t rl;
	uint16_t code;

	ck_assert_int_eq(kube_ws_close_parse(p, 5, &code, &r, &rl), 0);
	ck_assert_uint_eq(code, 1000);
	ck_assert_uint_eq(rl, 3);
	ck_assert_mem_eq(r, "bye", 3);
	ck_assert_int_eq(kube_ws_close_parse(p, 0, &code, &r, &rl), 0);
	ck_assert_uint_eq(code, 1005);
	ck_assert_int_eq(kube_ws_close_parse(p, 1, &code, &r, &rl),
	    CILKIT_EPROTO);
}
END_TEST

/* Encode then parse across the 7/16/64-bit length boundaries. */
static const size_t round_lens[] = { 0, 1, 125, 126, 127, 65535, 65536,
    70000 };

START_TEST(test_roundtrip)
{
	size_t len = round_lens[_i];
	static const uint8_t key[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t *pl, *buf;
	struct kube_ws_frame f;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t i, sz, hdr;
	ssize_t n;
	int m;

	pl = malloc(len + 1);
	buf = malloc(len + KUBE_WS_MAX_HEADER);
	ck_assert_ptr_nonnull(pl);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++)
		pl[i] = (uint8_t)(i * 31 + 7);
	for (m = 0; m < 2; m++) {
		sz = kube_ws_frame_size(len, m);
		hdr = len <= 125 ? 2 : len <= 65535 ? 4 : 10;
		ck_assert_uint_eq(sz, hdr + (m ? 4 : 0) + len);
		/* one byte short of room */
		ck_assert_int_eq(kube_ws_frame_encode(buf, sz - 1, true,
		    KUBE_WS_OP_BINARY, pl, len, m ? key : NULL),
		    CILKIT_ETOOBIG);
		n = kube_ws_frame_encode(buf, sz, true, KUBE_WS_OP_BINARY, pl,
		    len, m ? key : NULL);
		ck_assert_int_eq(n, (ssize_t)sz);
		ck_assert_uint_eq(buf[1] & 0x7f,
		    len <= 125 ? len : len <= 65535 ? 126 : 127);
		if (m && len > 0)	/* really masked on the wire */
			ck_assert_uint_eq(buf[hdr + 4], pl[0] ^ key[0]);
		/* the wrong side refuses it */
		ck_assert_int_eq(kube_ws_frame_parse(buf, sz, !m, 1 << 20, &f,
		    eb, sizeof(eb)), CILKIT_EPROTO);
		ck_assert_ptr_nonnull(strstr(eb, "mask"));
		/* too big for the cap, known from the header alone */
		if (len > 0)
			ck_assert_int_eq(kube_ws_frame_parse(buf, hdr, m,
			    len - 1, &f, eb, sizeof(eb)), CILKIT_ETOOBIG);
		ck_assert_int_eq(kube_ws_frame_parse(buf, sz - 1, m, 1 << 20,
		    &f, eb, sizeof(eb)), 0);
		n = kube_ws_frame_parse(buf, sz, m, 1 << 20, &f, eb,
		    sizeof(eb));
		ck_assert_int_eq(n, (ssize_t)sz);
		ck_assert(f.fin);
		ck_assert_uint_eq(f.opcode, KUBE_WS_OP_BINARY);
		ck_assert_uint_eq(f.len, len);
		if (len > 0)
			ck_assert_mem_eq(f.payload, pl, len);
	}
	free(pl);
	free(buf);
}
END_TEST

/* Two frames back to back, then a fragmented message reassembled. */
START_TEST(test_stream)
{
	uint8_t buf[256], msg[16];
	struct kube_ws_frame f;
	char eb[CILKIT_ERRBUF_SIZE];
	size_t off = 0, mlen = 0, end;
	ssize_t n;
	int frames = 0;

	n = kube_ws_frame_encode(buf, sizeof(buf), false, KUBE_WS_OP_BINARY,
	    (const uint8_t *)"\x01He", 3, NULL);
	off += (size_t)n;
	n = kube_ws_frame_encode(buf + off, sizeof(buf) - off, true,
	    KUBE_WS_OP_PING, NULL, 0, NULL);
	off += (size_t)n;
	n = kube_ws_frame_encode(buf + off, sizeof(buf) - off, true,
	    KUBE_WS_OP_CONT, (const uint8_t *)"llo", 3, NULL);
	off += (size_t)n;
	end = off;
	off = 0;
	while (off < end) {
		n = kube_ws_frame_parse(buf + off, end - off, false, 100, &f,
		    eb, sizeof(eb));
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
		frames++;
		if (f.opcode == KUBE_WS_OP_PING)
			continue;
		memcpy(msg + mlen, f.payload, f.len);
		mlen += f.len;
		if (f.fin)
			break;
	}
	ck_assert_int_eq(frames, 3);
	ck_assert_uint_eq(mlen, 6);
	ck_assert_mem_eq(msg, "\x01Hello", 6);
}
END_TEST

struct bad_case {
	const char *name;
	uint8_t bytes[16];
	size_t n;
	bool masked;
	size_t max;
	int err;
	const char *errpart;
};

static const struct bad_case bad_cases[] = {
	{ "rsv1", { 0xc2, 0x00 }, 2, false, 100, CILKIT_EPROTO, "reserved" },
	{ "rsv3", { 0x92, 0x00 }, 2, false, 100, CILKIT_EPROTO, "reserved" },
	{ "op3", { 0x83, 0x00 }, 2, false, 100, CILKIT_EPROTO, "opcode 0x3" },
	{ "opB", { 0x8b, 0x00 }, 2, false, 100, CILKIT_EPROTO, "opcode 0xb" },
	{ "ping-frag", { 0x09, 0x00 }, 2, false, 100, CILKIT_EPROTO,
	  "fragmented" },
	{ "ping-126", { 0x89, 0x7e, 0x00, 0x7e }, 4, false, 1000,
	  CILKIT_EPROTO, "125" },
	{ "close-1", { 0x88, 0x01, 0x03 }, 3, false, 100, CILKIT_EPROTO,
	  "1-byte" },
	{ "unmasked-to-server", { 0x82, 0x01, 0x00 }, 3, true, 100,
	  CILKIT_EPROTO, "not masked" },
	{ "masked-to-client", { 0x82, 0x81, 1, 2, 3, 4, 0 }, 7, false, 100,
	  CILKIT_EPROTO, "masked" },
	{ "len64-topbit", { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 10,
	  false, 100, CILKIT_EPROTO, "top bit" },
	{ "len64-huge", { 0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0 }, 10, false,
	  1 << 20, CILKIT_ETOOBIG, "limit" },
	{ "len16-over", { 0x82, 0x7e, 0x01, 0x00 }, 4, false, 255,
	  CILKIT_ETOOBIG, "256 bytes" },
};

START_TEST(test_bad)
{
	const struct bad_case *tc = &bad_cases[_i];
	struct kube_ws_frame f;
	uint8_t buf[16];
	char eb[CILKIT_ERRBUF_SIZE] = "";
	ssize_t n;

	memcpy(buf, tc->bytes, tc->n);
	n = kube_ws_frame_parse(buf, tc->n, tc->masked, tc->max, &f, eb,
	    sizeof(eb));
	ck_assert_msg(n == tc->err, "%s: got %zd", tc->name, n);
	ck_assert_msg(strstr(eb, tc->errpart) != NULL, "%s: message '%s'",
	    tc->name, eb);
}
END_TEST

struct key_case {
	const char *key;
	const char *accept;
};

static const struct key_case key_cases[] = {
	/* RFC 6455 section 1.3 */
	{ "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
	/* RFC 6455 section 4.2.2 example request key is the same; this
	 * one checked with `printf %s KEY258EAFA5-... | sha1sum` */
	{ "x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=" },
};

START_TEST(test_accept_key)
{
	char out[29];

	kube_ws_accept_key(key_cases[_i].key, out);
	ck_assert_str_eq(out, key_cases[_i].accept);
}
END_TEST

static Suite *
ws_suite(void)
{
	Suite *s = suite_create("kube_ws_frame");
	TCase *tc = tcase_create("ws");

	tcase_add_loop_test(tc, test_sha1, 0,
	    sizeof(sha1_cases) / sizeof(sha1_cases[0]));
	tcase_add_test(tc, test_sha1_split);
	tcase_add_loop_test(tc, test_base64, 0,
	    sizeof(b64_cases) / sizeof(b64_cases[0]));
	tcase_add_test(tc, test_base64_caps);
	tcase_add_loop_test(tc, test_frame_examples, 0,
	    sizeof(frame_cases) / sizeof(frame_cases[0]));
	tcase_add_test(tc, test_close_parse);
	tcase_add_loop_test(tc, test_roundtrip, 0,
	    sizeof(round_lens) / sizeof(round_lens[0]));
	tcase_add_test(tc, test_stream);
	tcase_add_loop_test(tc, test_bad, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, test_accept_key, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ws_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
