/*
 * err.h — XIO's error codes and the error buffer that carries a human message.
 *
 * Every fallible function returns 0 or a negative XIO_E* code.  The code says
 * what kind of failure it was (so callers can branch on it); the message, when
 * the caller passed a struct xio_err, says which input was at fault (a file and
 * line, a key, a URL).  The two are kept apart as in libuv and curl.
 */
#ifndef XIO_ERR_H
#define XIO_ERR_H

#include <stddef.h>

enum {
	XIO_OK = 0,
	XIO_ENOMEM = -1,    /* an allocation failed */
	XIO_EINVAL = -2,    /* bad input: malformed, wrong type, out of range */
	XIO_EIO = -3,       /* the OS or a library reported an I/O failure */
	XIO_ENOTFOUND = -4, /* no such file, key, row or route */
	XIO_ETIMEDOUT = -5, /* a deadline passed */
	XIO_ETOOBIG = -6,   /* a size cap was exceeded */
	XIO_EPROTO = -7,    /* the peer broke its protocol */
	XIO_EBUSY = -8,     /* resource in use (a port, a lock) */
	XIO_ESTATE = -9,    /* the operation makes no sense in the current state */
	XIO_EAGAIN = -10,   /* temporary failure; retrying later may succeed */
	XIO_EAUTH = -11,    /* credentials refused */
	XIO_EDUP = -12,     /* already done (a duplicate inbound event, a replay) */
	XIO_ECANCELED = -13 /* the operation was cancelled (shutdown) */
};

/* A message describing the last failure.  Fixed size so that filling it can
 * never itself fail. */
struct xio_err {
	int code;
	char msg[512];
};

/* Returns a static, never-NULL description of an XIO_E* code. */
const char *xio_strerror(int code);

/*
 * Records code and a printf-style message in err (which may be NULL, then only
 * the code is returned).  Returns code, so that `return xio_err_set(...)` is the
 * usual way to fail.
 */
int xio_err_set(struct xio_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears err to "no error". err may be NULL. */
void xio_err_clear(struct xio_err *err);

#define XIO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
