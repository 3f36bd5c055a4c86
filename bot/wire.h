/*
 * wire.h — how optional modules join the app: one start and one stop per
 * module, called from bot/app.c.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "err.h"

struct xio_app;

/* ops: the HTTP API, event stream, audit and operations metrics. */
int xio_wire_ops_start(struct xio_app *app, struct xio_err *err);
void xio_wire_ops_stop(struct xio_app *app);

#endif
