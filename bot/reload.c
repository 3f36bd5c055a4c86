/*
 * reload.c — SIGHUP: read the config again and apply what can change while
 * running.
 *
 * The file and the XIO_* environment are read as at the start.  A config
 * that does not load changes nothing: the error goes to the log, and the
 * audit log says a reload failed.  A config that loads is compared key by
 * key with the running one; the keys that can change live are applied at
 * once (the log level, the API tokens, the consilium settings the engine
 * reads at each step), the others are named as needing a restart (an
 * adapter's URL or token: its connections were built from them).  The audit
 * line names the keys, never a value: secrets are among them.
 *
 * The previous config stays allocated until the app is released: modules
 * borrowed strings from it (the engine's language, adapters' options).
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_events.h"

/* Keys applied without a restart, by apply_live. */
static const char *const live_keys[] = {
	"log.level",
	"http.api_token",
	"http.api_tokens",
	"consilium.language",
	"consilium.policy",
	"consilium.max_rounds",
	"consilium.time_limit_min",
	"consilium.human_timeout_sec",
	"consilium.require_approval",
	NULL,
};

static int is_live(const char *path)
{
	for (size_t i = 0; live_keys[i]; i++)
		if (!strcmp(live_keys[i], path))
			return 1;
	return 0;
}

/* Whether key k has the same value in a and b. */
static int same_value(const struct xio_config *a, const struct xio_config *b,
		      const struct xio_config_key *k)
{
	switch (k->type) {
	case XIO_CFG_INT:
		return xio_config_int(a, k->path) == xio_config_int(b, k->path);
	case XIO_CFG_BOOL:
		return xio_config_bool(a, k->path) == xio_config_bool(b, k->path);
	case XIO_CFG_DOUBLE:
		return xio_config_double(a, k->path) == xio_config_double(b, k->path);
	case XIO_CFG_STRLIST:
		return json_object_equal(xio_config_list(a, k->path), xio_config_list(b, k->path));
	case XIO_CFG_STRING:
	case XIO_CFG_ENUM:
	default:
		return !strcmp(xio_config_str(a, k->path), xio_config_str(b, k->path));
	}
}

/* Applies cfg's live keys.  Returns 0, or the code of a part that could
 * not be applied (err says which); what was applied before it stays. */
static int apply_live(struct xio_app *app, const struct xio_config *cfg, struct xio_err *err)
{
	enum xio_log_level level = XIO_LOG_INFO;
	int rc;

	if (app->api) {
		rc = xio_api_set_tokens(app->api, xio_config_str(cfg, "http.api_token"),
					xio_config_list(cfg, "http.api_tokens"), err);
		if (rc)
			return rc;
	}
	xio_log_level_parse(xio_config_str(cfg, "log.level"), &level);
	xio_log_set_level(app->log, level);
	xio_app_engine_settings(&app->eng, cfg);
	return 0;
}

static void audit(struct xio_app *app, json_object *detail)
{
	struct xio_err err;

	if (xio_api_audit(&app->store, 0, xio_clock_now(&xio_clock_system), "operator",
			  "config.reload", 0, detail, &err))
		xio_logf(app->log, XIO_LOG_ERROR, "reload", "audit: %s", err.msg);
}

/* Keeps old until the app is released (its strings may be borrowed). */
static int retire(struct xio_app *app, struct xio_config *old)
{
	struct xio_config **v = realloc(app->cfg_retired, (app->ncfg_retired + 1) * sizeof(*v));

	if (!v)
		return XIO_ENOMEM;
	app->cfg_retired = v;
	v[app->ncfg_retired++] = old;
	return 0;
}

int xio_app_reload(struct xio_app *app)
{
	const char *file = app->config_path;
	struct xio_config *next = NULL;
	const struct xio_config_key *keys;
	json_object *detail = json_object_new_object(), *changed = json_object_new_array(),
		    *applied = json_object_new_array(), *restart = json_object_new_array();
	struct xio_err err;
	size_t i, n;
	int rc;

	if (!detail || !changed || !applied || !restart) {
		rc = XIO_ENOMEM;
		xio_err_set(&err, rc, "out of memory");
		goto failed;
	}
	rc = xio_config_load(&next, file, &err);
	if (rc)
		goto failed;
	keys = xio_config_keys(&n);
	for (i = 0; i < n; i++) {
		if (same_value(app->cfg, next, &keys[i]))
			continue;
		json_object_array_add(changed, json_object_new_string(keys[i].path));
		json_object_array_add(is_live(keys[i].path) ? applied : restart,
				      json_object_new_string(keys[i].path));
	}
	/* new secrets are redacted before anything can print them */
	rc = xio_config_register_secrets(next, app->log);
	if (!rc)
		rc = retire(app, app->cfg);
	if (rc)
		xio_err_set(&err, rc, "out of memory");
	else if ((rc = apply_live(app, next, &err)))
		app->ncfg_retired--; /* the running config stays in use */
	if (rc)
		goto failed;
	app->cfg = next;
	next = NULL;
	json_object_object_add(detail, "ok", json_object_new_boolean(1));
	json_object_object_add(detail, "file", json_object_new_string(file ? file : "(none)"));
	json_object_object_add(detail, "changed", json_object_get(changed));
	json_object_object_add(detail, "applied", json_object_get(applied));
	json_object_object_add(detail, "restart_needed", json_object_get(restart));
	xio_logf(app->log, json_object_array_length(restart) ? XIO_LOG_WARN : XIO_LOG_INFO, "reload",
		 "config %s read again: %zu key(s) changed, %zu applied; a restart is needed for: %s",
		 file ? file : "(environment)", json_object_array_length(changed),
		 json_object_array_length(applied),
		 json_object_array_length(restart)
			 ? json_object_to_json_string_ext(restart, JSON_C_TO_STRING_PLAIN)
			 : "none");
	audit(app, detail);
	goto out;
failed:
	/* the message goes to the log, whose redactor takes secrets out; the
	 * audit line only says that it failed */
	xio_logf(app->log, XIO_LOG_ERROR, "reload", "config not reloaded, the running one stays: %s",
		 err.msg);
	if (detail) {
		json_object_object_add(detail, "ok", json_object_new_boolean(0));
		json_object_object_add(detail, "file", json_object_new_string(file ? file : "(none)"));
		json_object_object_add(detail, "error_code", json_object_new_string(xio_strerror(rc)));
		audit(app, detail);
	}
out:
	xio_config_free(next);
	json_object_put(changed);
	json_object_put(applied);
	json_object_put(restart);
	json_object_put(detail);
	return rc;
}
