/*
 * outbox.c — the outbox dispatcher.
 *
 * One pass reads the rows not yet done in id order, keeps the first row of
 * each consilium (later rows of a consilium wait for it: order is part of
 * exactly-once for a chat thread), starts those that are due and not already
 * running, and arms the timer for the earliest retry.  Passes are triggered
 * by kicks (after a commit) and by the timer, never run inside a handler.
 */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#define PASS_ROWS 1024
#define MAX_RUNNING 256

struct xio_outbox {
	uv_loop_t *loop;
	struct xio_store *store;
	const struct xio_clock *clock;
	struct xio_log *log;
	struct xio_outbox_opts opts;
	const struct xio_outbox_handler **handlers;
	size_t nhandlers;
	uv_timer_t timer;
	int timer_armed_for_kick;
	int stopped;
	int freed;         /* xio_outbox_free was called */
	int timer_closed;  /* and the timer's close callback has run */
	unsigned seed;
	/* consiliums with a job in flight (small: bounded by MAX_RUNNING) */
	int64_t running[MAX_RUNNING];
	size_t nrunning;
	int pending_rows;  /* rows seen not done at the last pass */
	struct xio_outbox_stats stats;
	void (*progress_cb)(void *ud);
	void *progress_ud;
};

static void pass(struct xio_outbox *ob);

static void timer_cb(uv_timer_t *t)
{
	struct xio_outbox *ob = t->data;

	ob->timer_armed_for_kick = 0;
	pass(ob);
}

int xio_outbox_new(struct xio_outbox **out, uv_loop_t *loop, struct xio_store *store,
		   const struct xio_clock *clock, struct xio_log *log,
		   const struct xio_outbox_opts *opts)
{
	struct xio_outbox *ob = calloc(1, sizeof(*ob));

	*out = NULL;
	if (!ob)
		return XIO_ENOMEM;
	ob->loop = loop;
	ob->store = store;
	ob->clock = clock;
	ob->log = log;
	ob->opts = *opts;
	if (ob->opts.max_attempts <= 0)
		ob->opts.max_attempts = 10;
	if (ob->opts.backoff_base_ms <= 0)
		ob->opts.backoff_base_ms = 1000;
	if (ob->opts.backoff_max_ms < ob->opts.backoff_base_ms)
		ob->opts.backoff_max_ms = ob->opts.backoff_base_ms * 300;
	ob->seed = (unsigned)xio_clock_mono_ms();
	uv_timer_init(loop, &ob->timer);
	ob->timer.data = ob;
	*out = ob;
	return 0;
}

static void release(struct xio_outbox *ob)
{
	free(ob->handlers);
	free(ob);
}

/* The dispatcher outlives xio_outbox_free while jobs are out: a handler may
 * still finish one (a reply arriving during shutdown), and its
 * xio_outbox_done must find the struct.  The last of the timer's close and
 * the last job frees it. */
static void free_cb(uv_handle_t *h)
{
	struct xio_outbox *ob = h->data;

	ob->timer_closed = 1;
	if (ob->nrunning == 0)
		release(ob);
}

void xio_outbox_free(struct xio_outbox *ob)
{
	if (!ob)
		return;
	ob->stopped = 1;
	ob->freed = 1;
	uv_close((uv_handle_t *)&ob->timer, free_cb);
}

void xio_outbox_stop(struct xio_outbox *ob)
{
	ob->stopped = 1;
	uv_timer_stop(&ob->timer);
}

int xio_outbox_register(struct xio_outbox *ob, const struct xio_outbox_handler *h)
{
	const struct xio_outbox_handler **v =
		realloc(ob->handlers, (ob->nhandlers + 1) * sizeof(*v));

	if (!v)
		return XIO_ENOMEM;
	v[ob->nhandlers++] = h;
	ob->handlers = v;
	return 0;
}

void xio_outbox_on_progress(struct xio_outbox *ob, void (*cb)(void *ud), void *ud)
{
	ob->progress_cb = cb;
	ob->progress_ud = ud;
}

