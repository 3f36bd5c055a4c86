/*
 * sse.c — server-sent events, line by line (see sse.h for the rules).
 */
#include "sse.h"

#include <string.h>

#include "err.h"

#define SSE_DEFAULT_MAX (1u << 20)

void xio_sse_init(struct xio_sse *p, size_t max_event, xio_sse_event_cb cb, void *ud)
{
	memset(p, 0, sizeof(*p));
	if (!max_event)
		max_event = SSE_DEFAULT_MAX;
	xio_buf_init(&p->line, max_event);
	xio_buf_init(&p->data, max_event);
	p->cb = cb;
	p->ud = ud;
}

void xio_sse_release(struct xio_sse *p)
{
	xio_buf_release(&p->line);
	xio_buf_release(&p->data);
}

static int dispatch(struct xio_sse *p)
{
	int rc = 0;

	if (p->has_data) {
		/* the data buffer holds "line\n" per data line: drop the last \n */
		if (p->data.len && p->data.data[p->data.len - 1] == '\n')
			p->data.data[--p->data.len] = '\0';
		p->events++;
		rc = p->cb(p->ud, p->data.data ? p->data.data : "", p->data.len);
	}
	xio_buf_reset(&p->data);
	p->has_data = 0;
	return rc;
}

/* One complete line (without its terminator). */
static int process_line(struct xio_sse *p, const char *s, size_t n)
{
	const char *colon, *value;
	size_t flen, vlen;
	int rc;

	if (!p->started) {
		/* a UTF-8 BOM may open the stream; it is not part of the first field */
		p->started = 1;
		if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	if (n == 0)
		return dispatch(p);
	if (s[0] == ':')
		return 0; /* comment, e.g. ": keep-alive" */
	colon = memchr(s, ':', n);
	flen = colon ? (size_t)(colon - s) : n;
	value = colon ? colon + 1 : s + n;
	vlen = colon ? n - flen - 1 : 0;
	if (vlen && *value == ' ') {
		value++;
		vlen--;
	}
	if (flen == 4 && memcmp(s, "data", 4) == 0) {
		rc = xio_buf_append(&p->data, value, vlen);
		if (!rc)
			rc = xio_buf_append(&p->data, "\n", 1);
		if (rc)
			return rc;
		p->has_data = 1;
	}
	return 0;
}

int xio_sse_feed(struct xio_sse *p, const char *bytes, size_t len)
{
	size_t i = 0, start;
	int rc;

	while (i < len) {
		if (p->last_cr) {
			p->last_cr = 0;
			if (bytes[i] == '\n') {
				i++;
				continue;
			}
		}
		start = i;
		while (i < len && bytes[i] != '\n' && bytes[i] != '\r')
			i++;
		if (i > start) {
			rc = xio_buf_append(&p->line, bytes + start, i - start);
			if (rc)
				return rc;
		}
		if (i == len)
			break;
		p->last_cr = bytes[i] == '\r';
		i++;
		rc = process_line(p, p->line.data ? p->line.data : "", p->line.len);
		xio_buf_reset(&p->line);
		if (rc)
			return rc;
	}
	return 0;
}
