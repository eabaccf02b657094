/*
 * fuzz_kube_ws_frame.c - libFuzzer target for the WebSocket frame
 * parser: the first byte picks the side (masked or not) and the size
 * cap; the rest is parsed as a stream of frames, as the exec client and
 * the lab server read them.  Every accepted frame is re-encoded and
 * parsed again, and must come back identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cilkit.h"
#include "kube_ws_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[4] = { 1, 2, 3, 4 };
	struct kube_ws_frame f, g;
	char eb[CILKIT_ERRBUF_SIZE];
	uint8_t *buf, *enc;
	size_t off = 0, max;
	ssize_t n, m;
	bool masked;

	if (size < 1)
		return 0;
	masked = data[0] & 1;
	max = (data[0] & 2) ? 16 : 1 << 20;
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	while (off < size - 1) {
		n = kube_ws_frame_parse(buf + off, size - 1 - off, masked, max,
		    &f, eb, sizeof(eb));
		if (n <= 0)
			break;
		if ((size_t)n > size - 1 - off || f.len > max)
			abort();
		enc = malloc(kube_ws_frame_size(f.len, masked));
		if (enc == NULL)
			break;
		m = kube_ws_frame_encode(enc, kube_ws_frame_size(f.len, masked),
		    f.fin, f.opcode, f.payload, f.len, masked ? key : NULL);
		if (m <= 0 || kube_ws_frame_parse(enc, (size_t)m, masked, max,
		    &g, eb, sizeof(eb)) != m || g.len != f.len ||
		    g.fin != f.fin || g.opcode != f.opcode ||
		    (f.len > 0 && memcmp(g.payload, f.payload, f.len) != 0))
			abort();
		free(enc);
		off += (size_t)n;
	}
	free(buf);
	return 0;
}