void xio_outbox_kick(struct xio_outbox *ob)
{
	if (ob->stopped || ob->timer_armed_for_kick)
		return;
	ob->timer_armed_for_kick = 1;
	uv_timer_start(&ob->timer, timer_cb, 0, 0);
}

static const struct xio_outbox_handler *handler_for(struct xio_outbox *ob, const char *kind)
{
	size_t i;

	for (i = 0; i < ob->nhandlers; i++)
		if (strcmp(ob->handlers[i]->kind, kind) == 0)
			return ob->handlers[i];
	return NULL;
}

static int is_running(struct xio_outbox *ob, int64_t cid)
{
	size_t i;

	for (i = 0; i < ob->nrunning; i++)
		if (ob->running[i] == cid)
			return 1;
	return 0;
}

static void running_remove(struct xio_outbox *ob, int64_t cid)
{
	size_t i;

	for (i = 0; i < ob->nrunning; i++)
		if (ob->running[i] == cid) {
			ob->running[i] = ob->running[--ob->nrunning];
			return;
		}
}

static int64_t backoff_ms(struct xio_outbox *ob, int attempts)
{
	int64_t cap = ob->opts.backoff_base_ms;
	unsigned r;
	int i;

	for (i = 1; i < attempts && cap < ob->opts.backoff_max_ms; i++)
		cap *= 2;
	if (cap > ob->opts.backoff_max_ms)
		cap = ob->opts.backoff_max_ms;
	r = ob->opts.rand_cb ? ob->opts.rand_cb(ob->opts.rand_ud) : (unsigned)rand_r(&ob->seed);
	/* "equal jitter": half fixed, half random, so retries never bunch up
	 * and never come back at once */
	return cap / 2 + (int64_t)(r % (unsigned)(cap / 2 + 1));
}

static void save_row(struct xio_outbox *ob, const struct xio_outbox_row *row)
{
	struct xio_err err;

	if (ob->store->ops->outbox_update(ob->store->impl, row, &err))
		xio_logf(ob->log, XIO_LOG_ERROR, "outbox", "%s: cannot update: %s", row->key, err.msg);
}

void xio_outbox_done(struct xio_outbox_job *job, int rc, int64_t retry_after_ms,
		     const char *result, const char *msg)
{
	struct xio_outbox *ob = job->ob;
	struct xio_outbox_row *row = &job->row;
	int64_t now;

	if (ob->freed) {
		/* Shut down: the store may be closing.  The row stays in flight
		 * and the next process checks its outcome before acting again. */
		running_remove(ob, row->consilium_id);
		xio_outbox_row_release(row);
		free(job);
		if (ob->timer_closed && ob->nrunning == 0)
			release(ob);
		return;
	}
	now = xio_clock_now(ob->clock);
	if (rc == XIO_EDUP) {
		ob->stats.performed++;
	} else if (rc == 0) {
		free(row->result);
		row->result = result ? strdup(result) : NULL;
		row->state = XIO_OUTBOX_DONE;
		row->attempts++;
		free(row->last_error);
		row->last_error = NULL;
		save_row(ob, row);
		ob->stats.performed++;
	} else if (rc == XIO_EAGAIN && row->attempts + 1 < ob->opts.max_attempts) {
		int64_t delay = retry_after_ms >= 0 ? retry_after_ms
						    : backoff_ms(ob, row->attempts + 1);

		row->attempts++;
		row->state = XIO_OUTBOX_PENDING;
		row->next_try_at = now + delay;
		free(row->last_error);
		row->last_error = msg ? strdup(msg) : NULL;
		save_row(ob, row);
		ob->stats.retried++;
		xio_logf(ob->log, XIO_LOG_WARN, "outbox", "%s (%s): retry %d in %lld ms: %s",
			 row->key, row->kind, row->attempts, (long long)delay, msg ? msg : "");
	} else {
		row->attempts++;
		row->state = XIO_OUTBOX_FAILED;
		free(row->last_error);
		row->last_error = strdup(msg ? msg : xio_strerror(rc));
		save_row(ob, row);
		ob->stats.failed++;
		xio_logf(ob->log, XIO_LOG_ERROR, "outbox", "%s (%s): failed after %d attempts: %s",
			 row->key, row->kind, row->attempts, msg ? msg : xio_strerror(rc));
	}
	running_remove(ob, row->consilium_id);
	ob->stats.inflight = ob->nrunning;
	xio_outbox_row_release(row);
	free(job);
	xio_outbox_kick(ob);
	if (ob->progress_cb)
		ob->progress_cb(ob->progress_ud);
}

