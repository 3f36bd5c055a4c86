/*
 * wire_telegram.c — the Telegram adapter from the configuration: tokens,
 * mode, pacing, and its place in the poster.
 */
#include "app.h"
#include "telegram/tg.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

static int telegram_ready_cb(void *ud, char *why, size_t whylen)
{
	struct xio_app *app = ud;

	if (!app->tg) {
		snprintf(why, whylen, "not started");
		return 0;
	}
	return xio_tg_ready(app->tg, why, whylen);
}

int xio_wire_telegram_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_config *cfg = app->cfg;
	struct xio_tg_opts o = { 0 };
	int rc;

	/* `xio console` runs the terminal only, whatever the file lists */
	if (app->exit_when_idle || !xio_config_list_has(cfg, "chat.adapters", "telegram"))
		return 0;
	o.api_url = xio_config_str(cfg, "telegram.api_url");
	o.token = xio_config_str(cfg, "telegram.bot_token");
	o.webhook = !strcmp(xio_config_str(cfg, "telegram.mode"), "webhook");
	o.webhook_url = xio_config_str(cfg, "telegram.webhook_url");
	o.webhook_secret = xio_config_str(cfg, "telegram.webhook_secret");
	o.persona_tokens = xio_config_list(cfg, "telegram.persona_tokens");
	o.chat_interval_ms = xio_config_int(cfg, "telegram.chat_interval_ms");
	o.group_per_minute = (int)xio_config_int(cfg, "telegram.group_per_minute");
	o.bot_per_second = (int)xio_config_int(cfg, "telegram.bot_per_second");
	o.language = xio_config_str(cfg, "consilium.language");
	o.i18n = &app->i18n;
	o.personas = &app->personas;
	o.http = app->http;
	o.metrics = app->metrics;
	rc = xio_tg_new(&app->tg, &app->loop, &app->runner, &app->store, app->outbox, &o, app->log, err);
	if (rc)
		return rc;
	rc = xio_poster_add(&app->poster, xio_tg_chat(app->tg));
	if (rc)
		return xio_err_set(err, rc, "telegram: too many chat adapters");
	if (app->http)
		xio_http_server_add_ready_probe(app->http, "telegram", telegram_ready_cb, app);
	return xio_tg_start(app->tg, err);
}

void xio_wire_telegram_stop(struct xio_app *app)
{
	xio_tg_free(app->tg);
	app->tg = NULL;
}
