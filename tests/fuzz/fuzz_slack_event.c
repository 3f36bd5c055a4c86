/*
 * fuzz_slack_event.c — bytes as a Socket Mode frame (envelope, then its
 * payload as an event), as an Events API body, and as a slash-command form;
 * the text of whatever parses goes through untagging, command mapping,
 * escaping and splitting.  The first byte picks the route.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/slack_event.h"

static const char *name_cb(void *ud, const char *id)
{
	(void)ud;
	return id[0] == 'U' && id[1] == 'A' ? "Alice" : NULL;
}

static void text_paths(const char *text)
{
	char *u = xio_slack_untag(text, "UBOT", name_cb, NULL), *line, *esc, **parts = NULL, *ids[4];
	size_t n, i;
	int np;

	if (!u)
		return;
	line = xio_slack_command_line(u, 1);
	esc = xio_slack_escape(u);
	if (esc) {
		np = xio_slack_split(esc, 64, &parts);
		if (np > 0)
			xio_slack_parts_free(parts, np);
	}
	n = xio_slack_mentions(text, ids, 4);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(esc);
	free(line);
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xio_slack_envelope env;
	struct xio_slack_event ev;
	struct xio_err err;
	json_object *o;
	const char *p = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (xio_slack_envelope_parse(p, n, &env, &err) == 0) {
			if (env.payload &&
			    xio_slack_event_parse(env.payload, !strcmp(env.type, "slash_commands"), &ev, &err) == 0)
				text_paths(ev.text);
			xio_slack_envelope_release(&env);
		}
		break;
	case 1: {
		char *s = malloc(n + 1);

		if (!s)
			return 0;
		memcpy(s, p, n);
		s[n] = '\0';
		o = json_tokener_parse(s);
		if (o && xio_slack_event_parse(o, 0, &ev, &err) == 0)
			text_paths(ev.text);
		json_object_put(o);
		text_paths(s);
		free(s);
		break;
	}
	default:
		o = xio_slack_form_parse(p, n, &err);
		if (o && xio_slack_event_parse(o, 1, &ev, &err) == 0)
			text_paths(ev.text);
		json_object_put(o);
		break;
	}
	return 0;
}
