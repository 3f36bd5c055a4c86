/*
 * slack_event.c — parsing Slack's envelopes, events and slash commands, and
 * shaping outgoing text.  No I/O here: everything is a function of its input,
 * so the fuzzer can reach all of it.
 */
#include "slack_event.h"
#include "buf.h"
#include "commands.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (1024 * 1024)

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static json_object *jobj(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

int xio_slack_envelope_parse(const char *data, size_t len, struct xio_slack_envelope *out,
			     struct xio_err *err)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	json_object *root = NULL, *v;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, data, (int)(len > 0x7fffffff ? 0x7fffffff : len));
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		rc = xio_err_set(err, XIO_EINVAL, "slack socket frame: not a single JSON value");
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) || !*jstr(root, "type")) {
		rc = xio_err_set(err, XIO_EINVAL, "slack socket frame: no \"type\"");
		goto out;
	}
	out->type = jstr(root, "type");
	out->envelope_id = jstr(root, "envelope_id");
	out->reason = jstr(root, "reason");
	out->payload = jobj(root, "payload");
	if (json_object_object_get_ex(root, "retry_attempt", &v))
		out->retry_attempt = json_object_get_int(v);
	if (strcmp(out->type, "hello") && strcmp(out->type, "disconnect") && !*out->envelope_id) {
		rc = xio_err_set(err, XIO_EINVAL, "slack socket frame: %s envelope without envelope_id",
				 out->type);
		goto out;
	}
	out->root = root;
	root = NULL;
out:
	json_object_put(root);
	json_tokener_free(tok);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

void xio_slack_envelope_release(struct xio_slack_envelope *env)
{
	json_object_put(env->root);
	memset(env, 0, sizeof(*env));
}

static void event_blank(struct xio_slack_event *e)
{
	memset(e, 0, sizeof(*e));
	e->why = e->event_id = e->team = e->channel = e->user = e->text = e->ts = "";
	e->thread_ts = e->command = e->trigger_id = e->response_url = e->challenge = "";
}

static int parse_slash(json_object *root, struct xio_slack_event *e, struct xio_err *err)
{
	e->kind = XIO_SLACK_COMMAND;
	e->team = jstr(root, "team_id");
	e->channel = jstr(root, "channel_id");
	e->user = jstr(root, "user_id");
	e->text = jstr(root, "text");
	e->command = jstr(root, "command");
	e->trigger_id = jstr(root, "trigger_id");
	e->response_url = jstr(root, "response_url");
	if (!*e->channel || !*e->user || !*e->command || !*e->trigger_id)
		return xio_err_set(err, XIO_EINVAL,
				   "slack slash command: channel_id, user_id, command or trigger_id missing");
	return 0;
}

static int parse_message(json_object *ev, struct xio_slack_event *e)
{
	const char *subtype = jstr(ev, "subtype");
	json_object *v;

	e->channel = jstr(ev, "channel");
	e->user = jstr(ev, "user");
	e->text = jstr(ev, "text");
	e->ts = jstr(ev, "ts");
	e->thread_ts = jstr(ev, "thread_ts");
	if (json_object_object_get_ex(ev, "bot_id", &v) || !strcmp(subtype, "bot_message")) {
		e->why = "a bot's message";
		return 0;
	}
	if (!strcmp(subtype, "message_changed") || !strcmp(subtype, "message_deleted")) {
		/* The transcript keeps what was said when it was said: an edit or
		 * a deletion after the fact does not rewrite the council's record. */
		e->why = *subtype == 'm' && subtype[8] == 'c' ? "an edit" : "a deletion";
		return 0;
	}
	if (*subtype && strcmp(subtype, "thread_broadcast") && strcmp(subtype, "file_share")) {
		e->why = "a message subtype XIO does not read";
		return 0;
	}
	if (!*e->channel || !*e->user || !*e->ts) {
		e->why = "a message without channel, user or ts";
		return 0;
	}
	e->kind = XIO_SLACK_MESSAGE;
	return 0;
}

int xio_slack_event_parse(json_object *root, int slash, struct xio_slack_event *out,
			  struct xio_err *err)
{
	json_object *ev;
	const char *type, *etype;

