/*
 * wire.h — start/stop of the optional modules, one pair per module, called
 * from bot/app.c (each in its own block there).  A start returns 0 or a
 * negative code with err; a stop is safe after a failed or missing start.
 */
#ifndef XIO_BOT_WIRE_H
#define XIO_BOT_WIRE_H

#include "app.h"
#include "notion/notion.h"

int xio_wire_followup_start(struct xio_app *app, struct xio_err *err);
void xio_wire_followup_stop(struct xio_app *app);

/* Slack: builds the adapter from slack.* and registers its chat port. */
int xio_wire_slack_start(struct xio_app *app, struct xio_err *err);
/* Slack: frees the adapter (before the HTTP server goes). */
void xio_wire_slack_stop(struct xio_app *app);
/* Notion export: registers the "export" and "task_status" outbox handlers
 * when notion.token is set. */
int xio_wire_notion_start(struct xio_app *app, struct xio_err *err);
void xio_wire_notion_stop(struct xio_app *app);
/* Fills o from cfg's notion.* keys (strings borrowed); caller frees *people. */
int xio_notion_opts_from_config(struct xio_notion_opts *o, const struct xio_config *cfg, const char ***people, struct xio_err *err);
/* ops: the HTTP API, event stream, audit and operations metrics. */
int xio_wire_ops_start(struct xio_app *app, struct xio_err *err);
void xio_wire_ops_stop(struct xio_app *app);
#include "err.h"

struct xio_app;

/* LLM: with llm.base_url set, AI experts join consiliums (bot/wire_llm.c). */
int xio_wire_llm_start(struct xio_app *app, struct xio_err *err);
void xio_wire_llm_stop(struct xio_app *app);
/* Telegram: starts the adapter when chat.adapters names it (xio run only). */
int xio_wire_telegram_start(struct xio_app *app, struct xio_err *err);
/* Telegram: stops it; safe when it was never started. */
void xio_wire_telegram_stop(struct xio_app *app);

#endif
