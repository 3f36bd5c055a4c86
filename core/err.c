/*
 * err.c — the error code table and the error buffer.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *xio_strerror(int code)
{
	switch (code) {
	case XIO_OK: return "success";
	case XIO_ENOMEM: return "out of memory";
	case XIO_EINVAL: return "invalid input";
	case XIO_EIO: return "input/output error";
	case XIO_ENOTFOUND: return "not found";
	case XIO_ETIMEDOUT: return "timed out";
	case XIO_ETOOBIG: return "too large";
	case XIO_EPROTO: return "protocol error";
	case XIO_EBUSY: return "resource busy";
	case XIO_ESTATE: return "not allowed in the current state";
	case XIO_EAGAIN: return "temporary failure";
	case XIO_EAUTH: return "authentication failed";
	case XIO_EDUP: return "duplicate";
	case XIO_ECANCELED: return "canceled";
	default: return "unknown error";
	}
}

int xio_err_set(struct xio_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void xio_err_clear(struct xio_err *err)
{
	if (!err)
		return;
	err->code = XIO_OK;
	err->msg[0] = '\0';
}
