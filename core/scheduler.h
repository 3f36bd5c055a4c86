/*
 * scheduler.h — follow-up: reminders of approved tasks, the overdue digest
 * and the review ping, stored in SQLite and sent exactly once.
 *
 * When a decision is approved the engine emits REMIND; the runner writes it
 * as an outbox row of kind "remind".  The scheduler's handler of that kind
 * turns the consilium's tasks into reminder rows — one remind_before before
 * each due time, one at it, a review ping review_after after the approval —
 * and marks the row done, all in one transaction (reminder keys are unique,
 * so doing it twice writes nothing twice).
 *
 * Only the next reminder lives in memory: one uv timer armed for the
 * earliest pending row, re-armed from the store after every change (its own,
 * and every runner commit — /done, /snooze and /remind write reminder rows
 * through the runner).  Firing is one transaction per batch: the reminders
 * are marked sent and the post rows that carry them are inserted, so a
 * reminder is posted once and a crash loses none.  Everything due at the
 * same instant in one thread — typically after downtime — goes out as one
 * message.  In quiet hours nothing is sent; what comes due then goes out
 * when they end.  Times come from an injectable clock (clock.h), so tests
 * run weeks in milliseconds.
 *
 * Time zone: one zone for all chats (consilium.timezone) for now; per-chat
 * zones will come from the platform adapters.  A due date without a time of
 * day means 09:00 local time.
 */
#ifndef XIO_SCHEDULER_H
#define XIO_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "dates.h"
#include "err.h"
#include "log.h"
#include "outbox.h"
#include "runner.h"

/* The local hour a date-only due date means. */
#define XIO_SCHED_DEFAULT_HOUR 9

struct xio_sched_opts {
	int64_t remind_before_ms;  /* before each due time; 0 = only at it */
	int64_t review_after_ms;   /* after approval; 0 = no review ping */
	int digest_hour;           /* local hour of the overdue digest (0-23) */
	const char *quiet_hours;   /* "22:00-08:00", or NULL/"" for none */
	const char *timezone;      /* IANA name or offset; NULL/"" = UTC */
	int64_t late_after_ms;     /* later than this = "missed while offline"
				    * (0 = 15 minutes) */
};

struct xio_sched;

/*
 * Creates the scheduler.  The timer lives on loop when loop is non-NULL
 * (tests pass NULL and call xio_sched_tick themselves).  Registers itself as
 * the runner's commit hook.  Returns 0, or XIO_EINVAL naming a bad zone or
 * quiet_hours, XIO_ENOMEM.  The caller registers xio_sched_handler() with the
 * outbox and frees with xio_sched_free.
 */
int xio_sched_new(struct xio_sched **out, uv_loop_t *loop, struct xio_runner *runner,
		  const struct xio_sched_opts *o, struct xio_log *log, struct xio_err *err);

/* Stops the timer and frees (after the loop closes the timer when there is
 * one: run the loop once more).  NULL is ignored. */
void xio_sched_free(struct xio_sched *s);

/* The outbox handler of "remind" rows (borrowed; lives as long as s). */
const struct xio_outbox_handler *xio_sched_handler(struct xio_sched *s);

/* The zone the scheduler works in (borrowed; lives as long as s). */
const struct xio_tz *xio_sched_tz(const struct xio_sched *s);

/*
 * Creates the reminders of consilium_id's approved tasks (approved at
 * approved_at; 0 = now) and, when done_outbox_id is non-zero, marks that
 * outbox row done — one transaction.  Idempotent.  Returns 0 or a negative
 * code with err (nothing written).
 */
int xio_sched_schedule(struct xio_sched *s, int64_t consilium_id, int64_t approved_at,
		       int64_t done_outbox_id, struct xio_err *err);

/* Sends every reminder that is due (unless in quiet hours) and re-arms the
 * timer.  The timer calls it; public for tests and start-up catch-up. */
void xio_sched_tick(struct xio_sched *s);

/* Re-reads the next due time from the store and arms the timer. */
void xio_sched_rearm(struct xio_sched *s);

/* When the timer is armed for (ms since the epoch), 0 when idle. */
int64_t xio_sched_armed_at(const struct xio_sched *s);

struct xio_sched_stats {
	uint64_t fired;     /* reminders marked sent */
	uint64_t messages;  /* post rows written */
	uint64_t skipped;   /* reminders of finished tasks, empty digests */
	int64_t max_late_ms;/* worst lateness of a fired reminder */
};
void xio_sched_stats(const struct xio_sched *s, struct xio_sched_stats *st);

/* Sets a callback run after each batch is committed (tests, benchmarks). */
void xio_sched_on_fire(struct xio_sched *s, void (*cb)(void *ud, int64_t due_at, int64_t now),
		       void *ud);

/* ---- pure helpers (no store, no clock) ---------------------------------- */

/*
 * Reads a follow-up time at the start of text: a duration "2d", "3h", "1w",
 * "30m", "in 2 days", "через 3 часа", or a due expression the date parser
 * knows ("until Monday", "до понедельника", "tomorrow 15:00", "1 March"),
 * relative to now_ms in tz (NULL = UTC).  A date without a time means
 * XIO_SCHED_DEFAULT_HOUR local.  Returns 1 and *at_ms when text starts with
 * one (leading spaces allowed), 0 otherwise.  Never reads past the NUL.
 */
int xio_sched_parse_when(const char *text, int64_t now_ms, const struct xio_tz *tz,
			 int64_t *at_ms);

/*
 * Converts a task's due ("YYYY-MM-DD" = 09:00 local in tz, or RFC 3339 with
 * its own offset) to ms.  Returns 0, or XIO_EINVAL when due is malformed.
 */
int xio_sched_due_ms(const char *due, const struct xio_tz *tz, int64_t *out);

/* Parses "HH:MM-HH:MM" into minutes of the day; "" = none (both -1).
 * Returns 0 or XIO_EINVAL with err quoting spec. */
int xio_sched_quiet_parse(const char *spec, int *start_min, int *end_min, struct xio_err *err);

/* at_ms when it is outside the quiet window [start, end) of local time in
 * tz, else the instant the window ends.  start < 0 = no quiet hours. */
int64_t xio_sched_quiet_end(const struct xio_tz *tz, int start_min, int end_min, int64_t at_ms);

/* Writes at_ms as local "YYYY-MM-DD HH:MM" in tz into buf. */
void xio_sched_format_local(const struct xio_tz *tz, int64_t at_ms, char *buf, size_t n);

#endif
