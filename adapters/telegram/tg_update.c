/*
 * tg_update.c — reading a Telegram update into struct xio_tg_update.
 *
 * Updates come from the network, so every field is checked for its type
 * before use; whatever is missing or odd leaves a field at its zero value or
 * makes the whole update "malformed", never a crash.  The leading command's
 * "@botname" is taken from the bot_command entity at offset 0 when there is
 * one (that is how Telegram marks commands), else from the text itself.
 */
#include "tg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *get(json_object *o, const char *k, json_type t)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

static int get_i64(json_object *o, const char *k, int64_t *out)
{
	json_object *v = get(o, k, json_type_int);

	if (!v)
		return XIO_ENOTFOUND;
	*out = json_object_get_int64(v);
	return 0;
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v = get(o, k, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static int get_bool(json_object *o, const char *k)
{
	json_object *v = get(o, k, json_type_boolean);

	return v ? json_object_get_boolean(v) : 0;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

/* Finds "@name" of a leading "/cmd@name"; returns a new string or NULL. */
static char *command_target(json_object *msg, const char *text, int *oom)
{
	json_object *ents = get(msg, "entities", json_type_array);
	size_t i, n, len = 0, at;
	int found = 0;

	if (!text || text[0] != '/')
		return NULL;
	n = ents ? json_object_array_length(ents) : 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ents, i);
		const char *type = get_str(e, "type");
		int64_t off = -1, l = 0;

		if (!type || strcmp(type, "bot_command") || get_i64(e, "offset", &off) || off != 0 ||
		    get_i64(e, "length", &l) || l <= 0)
			continue;
		/* offsets count UTF-16 units; a command is ASCII, so units = bytes */
		len = (size_t)l;
		found = 1;
		break;
	}
	if (!found)
		for (len = 0; text[len] && !isspace((unsigned char)text[len]); len++)
			;
	if (len > strlen(text))
		len = strlen(text);
	for (at = 1; at < len && text[at] != '@'; at++)
		;
	if (at >= len || at + 1 >= len)
		return NULL;
	{
		char *d = malloc(len - at);

		if (!d) {
			*oom = 1;
			return NULL;
		}
		memcpy(d, text + at + 1, len - at - 1);
		d[len - at - 1] = '\0';
		return d;
	}
}

static char *author_name(json_object *from, int64_t id, int *oom)
{
	const char *first = get_str(from, "first_name"), *last = get_str(from, "last_name");
	const char *user = get_str(from, "username");
	char *s;
	size_t n;

	if (first && *first) {
		n = strlen(first) + (last ? strlen(last) + 1 : 0) + 1;
		s = malloc(n);
		if (s)
			snprintf(s, n, "%s%s%s", first, last && *last ? " " : "",
				 last && *last ? last : "");
	} else if (user && *user) {
		n = strlen(user) + 2;
		s = malloc(n);
		if (s)
			snprintf(s, n, "@%s", user);
	} else {
		s = malloc(32);
		if (s)
			snprintf(s, 32, "user%lld", (long long)id);
	}
	if (!s)
		*oom = 1;
	return s;
}

int xio_tg_update_parse(json_object *u, struct xio_tg_update *out, struct xio_err *err)
{
	json_object *msg, *chat, *from, *reply;
	const char *type, *text;
	int oom = 0;

	memset(out, 0, sizeof(*out));
	if (!u || !json_object_is_type(u, json_type_object))
		return xio_err_set(err, XIO_EINVAL, "telegram update: not a JSON object");
	if (get_i64(u, "update_id", &out->update_id) || out->update_id < 0)
		return xio_err_set(err, XIO_EINVAL, "telegram update: no update_id");
	out->kind = XIO_TG_UPD_MESSAGE;
	msg = get(u, "message", json_type_object);
	if (!msg) {
		msg = get(u, "edited_message", json_type_object);
		out->kind = XIO_TG_UPD_EDITED;
	}
	if (!msg) {
		/* deleted messages, reactions, member changes, channel posts... */
		out->kind = XIO_TG_UPD_OTHER;
		return 0;
	}
	chat = get(msg, "chat", json_type_object);
	if (!chat || get_i64(chat, "id", &out->chat_id))
		return xio_err_set(err, XIO_EINVAL, "telegram update %lld: message without chat.id",
				   (long long)out->update_id);
	if (get_i64(msg, "message_id", &out->message_id) || out->message_id <= 0)
		return xio_err_set(err, XIO_EINVAL, "telegram update %lld: message without message_id",
				   (long long)out->update_id);
	type = get_str(chat, "type");
	snprintf(out->chat_type, sizeof(out->chat_type), "%s", type ? type : "");
	out->is_forum = get_bool(chat, "is_forum");
	get_i64(msg, "message_thread_id", &out->thread_id);
	if (out->thread_id < 0)
		out->thread_id = 0;
	out->is_topic_message = get_bool(msg, "is_topic_message");
	reply = get(msg, "reply_to_message", json_type_object);
	if (reply)
		get_i64(reply, "message_id", &out->reply_to);
	if (!get_i64(msg, "migrate_to_chat_id", &out->migrate_to) ||
	    !get_i64(msg, "migrate_from_chat_id", &out->migrate_from)) {
		out->kind = XIO_TG_UPD_MIGRATE;
		return 0;
	}
	from = get(msg, "from", json_type_object);
	if (from) {
		get_i64(from, "id", &out->from_id);
		out->from_is_bot = get_bool(from, "is_bot");
		out->lang = dup_or_null(get_str(from, "language_code"), &oom);
	}
	out->author = author_name(from, out->from_id, &oom);
	text = get_str(msg, "text");
	if (!text)
		text = get_str(msg, "caption");
	out->text = dup_or_null(text, &oom);
	out->command_bot = command_target(msg, text, &oom);
	if (oom)
		return xio_err_set(err, XIO_ENOMEM, "telegram update: out of memory");
	return 0;
}

void xio_tg_update_release(struct xio_tg_update *u)
{
	if (!u)
		return;
	free(u->author);
	free(u->text);
	free(u->lang);
	free(u->command_bot);
	memset(u, 0, sizeof(*u));
}
