/*
 * wire.h — start/stop of the optional modules, one pair per module, called
 * from bot/app.c (each in its own block there).  A start returns 0 or a
 * negative code with err; a stop is safe after a failed or missing start.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "app.h"

int xio_wire_followup_start(struct xio_app *app, struct xio_err *err);
void xio_wire_followup_stop(struct xio_app *app);

/* Slack: builds the adapter from slack.* and registers its chat port. */
int xio_wire_slack_start(struct xio_app *app, struct xio_err *err);
/* Slack: frees the adapter (before the HTTP server goes). */
void xio_wire_slack_stop(struct xio_app *app);

#endif