static void start(struct xio_outbox *ob, struct xio_outbox_row *row)
{
	const struct xio_outbox_handler *h = handler_for(ob, row->kind);
	struct xio_outbox_job *job;

	if (!h) {
		row->state = XIO_OUTBOX_DONE;
		free(row->result);
		row->result = strdup("{\"skipped\":\"no handler for this kind\"}");
		save_row(ob, row);
		ob->stats.skipped++;
		xio_logf(ob->log, XIO_LOG_INFO, "outbox", "%s: nothing performs '%s' here; skipped",
			 row->key, row->kind);
		/* rows queued behind it may go now */
		xio_outbox_kick(ob);
		return;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return; /* stays pending; the next pass tries again */
	job->ob = ob;
	job->row = *row;
	memset(row, 0, sizeof(*row)); /* the job owns the strings now */
	job->unknown_outcome = job->row.state == XIO_OUTBOX_INFLIGHT;
	if (job->unknown_outcome)
		ob->stats.checked++;
	job->row.state = XIO_OUTBOX_INFLIGHT;
	/* Persist "in flight" before acting: if we die while the effect is out,
	 * the next process knows its outcome is unknown and checks first. */
	save_row(ob, &job->row);
	ob->running[ob->nrunning++] = job->row.consilium_id;
	ob->stats.inflight = ob->nrunning;
	h->perform(h->ud, job);
}

static void pass(struct xio_outbox *ob)
{
	struct xio_outbox_row *rows = NULL;
	struct xio_err err;
	int64_t next = 0, now;
	size_t n = 0, i;
	int started = 0;

	if (ob->stopped)
		return;
	now = xio_clock_now(ob->clock);
	if (ob->store->ops->outbox_heads(ob->store->impl, PASS_ROWS, &rows, &n, &err)) {
		xio_logf(ob->log, XIO_LOG_ERROR, "outbox", "cannot read the outbox: %s", err.msg);
		uv_timer_start(&ob->timer, timer_cb, 1000, 0);
		return;
	}
	ob->pending_rows = (int)n;
	for (i = 0; i < n; i++) {
		/* heads only: each consilium's rows wait behind its first */
		struct xio_outbox_row *row = &rows[i];

		if (is_running(ob, row->consilium_id))
			continue;
		if (row->next_try_at > now) {
			if (!next || row->next_try_at < next)
				next = row->next_try_at;
			continue;
		}
		if (ob->nrunning >= MAX_RUNNING) {
			next = now + 10;
			break;
		}
		start(ob, row);
		started++;
		if (ob->stopped)
			break;
	}
	xio_outbox_rows_free(rows, n);
	if (next && !ob->timer_armed_for_kick && !ob->stopped)
		uv_timer_start(&ob->timer, timer_cb, (uint64_t)(next - now > 0 ? next - now : 1), 0);
	if (!started && ob->progress_cb)
		ob->progress_cb(ob->progress_ud);
}

int xio_outbox_idle(struct xio_outbox *ob)
{
	return ob->nrunning == 0 && ob->pending_rows == 0 && !ob->timer_armed_for_kick;
}

void xio_outbox_stats(const struct xio_outbox *ob, struct xio_outbox_stats *st)
{
	*st = ob->stats;
	st->inflight = ob->nrunning;
}
