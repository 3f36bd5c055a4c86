/*
 * wire.h — starting and stopping the optional modules of the service.
 *
 * Each module that xio_app_init may start has a pair here: start reads its
 * configuration from app->cfg and registers it with the core; stop, called
 * from the shutdown path before the outbox and the HTTP server go, ends it.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "err.h"

struct xio_app;

/* LLM: with llm.base_url set, AI experts join consiliums (bot/wire_llm.c). */
int xio_wire_llm_start(struct xio_app *app, struct xio_err *err);
void xio_wire_llm_stop(struct xio_app *app);

#endif
