/*
 * kube_ws_frame.h - RFC 6455 WebSocket framing (section 5) and the
 * opening-handshake accept key (section 4.2.2).
 *
 * Used by the pods/exec client (lib/kube_exec.c, client side: sends
 * masked frames, expects unmasked ones) and by the lab's fake API
 * server (server side: the reverse).  No extensions are negotiated
 * (Kubernetes sends no Sec-WebSocket-Extensions), so the RSV bits must
 * be zero.  The parser is stateless: assembling fragmented messages and
 * checking that a continuation follows a started message is the caller's
 * job, since only the caller knows the message state.
 */
#ifndef CILKIT_KUBE_WS_FRAME_H
#define CILKIT_KUBE_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kube_ws_frame {
	bool fin;		/* final fragment of its message */
	uint8_t opcode;		/* KUBE_WS_OP_* */
	const uint8_t *payload;	/* points into the parsed buffer */
	size_t len;		/* payload length */
};

#define KUBE_WS_OP_CONT		0x0
#define KUBE_WS_OP_TEXT		0x1
#define KUBE_WS_OP_BINARY	0x2
#define KUBE_WS_OP_CLOSE	0x8
#define KUBE_WS_OP_PING		0x9
#define KUBE_WS_OP_PONG		0xA

/* Largest header: 2 bytes, 8 bytes of extended length, 4 of mask key. */
#define KUBE_WS_MAX_HEADER	14
/* Control frames carry at most 125 payload bytes (RFC 6455 5.5). */
#define KUBE_WS_MAX_CONTROL	125

/* Close status codes used here (RFC 6455 7.4.1). */
#define KUBE_WS_CLOSE_NORMAL	1000
#define KUBE_WS_CLOSE_PROTOCOL	1002
#define KUBE_WS_CLOSE_TOOBIG	1009

/*
 * Parse one frame at buf[0..len).  Returns bytes consumed (> 0) with
 * *out filled (payload points into buf, unmasked in place), 0 when more
 * bytes are needed, or a negative enum cilkit_err with errbuf filled:
 * CILKIT_EPROTO for an unknown opcode, reserved bits set, a control
 * frame over 125 bytes or fragmented, a 1-byte close payload, a 64-bit
 * length with the top bit set, or mask presence not as expected
 * (expect_masked is true on the server side); CILKIT_ETOOBIG for a
 * payload over max_payload.  Header errors are reported as soon as the
 * header is complete, before the payload has arrived.
 */
ssize_t kube_ws_frame_parse(uint8_t *buf, size_t len, bool expect_masked,
    size_t max_payload, struct kube_ws_frame *out, char *errbuf,
    size_t errlen);

/* Size of the encoded frame for a payload of len bytes. */
size_t kube_ws_frame_size(size_t len, bool masked);

/*
 * Encode header and payload into out[0..cap).  mask != NULL: a masked
 * (client side) frame with that 4-byte key.  payload may be NULL when
 * len is 0.  Returns bytes written or CILKIT_ETOOBIG when cap is too
 * small.
 */
ssize_t kube_ws_frame_encode(uint8_t *out, size_t cap, bool fin,
    uint8_t opcode, const uint8_t *payload, size_t len, const uint8_t *mask);

/*
 * Sec-WebSocket-Accept value for a Sec-WebSocket-Key:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
 * out: 29 bytes including the NUL.
 */
void kube_ws_accept_key(const char *key, char out[29]);

/*
 * Close frame payload: *code is the status (1005 "no status" when the
 * payload is empty), reason/reason_len the UTF-8 text after it (not
 * NUL-terminated).  Returns 0, or CILKIT_EPROTO for a 1-byte payload.
 */
int kube_ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
    const char **reason, size_t *reason_len);

#endif /* CILKIT_KUBE_WS_FRAME_H */