	event_blank(out);
	if (!root || !json_object_is_type(root, json_type_object))
		return xio_err_set(err, XIO_EINVAL, "slack event: not a JSON object");
	if (slash)
		return parse_slash(root, out, err);
	type = jstr(root, "type");
	if (!strcmp(type, "url_verification")) {
		out->kind = XIO_SLACK_URL_VERIFICATION;
		out->challenge = jstr(root, "challenge");
		if (!*out->challenge)
			return xio_err_set(err, XIO_EINVAL, "slack url_verification without challenge");
		return 0;
	}
	if (!strcmp(type, "app_rate_limited")) {
		out->kind = XIO_SLACK_RATE_LIMITED;
		out->team = jstr(root, "team_id");
		return 0;
	}
	if (strcmp(type, "event_callback")) {
		out->why = "not an event_callback";
		return 0;
	}
	out->event_id = jstr(root, "event_id");
	out->team = jstr(root, "team_id");
	ev = jobj(root, "event");
	if (!*out->event_id || !ev)
		return xio_err_set(err, XIO_EINVAL, "slack event_callback without event_id or event");
	etype = jstr(ev, "type");
	if (!strcmp(etype, "app_mention")) {
		json_object *v;

		out->channel = jstr(ev, "channel");
		out->user = jstr(ev, "user");
		out->text = jstr(ev, "text");
		out->ts = jstr(ev, "ts");
		out->thread_ts = jstr(ev, "thread_ts");
		if (json_object_object_get_ex(ev, "bot_id", &v)) {
			out->why = "a bot's mention";
			return 0;
		}
		if (!*out->channel || !*out->user || !*out->ts)
			return xio_err_set(err, XIO_EINVAL, "slack app_mention without channel, user or ts");
		out->kind = XIO_SLACK_MENTION;
		return 0;
	}
	if (!strcmp(etype, "message"))
		return parse_message(ev, out);
	out->why = "an event type XIO does not read";
	return 0;
}

json_object *xio_slack_form_parse(const char *body, size_t len, struct xio_err *err)
{
	json_object *o = json_object_new_object();
	size_t i = 0;

	if (!o) {
		xio_err_set(err, XIO_ENOMEM, "out of memory");
		return NULL;
	}
	while (i < len) {
		size_t end = i, eq;
		char *part = NULL, *name = NULL, *value = NULL;
		int nlen = 0, vlen = 0;

		while (end < len && body[end] != '&')
			end++;
		part = strndup(body + i, end - i);
		if (!part)
			goto nomem;
		if (memchr(body + i, '\0', end - i)) {
			free(part);
			goto bad;
		}
		/* '+' is a space in form encoding; %2B stays a plus */
		for (char *p = part; *p; p++)
			if (*p == '+')
				*p = ' ';
		eq = strcspn(part, "=");
		part[eq] = '\0';
		name = curl_easy_unescape(NULL, part, 0, &nlen);
		value = curl_easy_unescape(NULL, end - i > eq ? part + eq + 1 : "", 0, &vlen);
		free(part);
		if (!name || !value) {
			curl_free(name);
			curl_free(value);
			goto nomem;
		}
		if ((size_t)nlen != strlen(name) || (size_t)vlen != strlen(value)) {
			curl_free(name);
			curl_free(value);
			goto bad; /* an encoded NUL */
		}
		if (*name && !json_object_object_get_ex(o, name, NULL)) {
			json_object *s = json_object_new_string(value);

			if (!s || json_object_object_add(o, name, s)) {
				json_object_put(s);
				curl_free(name);
				curl_free(value);
				goto nomem;
			}
		}
		curl_free(name);
		curl_free(value);
		i = end + 1;
	}
	return o;
bad:
	json_object_put(o);
	xio_err_set(err, XIO_EINVAL, "slack form body: NUL byte in a field");
	return NULL;
nomem:
	json_object_put(o);
	xio_err_set(err, XIO_ENOMEM, "out of memory");
	return NULL;
}

char *xio_slack_escape(const char *text)
{
	struct xio_buf b;
	const char *p;
	int rc = 0;

	xio_buf_init(&b, 0);
	for (p = text; *p && !rc; p++) {
		if (*p == '&')
			rc = xio_buf_puts(&b, "&amp;");
		else if (*p == '<')
			rc = xio_buf_puts(&b, "&lt;");
		else if (*p == '>')
			rc = xio_buf_puts(&b, "&gt;");
		else
			rc = xio_buf_append(&b, p, 1);
	}
	if (!rc)
		rc = xio_buf_append(&b, "", 0);
	if (rc) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}

/* Where to cut text[0..len) so the first part is at most max bytes. */
static size_t cut_at(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len <= max)
		return len;
	for (i = max; i > max / 2; i--)
		if (s[i - 1] == '\n' && i >= 2 && s[i - 2] == '\n')
			return i;
	for (i = max; i > max / 2; i--)
		if (s[i - 1] == '\n')
			return i;
	for (i = max; i > max / 2; i--)
		if (s[i - 1] == ' ')
			return i;
	/* no break: cut before a UTF-8 continuation byte never */
	for (i = max; i > 1 && ((unsigned char)s[i] & 0xc0) == 0x80; i--)
		;
	return i ? i : max;
}

