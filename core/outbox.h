/*
 * outbox.h — the dispatcher that performs outbound effects exactly once.
 *
 * The engine's step writes each effect as an outbox row with a unique key in
 * the same transaction as the new state.  The dispatcher, on the loop, takes
 * the rows in order — one at a time per consilium, so a thread's messages are
 * never reordered, and a row waiting for a retry holds back the rows after it
 * — marks a row in flight, hands it to the handler registered for its kind,
 * and marks it done, or schedules a retry with exponential backoff and
 * jitter (honouring a Retry-After the handler reports), or gives up after
 * max_attempts.  A row found in flight at start-up had an unknown outcome
 * (the process died): its handler is asked with unknown_outcome set to check
 * before doing it again.
 */
#ifndef XIO_OUTBOX_H
#define XIO_OUTBOX_H

#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

struct xio_outbox;

/* A row being performed. The handler finishes it with xio_outbox_done. */
struct xio_outbox_job {
	struct xio_outbox *ob;
	struct xio_outbox_row row;  /* owned by the job */
	int unknown_outcome;        /* it may already have happened; a handler
				     * clears it once it knows it has not, else
				     * a retry stays unknown and checks again */
};

struct xio_outbox_handler {
	const char *kind;
	/* Starts performing job->row.  Must end with xio_outbox_done(job, ...)
	 * exactly once, now or later. */
	void (*perform)(void *ud, struct xio_outbox_job *job);
	void *ud;
};

struct xio_outbox_opts {
	int max_attempts;
	int64_t backoff_base_ms;
	int64_t backoff_max_ms;
	unsigned (*rand_cb)(void *ud); /* jitter source; NULL = rand_r */
	void *rand_ud;
	/* xio_outbox_effects_total{kind,outcome}: each outcome of an effect
	 * (performed, retried, failed) by handler kind; borrowed, may be NULL */
	struct xio_metrics *metrics;
};

/*
 * Creates a dispatcher on loop for store.  Returns 0 or XIO_ENOMEM.  Free
 * with xio_outbox_free (jobs still in flight are abandoned and will be
 * resumed, as unknown outcomes, by the next process).  A handler may still
 * call xio_outbox_done on such a job after the free: the row is then left in
 * flight (the store is not touched) and the memory is released once the last
 * job is finished and the loop has closed the timer.
 */
int xio_outbox_new(struct xio_outbox **out, uv_loop_t *loop, struct xio_store *store,
		   const struct xio_clock *clock, struct xio_log *log,
		   const struct xio_outbox_opts *opts);
void xio_outbox_free(struct xio_outbox *ob);

/* Registers the handler of a kind (the struct is borrowed: keep it alive).
 * Rows of a kind without a handler are marked done as skipped, with a log
 * line (e.g. "export" when no tracker is configured). */
int xio_outbox_register(struct xio_outbox *ob, const struct xio_outbox_handler *h);

/* 1 when a handler of kind is registered (ob may be NULL: 0), so that a
 * command can say an effect is not configured rather than queue a row the
 * outbox would skip. */
int xio_outbox_handles(const struct xio_outbox *ob, const char *kind);

/*
 * Queues a small durable value (the store's kv) to be written in the same
 * transaction as the outcomes reported after it — a handler records what it
 * learnt from performing a row (a message id) atomically with the row being
 * done, without a commit of its own.  Strings are copied.  Returns 0,
 * XIO_ENOMEM (nothing queued: write it yourself) or XIO_ESTATE after
 * xio_outbox_free.
 */
int xio_outbox_defer_kv(struct xio_outbox *ob, const char *key, const char *value);

/*
 * The ordering lane of a row outside any consilium (an answer in a chat
 * with none open): negative, one per platform chat, so that such rows keep
 * their order within a chat but chats do not wait for each other (they all
 * shared lane 0 before).  A consilium's rows use its id (positive).
 */
int64_t xio_outbox_lane(const char *platform, const char *chat);

/* Looks for due rows soon (after a commit added some). */
void xio_outbox_kick(struct xio_outbox *ob);

/*
 * A pass carried by the caller's own transaction, so that a commit that put
 * rows also marks them in flight (one commit instead of two).  Inside the
 * open outermost transaction (or a savepoint of it): writes the outcomes
 * and delivery records kept since the last pass and claims the due heads.
 * Returns 0, or the store's error (err set).  Either way exactly one of
 * these must follow:
 *   xio_outbox_launch — after the outermost commit succeeded: forgets what
 *     was written and starts the claimed jobs;
 *   xio_outbox_abort — after a rollback or a failed commit (of the
 *     savepoint or the transaction), or when the transaction could not
 *     begin (then nothing was prepared): nothing claimed starts, the kept
 *     outcomes wait for the next pass, the next pass reads every head;
 *     why is logged.
 * Never start jobs before the outermost commit: a job whose in-flight mark
 * is not durable could be sent twice after a crash.  Call prepare only when
 * xio_outbox_can_prepare says 1 (not stopped, no pass prepared, not inside
 * launch: a job may commit through the runner while the jobs start).
 */
int xio_outbox_can_prepare(const struct xio_outbox *ob);
int xio_outbox_prepare(struct xio_outbox *ob, struct xio_err *err);
void xio_outbox_launch(struct xio_outbox *ob);
void xio_outbox_abort(struct xio_outbox *ob, const char *why);

/*
 * Finishes a job.  rc 0: done (result is stored, may be NULL).  XIO_EDUP: the
 * handler already marked the row done inside its own transaction.
 * XIO_EAGAIN: retry (after retry_after_ms when >= 0, else backoff).  Another
 * negative code: failed for good (logged with msg).  Frees the job.  After
 * xio_outbox_free it only frees the job.
 */
void xio_outbox_done(struct xio_outbox_job *job, int rc, int64_t retry_after_ms,
		     const char *result, const char *msg);

/* 1 when no job is in flight and no row is waiting. */
int xio_outbox_idle(struct xio_outbox *ob);

/* Stops the timer so the loop can end; jobs in flight may still finish. */
void xio_outbox_stop(struct xio_outbox *ob);

/* Counters for metrics and tests. */
struct xio_outbox_stats {
	uint64_t performed, retried, failed, skipped, checked;
	size_t inflight;
};
void xio_outbox_stats(const struct xio_outbox *ob, struct xio_outbox_stats *st);

/* Sets a callback run after every completed job and every empty pass (the
 * console uses it to notice when all work is done). */
void xio_outbox_on_progress(struct xio_outbox *ob, void (*cb)(void *ud), void *ud);

#endif
