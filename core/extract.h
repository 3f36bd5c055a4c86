/*
 * extract.h — the rule-based extractor: decisions, alternatives, risks and
 * action items (tasks) found in a consilium transcript without an LLM.
 *
 * The Scribe uses it when no model is configured, and `xio extract` exposes
 * it to scripts and to quality evaluation.  It reads English and Russian;
 * a task gets an owner (an @mention, a participant's name, or the author for
 * "I'll"/"я сделаю"), a due date (see dates.h), a priority and a confidence.
 * Later messages refine earlier tasks: a handoff changes the owner, a moved
 * deadline the due date, a cancellation or refusal removes the task, so each
 * task appears once with its final owner and due.  Work reported as done,
 * cancelled, rejected or merely hypothetical is not a task.
 *
 * Pure computation over json-c: no I/O (time zones are read through dates.h
 * from the TZif database, once per run).
 */
#ifndef XIO_EXTRACT_H
#define XIO_EXTRACT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* One message of the transcript; all strings are borrowed. */
struct xio_extract_msg {
	const char *author; /* participant name as written; NULL = unknown */
	const char *text;   /* message body, any bytes, NUL-terminated */
	int64_t time_ms;    /* when it was written; dates are relative to it */
	const char *id;     /* platform message id, or NULL: then the index is used */
};

struct xio_extract_opts {
	const char *lang; /* "en", "ru", or NULL: both lexicons on every message */
	const char *tz;   /* IANA zone or offset (see xio_tz_new); NULL = UTC */
	int64_t now_ms;   /* used for messages whose time_ms is 0 */
	const char *const *participants; /* extra names (besides authors) */
	size_t nparticipants;
};

/*
 * Extracts from msgs[0..n).  Returns a new object (caller puts it):
 *   {"decisions":    [{"text","author","confidence"}],
 *    "alternatives": [{"title","pros":[],"cons":[]}],
 *    "risks":        [{"description","impact","probability","mitigation"}],
 *    "tasks":        [{"title","owner","due","priority","confidence","source"}]}
 * owner and due are null when unknown; due is "YYYY-MM-DD" or a full ISO time
 * with offset; priority is "high", "medium" or "low"; confidence is in (0,1];
 * source is the message id (or its index as a string).  Returns NULL with err
 * set on an unknown time zone (XIO_ENOTFOUND), a bad lang (XIO_EINVAL) or out
 * of memory (XIO_ENOMEM).
 */
json_object *xio_extract_run(const struct xio_extract_msg *msgs, size_t n,
			     const struct xio_extract_opts *opts,
			     struct xio_err *err);

/*
 * 1 when word (len bytes, without its colon) opening a line "word: text" is a
 * marker the extractor reads — "Decision", "Action item", "Risk", "Note",
 * "Plan", "Итог", "Решили", "Задача", any label of xio_extract_lex_label
 * (any case) — rather than the
 * name of whoever speaks; 0 otherwise.
 */
int xio_extract_is_marker(const char *word, size_t len);

/*
 * The decision that stands among decisions (the "decisions" array of
 * xio_extract_run, in the order said): a later decision supersedes an
 * earlier one ("OK, we changed our mind: we will go with RabbitMQ"), but a
 * weak one (confidence below 0.8: "go with", a bare "agreed") does not
 * supersede an explicit "we decided".  Returns its index, or -1 when there
 * is none (decisions NULL or empty).
 */
int xio_extract_final_decision(json_object *decisions);

/* A transcript parsed from text; owns its strings. */
struct xio_extract_transcript {
	struct xio_extract_msg *msgs;
	size_t n;
	char *storage; /* the copy of the text the messages point into */
};

/*
 * Parses lines "Name: text" into messages (each stamped time_ms).  A line
 * that is not "Name: text" (no colon, or a "name" that is too long or looks
 * like a time or URL) continues the previous message; text before the first
 * named line gets a NULL author.  "\r\n" line ends, a leading time stamp
 * ("[10:02] ", "10:02 ", "10:02:07 ") and a bullet ("- ", "* ", "• ") before
 * the name are accepted.  Fills *out (release with
 * xio_extract_transcript_release); returns 0, or XIO_ENOMEM with err set.
 */
int xio_extract_parse_transcript(const char *text, size_t len, int64_t time_ms,
				 struct xio_extract_transcript *out,
				 struct xio_err *err);

/* Frees what xio_extract_parse_transcript allocated; t may be empty. */
void xio_extract_transcript_release(struct xio_extract_transcript *t);

#endif
