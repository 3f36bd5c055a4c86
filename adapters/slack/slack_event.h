/*
 * slack_event.h — what Slack sends, parsed; what XIO sends, formatted.
 *
 * Pure functions with no I/O, shared by the Socket Mode client and the
 * Events API route, and fuzzed (tests/fuzz/fuzz_slack_event.c): Socket Mode
 * envelopes, Events API callbacks and slash-command payloads become one
 * struct xio_slack_event; outgoing text is escaped for mrkdwn and split
 * below Slack's limits.  The request signature check lives in slack_sig.c
 * (it needs libcrypto).
 */
#ifndef XIO_SLACK_EVENT_H
#define XIO_SLACK_EVENT_H

#include <json-c/json.h>
#include <stddef.h>

#include "err.h"

/* A Socket Mode frame from Slack.  Strings point into root. */
struct xio_slack_envelope {
	json_object *root;        /* owned: put with xio_slack_envelope_release */
	const char *type;         /* "hello", "disconnect", "events_api", "slash_commands", ... */
	const char *envelope_id;  /* "" for hello and disconnect */
	const char *reason;       /* disconnect reason, else "" */
	json_object *payload;     /* borrowed from root; NULL if absent */
	int retry_attempt;
};

/*
 * Parses one Socket Mode text frame.  Returns 0 and *out, XIO_EINVAL with
 * err when the frame is not a JSON object with a string "type", or when an
 * envelope that must be acknowledged has no envelope_id.
 */
int xio_slack_envelope_parse(const char *data, size_t len, struct xio_slack_envelope *out,
			     struct xio_err *err);
void xio_slack_envelope_release(struct xio_slack_envelope *env);

enum xio_slack_kind {
	XIO_SLACK_IGNORE = 0,     /* nothing for XIO: another event type, an edit, a bot */
	XIO_SLACK_URL_VERIFICATION,
	XIO_SLACK_COMMAND,        /* a slash command */
	XIO_SLACK_MENTION,        /* app_mention */
	XIO_SLACK_MESSAGE,        /* a message a human wrote */
	XIO_SLACK_RATE_LIMITED    /* app_rate_limited: Slack dropped events */
};

/* An event, normalised.  Strings point into the parsed JSON and are never
 * NULL ("" when absent). */
struct xio_slack_event {
	enum xio_slack_kind kind;
	const char *why;          /* for IGNORE: a short reason for the debug log */
	const char *event_id;     /* Events API event_id ("" for commands) */
	const char *team;
	const char *channel;
	const char *user;
	const char *text;
	const char *ts;           /* the message's ts */
	const char *thread_ts;    /* "" at the top level */
	const char *command;      /* "/xio" */
	const char *trigger_id;   /* slash commands */
	const char *response_url; /* slash commands */
	const char *challenge;    /* url_verification */
};

/*
 * Normalises an Events API body (event_callback or url_verification), or,
 * with slash set, a slash-command payload (the JSON of a slash_commands
 * envelope, or the form fields as a JSON object).  root stays owned by the
 * caller and must outlive *out.  Returns 0 (kind may be IGNORE with a why),
 * or XIO_EINVAL with err when required fields are missing or mistyped.
 */
int xio_slack_event_parse(json_object *root, int slash, struct xio_slack_event *out,
			  struct xio_err *err);

/*
 * Parses an application/x-www-form-urlencoded body into a new JSON object
 * of strings (the first value wins for a repeated name).  Returns the object
 * (caller puts it), or NULL with XIO_EINVAL/XIO_ENOMEM in err for a body
 * that is not valid form data or not UTF-8.
 */
json_object *xio_slack_form_parse(const char *body, size_t len, struct xio_err *err);

/* Escapes &, < and > for mrkdwn.  Returns a new string (caller frees) or
 * NULL when out of memory. */
char *xio_slack_escape(const char *text);

/*
 * Splits text into parts of at most max bytes, cutting at a paragraph break,
 * else a line break, else a space, else a UTF-8 character boundary.  Returns
 * the number of parts (>= 1) with *parts a new array of new strings (free
 * with xio_slack_parts_free), or a negative code.
 */
int xio_slack_split(const char *text, size_t max, char ***parts);
void xio_slack_parts_free(char **parts, int n);

/*
 * Maps what a user typed after "/xio" or "@xio" to a line for the command
 * parser: "decide" -> "/decide", "help" or "" -> "/help", anything whose
 * first word is not a command -> "/consilium <text>" when as_question, else
 * the text unchanged.  Returns a new string (caller frees) or NULL.
 */
char *xio_slack_command_line(const char *typed, int as_question);

/*
 * Replaces every mention "<@U123>" or "<@U123|name>" of text by "@" + the
 * name lookup_cb gives (or the id when it gives NULL), strips mentions of
 * skip_user (the bot) entirely, and unescapes &lt; &gt; &amp;.  Returns a new
 * string (caller frees) or NULL.
 */
char *xio_slack_untag(const char *text, const char *skip_user,
		      const char *(*lookup_cb)(void *ud, const char *user), void *ud);

/* Collects up to max distinct user ids mentioned in text into ids[] (each a
 * new string).  Returns how many. */
size_t xio_slack_mentions(const char *text, char **ids, size_t max);

#endif
