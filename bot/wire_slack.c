/*
 * wire_slack.c — the Slack adapter in the running service: built from the
 * slack.* keys when chat.adapters names "slack", its chat port registered
 * with the poster, its readiness reported on /readyz.
 */
#include "app.h"
#include "slack/slack.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int slack_ready_cb(void *ud, char *why, size_t whylen)
{
	struct xio_app *app = ud;

	if (app->slack && xio_slack_ready(app->slack))
		return 1;
	snprintf(why, whylen, "slack: no Socket Mode connection yet");
	return 0;
}

/* 1 when chat.adapters names slack (and this is a service, not the
 * console command, which sets exit_when_idle). */
static int wanted(struct xio_app *app)
{
	return !app->exit_when_idle && xio_config_list_has(app->cfg, "chat.adapters", "slack");
}

int xio_wire_slack_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_slack_opts o = { 0 };
	const char *pace = getenv("XIOTEST_SLACK_PACE_MS");
	int rc;

	if (!wanted(app))
		return 0;
	o.mode = xio_config_str(app->cfg, "slack.mode");
	o.app_token = xio_config_str(app->cfg, "slack.app_token");
	o.bot_token = xio_config_str(app->cfg, "slack.bot_token");
	o.signing_secret = xio_config_str(app->cfg, "slack.signing_secret");
	o.api_url = xio_config_str(app->cfg, "slack.api_url");
	o.lang = xio_config_str(app->cfg, "consilium.language");
	o.max_body_bytes = 256 * 1024;
	o.metrics = app->metrics;
	/* Tests only: Slack's pacing (about one post a second per channel) made
	 * faster so a whole consilium fits in a test's time. */
	if (pace && *pace)
		o.post_interval_ms = strtoll(pace, NULL, 10);
	rc = xio_slack_new(&app->slack, &app->loop, &app->runner, &app->store, &app->i18n,
			   &app->personas, app->http, &o, app->log, err);
	if (rc)
		return rc;
	rc = xio_poster_add(&app->poster, xio_slack_chat(app->slack));
	if (rc)
		return xio_err_set(err, rc, "slack: too many chat adapters");
	if (app->http)
		xio_http_server_add_ready_probe(app->http, "slack", slack_ready_cb, app);
	return xio_slack_start(app->slack, err);
}

void xio_wire_slack_stop(struct xio_app *app)
{
	xio_slack_free(app->slack);
	app->slack = NULL;
}
