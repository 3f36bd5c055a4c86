/*
 * wire_ops.c — starts the HTTP API and live event stream (core/api.h) on the
 * app's HTTP server, with the tokens and CORS origin of the config.
 */
#include "app.h"
#include "wire.h"

#include <string.h>

int xio_wire_ops_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_api_opts o = { 0 };
	json_object *named = xio_config_list(app->cfg, "http.api_tokens");
	size_t i, n = named ? json_object_array_length(named) : 0;

	if (!app->http)
		return 0; /* http.enabled is false: nothing to serve on */
	/* Only the token half of name=token is a secret, and a whole entry
	 * is not what would show up in a log line. */
	for (i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(named, i));
		const char *eq = e ? strchr(e, '=') : NULL;

		if (eq)
			xio_log_add_secret(app->log, eq + 1);
	}
	o.loop = &app->loop.uv;
	o.store = &app->store;
	o.runner = &app->runner;
	o.outbox = app->outbox;
	o.http = app->http;
	o.metrics = app->metrics;
	o.log = app->log;
	o.clock = &xio_clock_system;
	o.token = xio_config_str(app->cfg, "http.api_token");
	o.named_tokens = named;
	o.cors_origin = xio_config_str(app->cfg, "http.cors_origin");
	return xio_api_new(&app->api, &o, err);
}

void xio_wire_ops_stop(struct xio_app *app)
{
	xio_api_free(app->api);
	app->api = NULL;
}
