/*
 * buf.h — a growable byte buffer with a hard size cap (after curl's dynbuf).
 *
 * Every body that arrives from the network is collected in one of these: the
 * cap turns "the peer sent 2 GB" into a clean XIO_ETOOBIG instead of an OOM.
 * The data is always NUL-terminated so text can be used in place.
 */
#ifndef XIO_BUF_H
#define XIO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct xio_buf {
	char *data;  /* NULL until the first append; NUL-terminated after */
	size_t len;  /* bytes used, not counting the NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* hard cap on len; 0 means SIZE_MAX/2 */
};

/* Prepares an empty buffer that may grow to max bytes (0 = unlimited). */
void xio_buf_init(struct xio_buf *b, size_t max);

/* Frees the data and leaves b empty and reusable with the same cap. */
void xio_buf_release(struct xio_buf *b);

/* Empties b without freeing its memory. */
void xio_buf_reset(struct xio_buf *b);

/* Appends n bytes. Returns 0, XIO_ETOOBIG past the cap (b unchanged), or
 * XIO_ENOMEM. */
int xio_buf_append(struct xio_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string; same returns as xio_buf_append. */
int xio_buf_puts(struct xio_buf *b, const char *s);

/* Appends printf-formatted text; same returns as xio_buf_append. */
int xio_buf_printf(struct xio_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xio_buf_vprintf(struct xio_buf *b, const char *fmt, va_list ap);

/* Takes the data out of b: the caller owns and frees the returned string
 * (never NULL unless out of memory); b is left empty. */
char *xio_buf_detach(struct xio_buf *b);

#endif