int xio_slack_split(const char *text, size_t max, char ***parts)
{
	size_t len = strlen(text), off = 0, cap = 4;
	char **v = calloc(cap, sizeof(*v));
	int n = 0;

	*parts = NULL;
	if (!v || max < 8)
		goto fail;
	do {
		size_t cut = cut_at(text + off, len - off, max), end = cut;

		/* trailing break goes with the cut, not into the next part */
		while (end > 0 && text[off + end - 1] == '\n' && off + cut < len)
			end--;
		if ((size_t)n == cap) {
			char **nv = realloc(v, 2 * cap * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
			cap *= 2;
		}
		v[n] = strndup(text + off, end ? end : cut);
		if (!v[n])
			goto fail;
		n++;
		off += cut;
		while (off < len && text[off] == '\n')
			off++;
	} while (off < len);
	*parts = v;
	return n;
fail:
	xio_slack_parts_free(v, n);
	return XIO_ENOMEM;
}

void xio_slack_parts_free(char **parts, int n)
{
	int i;

	if (!parts)
		return;
	for (i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
}

char *xio_slack_command_line(const char *typed, int as_question)
{
	const struct xio_command *cmd;
	struct xio_buf b;
	char name[40], *line;
	const char *args;
	int unknown = 0, rc;

	while (*typed == ' ' || *typed == '\t' || *typed == '\n')
		typed++;
	xio_buf_init(&b, TEXT_MAX);
	if (!*typed) {
		rc = xio_buf_puts(&b, "/help");
		goto out;
	}
	if (*typed == '/') {
		rc = xio_buf_puts(&b, typed);
		goto out;
	}
	rc = xio_buf_printf(&b, "/%s", typed);
	if (rc)
		goto out;
	cmd = xio_command_parse(b.data, name, sizeof(name), &args, &unknown);
	if (cmd && cmd != &xio_command_consilium)
		goto out;
	if (cmd == &xio_command_consilium || !as_question) {
		if (!cmd) {
			xio_buf_reset(&b);
			rc = xio_buf_puts(&b, typed);
		}
		goto out;
	}
	xio_buf_reset(&b);
	rc = xio_buf_printf(&b, "/consilium %s", typed);
out:
	if (!rc)
		rc = xio_buf_append(&b, "", 0);
	if (rc) {
		xio_buf_release(&b);
		return NULL;
	}
	line = xio_buf_detach(&b);
	return line;
}

/* Length of a mention "<@U…>" or "<@U…|name>" at s, or 0; *id and *idlen
 * receive the user id. */
static size_t mention_at(const char *s, const char **id, size_t *idlen)
{
	size_t i = 2;

	if (s[0] != '<' || s[1] != '@')
		return 0;
	while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))
		i++;
	if (i == 2)
		return 0;
	*id = s + 2;
	*idlen = i - 2;
	if (s[i] == '|') {
		while (s[i] && s[i] != '>' && s[i] != '<')
			i++;
	}
	return s[i] == '>' ? i + 1 : 0;
}

char *xio_slack_untag(const char *text, const char *skip_user,
		      const char *(*lookup_cb)(void *ud, const char *user), void *ud)
{
	struct xio_buf b;
	const char *p = text;
	int rc = 0;

	xio_buf_init(&b, TEXT_MAX);
	while (*p && !rc) {
		const char *id;
		size_t idlen, n = mention_at(p, &id, &idlen);

		if (n) {
			char uid[32];
			const char *name = NULL;

			snprintf(uid, sizeof(uid), "%.*s", (int)(idlen < 31 ? idlen : 31), id);
			if (skip_user && *skip_user && !strcmp(uid, skip_user)) {
				p += n;
				while (*p == ' ')
					p++;
				continue;
			}
			if (lookup_cb)
				name = lookup_cb(ud, uid);
			rc = xio_buf_printf(&b, "@%s", name && *name ? name : uid);
			p += n;
		} else if (!strncmp(p, "&lt;", 4)) {
			rc = xio_buf_puts(&b, "<");
			p += 4;
		} else if (!strncmp(p, "&gt;", 4)) {
			rc = xio_buf_puts(&b, ">");
			p += 4;
		} else if (!strncmp(p, "&amp;", 5)) {
			rc = xio_buf_puts(&b, "&");
			p += 5;
		} else {
			rc = xio_buf_append(&b, p, 1);
			p++;
		}
	}
	if (!rc)
		rc = xio_buf_append(&b, "", 0);
	if (rc) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}

size_t xio_slack_mentions(const char *text, char **ids, size_t max)
{
	const char *p;
	size_t n = 0, k;

	for (p = text; *p && n < max; p++) {
		const char *id;
		size_t idlen, len = mention_at(p, &id, &idlen);
		int seen = 0;

		if (!len)
			continue;
		for (k = 0; k < n; k++)
			if (strlen(ids[k]) == idlen && !strncmp(ids[k], id, idlen))
				seen = 1;
		if (!seen && (ids[n] = strndup(id, idlen)) != NULL)
			n++;
		p += len - 1;
	}
	return n;
}
