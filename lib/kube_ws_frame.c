/*
 * kube_ws_frame.c - RFC 6455 frame parser and encoder.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cilkit.h"
#include "kube_base64.h"
#include "kube_sha1.h"
#include "kube_ws_frame.h"

static bool
opcode_known(uint8_t op)
{
	return op == KUBE_WS_OP_CONT || op == KUBE_WS_OP_TEXT ||
	    op == KUBE_WS_OP_BINARY || op == KUBE_WS_OP_CLOSE ||
	    op == KUBE_WS_OP_PING || op == KUBE_WS_OP_PONG;
}

ssize_t
kube_ws_frame_parse(uint8_t *buf, size_t len, bool expect_masked,
    size_t max_payload, struct kube_ws_frame *out, char *errbuf,
    size_t errlen)
{
	uint64_t plen;
	size_t hlen, i;
	uint8_t op, key[4];
	bool fin, masked;
	int j;

	if (len < 2)
		return 0;
	fin = (buf[0] & 0x80) != 0;
	op = buf[0] & 0x0F;
	masked = (buf[1] & 0x80) != 0;
	plen = buf[1] & 0x7F;
	if (buf[0] & 0x70)
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "websocket frame with reserved bits 0x%02x set "
		    "(no extension was negotiated)", buf[0] & 0x70);
	if (!opcode_known(op))
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "websocket frame with unknown opcode 0x%x", op);
	if (op >= KUBE_WS_OP_CLOSE) {
		if (!fin)
			return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "fragmented websocket control frame "
			    "(opcode 0x%x)", op);
		if (plen > KUBE_WS_MAX_CONTROL)
			return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "websocket control frame (opcode 0x%x) longer "
			    "than 125 bytes", op);
		if (op == KUBE_WS_OP_CLOSE && plen == 1)
			return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "websocket close frame with a 1-byte payload");
	}
	if (masked != expect_masked)
		return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
		    "websocket frame %s (the %s must %smask its frames)",
		    masked ? "masked" : "not masked",
		    expect_masked ? "client" : "server",
		    expect_masked ? "" : "not ");
	hlen = 2;
	if (plen == 126) {
		if (len < 4)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		hlen = 4;
	} else if (plen == 127) {
		if (len < 10)
			return 0;
		plen = 0;
		for (j = 0; j < 8; j++)
			plen = plen << 8 | buf[2 + j];
		if (plen >> 63)
			return cilkit_fail(errbuf, errlen, CILKIT_EPROTO,
			    "websocket frame length has the top bit set");
		hlen = 10;
	}
	if (plen > max_payload)
		return cilkit_fail(errbuf, errlen, CILKIT_ETOOBIG,
		    "websocket frame of %llu bytes over the %zu-byte limit",
		    (unsigned long long)plen, max_payload);
	if (masked) {
		if (len < hlen + 4)
			return 0;
		memcpy(key, buf + hlen, 4);
		hlen += 4;
	}
	if (len - hlen < plen)
		return 0;
	if (masked)
		for (i = 0; i < plen; i++)
			buf[hlen + i] ^= key[i & 3];
	out->fin = fin;
	out->opcode = op;
	out->payload = buf + hlen;
	out->len = (size_t)plen;
	return (ssize_t)(hlen + plen);
}

size_t
kube_ws_frame_size(size_t len, bool masked)
{
	size_t h = 2;

	if (len > 65535)
		h += 8;
	else if (len > 125)
		h += 2;
	if (masked)
		h += 4;
	return h + len;
}

ssize_t
kube_ws_frame_encode(uint8_t *out, size_t cap, bool fin, uint8_t opcode,
    const uint8_t *payload, size_t len, const uint8_t *mask)
{
	size_t h = 2, i, total;
	int j;

	if (len > SIZE_MAX - KUBE_WS_MAX_HEADER)
		return CILKIT_ETOOBIG;
	total = kube_ws_frame_size(len, mask != NULL);
	if (cap < total)
		return CILKIT_ETOOBIG;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
	out[1] = mask != NULL ? 0x80 : 0;
	if (len > 65535) {
		out[1] |= 127;
		for (j = 0; j < 8; j++)
			out[2 + j] = (uint8_t)((uint64_t)len >> (56 - 8 * j));
		h = 10;
	} else if (len > 125) {
		out[1] |= 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] |= (uint8_t)len;
	}
	if (mask != NULL) {
		memcpy(out + h, mask, 4);
		h += 4;
		for (i = 0; i < len; i++)
			out[h + i] = payload[i] ^ mask[i & 3];
	} else if (len > 0) {
		memmove(out + h, payload, len);
	}
	return (ssize_t)total;
}

void
kube_ws_accept_key(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	struct kube_sha1 c;
	uint8_t d[KUBE_SHA1_LEN];

	kube_sha1_init(&c);
	kube_sha1_update(&c, key, strlen(key));
	kube_sha1_update(&c, guid, sizeof(guid) - 1);
	kube_sha1_final(&c, d);
	(void)kube_base64_encode(d, sizeof(d), out, 29);
}

int
kube_ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
    const char **reason, size_t *reason_len)
{
	if (len == 1)
		return CILKIT_EPROTO;
	if (len == 0) {
		*code = 1005;
		*reason = "";
		*reason_len = 0;
		return 0;
	}
	*code = (uint16_t)(payload[0] << 8 | payload[1]);
	*reason = (const char *)payload + 2;
	*reason_len = len - 2;
	return 0;
}
