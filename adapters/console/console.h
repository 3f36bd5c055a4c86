/*
 * console.h — the console chat adapter: a consilium in a terminal.
 *
 * Reads lines from a file descriptor (a terminal, a pipe or a file) and
 * writes the bot's messages to another.  A line is a message from the local
 * user; "Name: text" speaks as the human participant Name, so a piped script
 * can play a whole team; a line starting with "/" is a command.
 *
 * Lines are fed one at a time, and the next only when the caller says the
 * bot has finished reacting (xio_console_next), so a piped script behaves
 * like people who wait for the bot before answering.
 *
 * Delivery is exactly-once: each bot message is appended, with its outbox
 * key, to a journal file (one write per message) before it is printed, and
 * after a crash a message whose outcome is unknown is looked up in the
 * journal before it is printed again.
 */
#ifndef XIO_CONSOLE_H
#define XIO_CONSOLE_H

#include <uv.h>

#include "chat.h"
#include "log.h"
#include "runner.h"

struct xio_console;

struct xio_console_opts {
	const char *user;        /* the local user's name */
	const char *session;     /* makes message ids unique per run: "s<ms>" */
	const char *journal;     /* delivery journal path; NULL = none */
	const char *lang;        /* idle-hint language: "auto", "en", "ru" */
	int in_fd, out_fd;
	/* Called when no line is in flight and none is queued (input may have
	 * ended): the application decides whether the bot is done. */
	void (*idle_cb)(void *ud);
	void *idle_ud;
};

/*
 * Creates the adapter on loop, feeding runner.  Returns 0, or an error naming
 * the journal file if it cannot be opened.  Free with xio_console_free.
 */
int xio_console_new(struct xio_console **out, uv_loop_t *loop, struct xio_runner *runner,
		    const struct xio_console_opts *o, struct xio_log *log, struct xio_err *err);

/* Starts reading input. */
int xio_console_start(struct xio_console *c, struct xio_err *err);

/* Feeds the next queued line if one is waiting; called when the bot is idle. */
void xio_console_next(struct xio_console *c);

/* 1 once input ended and every line was fed. */
int xio_console_drained(const struct xio_console *c);

/* 1 when the adapter is waiting for the bot to finish with the last line. */
int xio_console_busy(const struct xio_console *c);

/* Stops reading (shutdown); lines not yet fed are dropped — their ids were
 * never claimed, so re-running the same script feeds them again. */
void xio_console_stop(struct xio_console *c);

/* Closes handles and frees; the loop must run afterwards to finish closing. */
void xio_console_free(struct xio_console *c);

/*
 * Splits one input line as the console reads it.  Trims line in place; when
 * it starts "Name: text" with a plausible name (a letter first, at most three
 * words and 40 bytes, no marker such as "Decision" or "Action item": see
 * xio_extract_is_marker), copies Name into author, otherwise copies user
 * and the whole line is the text.
 * Returns 1 and points *text into line at what was said, or 0 (and *text
 * NULL) when nothing is left to say.  author is always NUL-terminated when
 * author_size > 0 (truncated to fit).
 */
int xio_console_parse_line(char *line, const char *user, char *author, size_t author_size,
			   const char **text);

/* The chat port of this adapter. */
struct xio_chat xio_console_chat(struct xio_console *c);

#endif
