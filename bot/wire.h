/*
 * wire.h — start and stop functions of the optional modules, one pair per
 * module (bot/wire_<name>.c), called from xio_app_init and stop_cb.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "config.h"
#include "err.h"
#include "notion/notion.h"

struct xio_app;

/* Notion export: registers the "export" outbox handler when notion.token is set. */
int xio_wire_notion_start(struct xio_app *app, struct xio_err *err);
void xio_wire_notion_stop(struct xio_app *app);
/* Fills o from cfg's notion.* keys (strings borrowed); caller frees *people. */
int xio_notion_opts_from_config(struct xio_notion_opts *o, const struct xio_config *cfg, const char ***people, struct xio_err *err);

#endif
