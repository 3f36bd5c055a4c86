/*
 * wire.h — starting and stopping the optional adapters inside struct
 * xio_app (one pair per adapter, each in bot/wire_<name>.c).
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "err.h"

struct xio_app;

/* Slack: builds the adapter from slack.* and registers its chat port. */
int xio_wire_slack_start(struct xio_app *app, struct xio_err *err);
/* Slack: frees the adapter (before the HTTP server goes). */
void xio_wire_slack_stop(struct xio_app *app);

#endif
