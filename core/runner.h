/*
 * runner.h — applies events to consiliums: load, step, store, in one
 * transaction; then wakes the outbox.
 *
 * It is the only code that calls xio_engine_step.  For each event it claims
 * the inbound message id (dedupe), loads the thread's open consilium (or
 * opens one for /consilium), steps the engine, and writes the new state,
 * the transcript lines and the effects (outbox rows, the decision) before
 * committing.  If anything fails, the transaction is rolled back and the
 * event can be delivered again — nothing half-applied survives.  It also owns
 * the timer that delivers TIMER events when a consilium's wake time comes.
 */
#ifndef XIO_RUNNER_H
#define XIO_RUNNER_H

#include <uv.h>

#include "chat.h"
#include "clock.h"
#include "engine.h"
#include "log.h"
#include "outbox.h"
#include "store.h"

struct xio_runner {
	struct xio_store *store;        /* borrowed */
	const struct xio_engine *eng;   /* borrowed */
	struct xio_outbox *outbox;      /* borrowed, may be NULL in tests */
	struct xio_log *log;
	const struct xio_clock *clock;
	uv_timer_t wake_timer;
	int timer_on;
	uint64_t steps;                 /* committed steps, for metrics */
	void (*commit_cb)(void *ud);    /* after every commit (the scheduler) */
	void *commit_ud;
	/* Called after every committed step (the API pushes the new stream
	 * events to its WebSocket clients); NULL = nobody listens. */
	void (*committed_cb)(void *ud);
	void *committed_ud;
	int batch;                      /* inside xio_runner_batch_begin/end */
	int batch_steps;                /* steps committed inside the batch */
};

/* Where a bot message goes: the consilium (0 = none, nothing is added to a
 * transcript) and its platform address.  Strings borrowed. */
struct xio_post_target {
	int64_t consilium_id;
	const char *platform, *chat, *thread;
	const char *lang;
};

/* Prepares the runner; the timer is on loop when loop is non-NULL. */
int xio_runner_init(struct xio_runner *r, uv_loop_t *loop, struct xio_store *store,
		    const struct xio_engine *eng, struct xio_outbox *outbox,
		    struct xio_log *log, const struct xio_clock *clock);

/* Closes the timer (the loop must run to finish closing it). */
void xio_runner_release(struct xio_runner *r);

/*
 * Applies what a human wrote.  Returns 0; XIO_EDUP when in->msg_id was seen
 * before (nothing is done); another negative code with err when the store
 * failed (nothing is stored; the adapter may deliver it again).
 */
int xio_runner_input(struct xio_runner *r, const struct xio_inbound *in, struct xio_err *err);

/*
 * As xio_runner_input, and sets *consilium_id to the consilium the message
 * went to (opened by it, or stepped), or to 0 when it went to none (an idle
 * answer) or was not applied.
 */
int xio_runner_input_routed(struct xio_runner *r, const struct xio_inbound *in,
			    int64_t *consilium_id, struct xio_err *err);

/*
 * As xio_runner_input, for a command given through the API: when the
 * engine refuses it (wrong phase, nothing to do, bad arguments), copies the
 * explanation the thread gets into refusal[0..n-1]; "" when it ran (or when
 * the line went to no open consilium).  The refused line is still stored,
 * as in a chat.
 */
int xio_runner_command(struct xio_runner *r, const struct xio_inbound *in, char *refusal,
		       size_t n, struct xio_err *err);

/*
 * Applies an event produced by the bot itself (a persona's reply, a decision,
 * a timer) to consilium id.  When done_outbox_id is non-zero, that outbox row
 * is marked done in the same transaction (so the effect that produced the
 * event is recorded exactly once).  Returns 0 or a negative code with err.
 */
int xio_runner_feed(struct xio_runner *r, int64_t consilium_id, const struct xio_event *ev,
		    int64_t done_outbox_id, struct xio_err *err);

/* Delivers TIMER events to every consilium whose wake time has come, and
 * re-arms the timer.  Called by the timer; public for tests and start-up. */
void xio_runner_tick(struct xio_runner *r);

/* 1 when every open consilium waits for a human (or there is none). */
int xio_runner_all_wait_for_humans(struct xio_runner *r);

/*
 * Writes a bot message inside the caller's open transaction: the transcript
 * line (when t->consilium_id is set) and the "post" outbox row with key (an
 * existing key is not written twice).  Returns 0 or a negative code with err;
 * the caller rolls back on error.
 */
int xio_runner_post(struct xio_runner *r, const struct xio_post_target *t, const char *persona_id,
		    const char *text, const char *key, int64_t now, struct xio_err *err);

/*
 * Opens a batch: the steps applied until xio_runner_batch_end share one
 * store transaction (each step is a savepoint, still all or nothing), so a
 * burst of inbound updates costs one durable commit.  The after-commit
 * callbacks and the outbox kick run once, at the end, after the commit —
 * nothing leaves the process before what caused it is durable.  Returns 0
 * or a negative code with err (no batch is open then).
 */
int xio_runner_batch_begin(struct xio_runner *r, struct xio_err *err);

/*
 * Commits the batch.  Returns 0, or a negative code with err when the
 * commit failed: then nothing of the batch is stored, and its inputs must be
 * delivered again.
 */
int xio_runner_batch_end(struct xio_runner *r, struct xio_err *err);

/* Sets the callback run after every committed step (one at a time). */
void xio_runner_on_commit(struct xio_runner *r, void (*cb)(void *ud), void *ud);

/* Loads a consilium's state; caller frees with xio_consilium_free. */
struct xio_consilium *xio_runner_load(struct xio_runner *r, int64_t id, struct xio_err *err);

#endif
