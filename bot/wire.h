/*
 * wire.h — starting and stopping the optional adapters, one pair per
 * adapter (bot/wire_<name>.c), called from app.c.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "err.h"

struct xio_app;

/* Telegram: starts the adapter when chat.adapters names it (xio run only). */
int xio_wire_telegram_start(struct xio_app *app, struct xio_err *err);
/* Telegram: stops it; safe when it was never started. */
void xio_wire_telegram_stop(struct xio_app *app);

#endif
