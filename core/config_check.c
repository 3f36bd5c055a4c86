/*
 * config_check.c — the checks a key's type cannot make: the shape of list
 * entries (name=token), the time zone and quiet hours, and keys that another
 * key makes required (an adapter listed in chat.adapters needs its tokens).
 *
 * They run at every load, so `xio check-config`, `xio run` and a reload
 * refuse the same files, each problem as FILE:LINE: key: message, instead of
 * an adapter failing at start-up (or not at all) with no line to look at.
 * The adapters keep their own checks: they are also built from code.
 */
#include "config.h"
#include "dates.h"
#include "scheduler.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct check {
	const struct xio_config *cfg;
	xio_config_report_fn report;
	void *ud;
	int nomem;
};

static void bad(struct check *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct check *c, const char *path, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->report(c->ud, path, msg);
}

static int empty(const struct xio_config *cfg, const char *path)
{
	const char *s = xio_config_str(cfg, path);

	return !s || !*s;
}

/* "<bot id>:<secret>", as @BotFather hands them out. */
static int tg_token_ok(const char *t)
{
	size_t digits = strspn(t, "0123456789");

	return digits > 0 && digits < 20 && t[digits] == ':' && t[digits + 1];
}

/* Each entry of a "name=value" list: a name of allowed characters and a
 * value, both non-empty. */
static void check_pairs(struct check *c, const char *path, const char *name_chars,
			const char *shape)
{
	json_object *a = xio_config_list(c->cfg, path);
	size_t i, n = a ? json_object_array_length(a) : 0;

	for (i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(a, i));
		const char *eq = strchr(e, '=');

		if (!eq || eq == e || !eq[1] || eq - e > 64)
			bad(c, path, "entry %zu is not %s", i + 1, shape);
		else if (name_chars && strspn(e, name_chars) < (size_t)(eq - e))
			bad(c, path, "entry %zu: the name before '=' may hold only letters, digits, "
				"'.', '_' and '-'", i + 1);
	}
}

static void check_adapters(struct check *c)
{
	static const char *const known[] = { "console", "slack", "telegram", NULL };
	json_object *a = xio_config_list(c->cfg, "chat.adapters");
	size_t i, n = a ? json_object_array_length(a) : 0;
	const char *const *k;

	for (i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(a, i));

		for (k = known; *k && strcmp(*k, name); k++)
			;
		if (!*k)
			bad(c, "chat.adapters", "unknown adapter \"%s\" (known: console, slack, "
				"telegram)", name);
	}
}

static void check_telegram(struct check *c)
{
	const char *token = xio_config_str(c->cfg, "telegram.bot_token");
	const char *secret = xio_config_str(c->cfg, "telegram.webhook_secret");
	json_object *a = xio_config_list(c->cfg, "telegram.persona_tokens");
	size_t i, n = a ? json_object_array_length(a) : 0;

	if (!xio_config_list_has(c->cfg, "chat.adapters", "telegram"))
		return;
	if (!token || !*token)
		bad(c, "telegram.bot_token", "required when chat.adapters lists telegram (the "
			"token from @BotFather, or XIO_TELEGRAM_BOT_TOKEN)");
	else if (!tg_token_ok(token))
		bad(c, "telegram.bot_token", "does not look like <bot id>:<secret>, the shape "
			"@BotFather gives");
	if (!strcmp(xio_config_str(c->cfg, "telegram.mode"), "webhook")) {
		if (empty(c->cfg, "telegram.webhook_url"))
			bad(c, "telegram.webhook_url", "required when telegram.mode is webhook "
				"(the public HTTPS URL of POST /telegram/webhook)");
		if (!secret || !*secret)
			bad(c, "telegram.webhook_secret", "required when telegram.mode is webhook");
		if (!xio_config_bool(c->cfg, "http.enabled"))
			bad(c, "http.enabled", "telegram.mode webhook needs the HTTP server");
	}
	if (secret && *secret &&
	    (strlen(secret) > 256 ||
	     strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
		     strlen(secret)))
		bad(c, "telegram.webhook_secret", "1-256 characters of A-Z a-z 0-9 _ - only "
			"(Telegram's rule for secret_token)");
	for (i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(a, i));
		const char *eq = strchr(e, '=');

		if (!eq || eq == e)
			bad(c, "telegram.persona_tokens", "entry %zu is not persona_id=token", i + 1);
		else if (!tg_token_ok(eq + 1))
			bad(c, "telegram.persona_tokens", "entry %zu (%.*s): the token does not look "
				"like <bot id>:<secret>", i + 1, (int)(eq - e), e);
	}
}

static void check_slack(struct check *c)
{
	const char *mode = xio_config_str(c->cfg, "slack.mode");

	if (!xio_config_list_has(c->cfg, "chat.adapters", "slack"))
		return;
	if (empty(c->cfg, "slack.bot_token"))
		bad(c, "slack.bot_token", "required when chat.adapters lists slack (xoxb-..., or "
			"XIO_SLACK_BOT_TOKEN)");
	if (!strcmp(mode, "socket") && empty(c->cfg, "slack.app_token"))
		bad(c, "slack.app_token", "required when slack.mode is socket (xapp-..., or "
			"XIO_SLACK_APP_TOKEN)");
	if (!strcmp(mode, "events")) {
		if (empty(c->cfg, "slack.signing_secret"))
			bad(c, "slack.signing_secret", "required when slack.mode is events");
		if (!xio_config_bool(c->cfg, "http.enabled"))
			bad(c, "http.enabled", "slack.mode events needs the HTTP server");
	}
}

static void check_times(struct check *c)
{
	const char *zone = xio_config_str(c->cfg, "consilium.timezone");
	struct xio_tz *tz;
	struct xio_err err;
	int a, b;

	const char *quiet = xio_config_str(c->cfg, "followup.quiet_hours");

	if (zone && *zone) {
		tz = xio_tz_new(zone, &err);
		if (!tz && err.code == XIO_ENOMEM)
			c->nomem = 1;
		else if (!tz)
			bad(c, "consilium.timezone", "%s (an IANA name such as Europe/Moscow, UTC, "
				"or an offset such as +03:00)", err.msg);
		xio_tz_free(tz);
	}
	if (xio_sched_quiet_parse(quiet, &a, &b, &err))
		bad(c, "followup.quiet_hours", "\"%s\": expected HH:MM-HH:MM, e.g. 22:00-08:00",
		    quiet);
}

int xio_config_check(const struct xio_config *cfg, xio_config_report_fn report, void *ud)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789._-";
	struct check c = { cfg, report, ud, 0 };

	check_adapters(&c);
	check_telegram(&c);
	check_slack(&c);
	check_pairs(&c, "http.api_tokens", name_chars,
		    "name=token (a name of 1-64 characters, a non-empty token)");
	check_pairs(&c, "notion.people", NULL, "Owner name=notion-user-id");
	check_times(&c);
	return c.nomem ? XIO_ENOMEM : 0;
}
