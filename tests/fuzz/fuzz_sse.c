/*
 * fuzz_sse.c — the SSE parser and the chunk reader on arbitrary bytes.
 *
 * The first byte picks how the input is cut into pieces (as a network would
 * deliver it); every dispatched event goes through xio_llm_acc_chunk, as in
 * the client.  The same bytes fed at once and piecewise must dispatch the
 * same events.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llm/llm_proto.h"
#include "llm/sse.h"

struct sink {
	struct xio_llm_acc acc;
	unsigned long events;
	uint64_t hash;
};

static int event_cb(void *ud, const char *data, size_t len)
{
	struct sink *s = ud;
	struct xio_err err;
	size_t i;

	s->events++;
	for (i = 0; i < len; i++)
		s->hash = (s->hash ^ (unsigned char)data[i]) * 1099511628211ull;
	s->hash = (s->hash ^ 0xff) * 1099511628211ull;
	if (data[len] != '\0')
		__builtin_trap();
	xio_llm_acc_chunk(&s->acc, data, len, &err);
	return 0;
}

static int run(const uint8_t *d, size_t n, size_t step, struct sink *s)
{
	struct xio_sse p;
	size_t i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	xio_llm_acc_init(&s->acc, 4096);
	xio_sse_init(&p, 4096, event_cb, s);
	for (i = 0; i < n && !rc; i += step)
		rc = xio_sse_feed(&p, (const char *)d + i, i + step <= n ? step : n - i);
	xio_sse_release(&p);
	xio_llm_acc_release(&s->acc);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink a, b;
	size_t step;
	int ra, rb;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 16) + 1;
	ra = run(data + 1, size - 1, size, &a);
	rb = run(data + 1, size - 1, step, &b);
	if (ra == 0 && rb == 0 && (a.events != b.events || a.hash != b.hash))
		__builtin_trap(); /* cutting the stream changed what it says */
	return 0;
}
