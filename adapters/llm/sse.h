/*
 * sse.h — an incremental parser of server-sent events (text/event-stream).
 *
 * OpenAI-compatible servers stream a completion as SSE: "data: {json}" lines,
 * a blank line ending each event, "data: [DONE]" at the end.  Bytes arrive in
 * arbitrary pieces (a line, an event, half a UTF-8 sequence, a lone CR), so
 * the parser keeps the partial line and the event's data between calls and
 * follows the WHATWG rules: lines end in CRLF, LF or CR; a line starting with
 * ':' is a comment; "field: value" loses one leading space of the value;
 * several data lines join with "\n"; a blank line dispatches the event (if
 * it has data); fields other than data (event, id, retry) are ignored; an
 * event not ended by a blank line when the stream stops is dropped.  The
 * line and the event are capped, so a hostile stream cannot grow memory
 * without bound.
 */
#ifndef XIO_LLM_SSE_H
#define XIO_LLM_SSE_H

#include <stddef.h>

#include "buf.h"

/* Receives one event's data (NUL-terminated, len bytes, valid during the
 * call).  A nonzero return stops the parser: xio_sse_feed returns it. */
typedef int (*xio_sse_event_cb)(void *ud, const char *data, size_t len);

struct xio_sse {
	struct xio_buf line;   /* the current, unterminated line */
	struct xio_buf data;   /* the current event's data lines */
	int has_data;          /* a data field was seen in this event */
	int last_cr;           /* the previous byte ended a line with CR */
	int started;           /* past a possible leading BOM */
	xio_sse_event_cb cb;
	void *ud;
	unsigned long events;  /* dispatched so far */
};

/* Prepares p; max_event caps a line and an event's data (0 = 1 MiB). */
void xio_sse_init(struct xio_sse *p, size_t max_event, xio_sse_event_cb cb, void *ud);

/* Frees the buffers. */
void xio_sse_release(struct xio_sse *p);

/*
 * Parses len more bytes, dispatching every event they complete.  Returns 0;
 * XIO_ETOOBIG when a line or an event outgrows the cap (the parser is then
 * unusable); or the callback's nonzero return.
 */
int xio_sse_feed(struct xio_sse *p, const char *bytes, size_t len);

#endif
