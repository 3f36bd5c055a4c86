/*
 * outbox.c — the outbox dispatcher.
 *
 * One pass reads the rows not yet done in id order, keeps the first row of
 * each consilium (later rows of a consilium wait for it: order is part of
 * exactly-once for a chat thread), starts those that are due and not already
 * running, and arms the timer for the earliest retry.  Passes are triggered
 * by kicks (after a commit) and by the timer, never run inside a handler.
 *
 * A pass is one store transaction: the outcomes reported since the last
 * pass (kept in memory until then) are written, the heads are read, and the
 * rows to start are marked in flight; only after that commit are their
 * handlers called.  Under load that is one durable commit per loop turn
 * instead of two per row.  An outcome not yet written when the process
 * dies leaves its row in flight: the next process checks it (an unknown
 * outcome), it never repeats it blindly.
 */
#include "outbox.h"

#include <stdint.h>
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
	struct xio_outbox_row *dirty; /* outcomes to write at the next pass */
	size_t ndirty, capdirty;
	char **kv;                    /* key, value, ...: written with them */
	size_t nkv, capkv;
	/* Consiliums whose head row to look at in the next pass; when full is
	 * set (at start, after an error) every head is read instead. */
	int64_t *wanted;
	size_t nwanted, capwanted;
	int full;
	struct xio_outbox_job *jobs[PASS_ROWS]; /* claimed by the running pass */
	size_t njobs;       /* how many, between prepare and launch/abort */
	int64_t pass_now, pass_next; /* the pass's clock and next due row */
	int prepared;       /* xio_outbox_prepare ran: launch or abort is next */
	int launching;      /* inside xio_outbox_launch's jobs */
	struct xio_outbox_stats stats;
	void (*progress_cb)(void *ud);
	void *progress_ud;
};

static void pass(struct xio_outbox *ob);

/* Counts an outcome of an effect of kind in xio_outbox_effects_total. */
static void count_outcome(struct xio_outbox *ob, const char *kind, const char *outcome)
{
	xio_counter_add(xio_metrics_counter(ob->opts.metrics, "xio_outbox_effects_total",
					    "Outcomes of outbound effects by kind (post, export, "
					    "remind, ...): performed, retried, failed",
					    "kind", kind ? kind : "", "outcome", outcome, NULL),
			1);
}

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
	ob->full = 1;
	uv_timer_init(loop, &ob->timer);
	ob->timer.data = ob;
	*out = ob;
	return 0;
}

static void forget_dirty(struct xio_outbox *ob);

static void release(struct xio_outbox *ob)
{
	forget_dirty(ob);
	free(ob->dirty);
	free(ob->kv);
	free(ob->wanted);
	free(ob->handlers);
	free(ob);
}

/* Writes the outcomes kept since the last pass, inside the caller's
 * transaction.  Returns 0 or the store's code (the rows stay kept). */
static int write_dirty(struct xio_outbox *ob, struct xio_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < ob->ndirty; i++) {
		rc = ob->store->ops->outbox_update(ob->store->impl, &ob->dirty[i], err);
		if (rc)
			return rc;
	}
	for (i = 0; i + 1 < ob->nkv; i += 2) {
		rc = ob->store->ops->kv_put(ob->store->impl, ob->kv[i], ob->kv[i + 1], err);
		if (rc)
			return rc;
	}
	return 0;
}

static void forget_dirty(struct xio_outbox *ob)
{
	size_t i;

	for (i = 0; i < ob->ndirty; i++)
		xio_outbox_row_release(&ob->dirty[i]);
	ob->ndirty = 0;
	for (i = 0; i < ob->nkv; i++)
		free(ob->kv[i]);
	ob->nkv = 0;
}

int xio_outbox_defer_kv(struct xio_outbox *ob, const char *key, const char *value)
{
	char *k, *v;

	if (ob->freed)
		return XIO_ESTATE;
	if (ob->nkv + 2 > ob->capkv) {
		size_t cap = ob->capkv ? ob->capkv * 2 : 64;
		char **n = realloc(ob->kv, cap * sizeof(*n));

		if (!n)
			return XIO_ENOMEM;
		ob->kv = n;
		ob->capkv = cap;
	}
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return XIO_ENOMEM;
	}
	ob->kv[ob->nkv++] = k;
	ob->kv[ob->nkv++] = v;
	return 0;
}

/* Runs fn in a transaction of its own: begin, fn, then commit, or roll
 * back when fn failed.  Returns 0 or the first error (err set). */
static int in_transaction(struct xio_outbox *ob,
			  int (*fn)(struct xio_outbox *ob, struct xio_err *err), struct xio_err *err)
{
	int rc = xio_store_begin(ob->store, err);

	if (rc)
		return rc;
	rc = fn(ob, err);
	if (rc)
		xio_store_rollback(ob->store);
	else
		rc = xio_store_commit(ob->store, err);
	return rc;
}

/* Writes the kept outcomes now, in a transaction of their own (at stop). */
static void flush_dirty(struct xio_outbox *ob)
{
	struct xio_err err;
	int rc;

	if (!ob->ndirty && !ob->nkv)
		return;
	rc = in_transaction(ob, write_dirty, &err);
	if (rc)
		xio_logf(ob->log, XIO_LOG_ERROR, "outbox",
			 "%zu outcomes not written (they will be checked at the next start): %s",
			 ob->ndirty, err.msg);
	forget_dirty(ob);
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
	if (!ob->freed)
		flush_dirty(ob);
	ob->stopped = 1;
	ob->freed = 1;
	uv_close((uv_handle_t *)&ob->timer, free_cb);
}

void xio_outbox_stop(struct xio_outbox *ob)
{
	flush_dirty(ob);
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

int64_t xio_outbox_lane(const char *platform, const char *chat)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	const char *parts[2] = { platform ? platform : "", chat ? chat : "" };
	size_t i;

	for (i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];

		for (; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL; /* "ab"+"c" is not "a"+"bc" */
	}
	return -(int64_t)(h & 0x3fffffffffffffffULL) - 1;
}

void xio_outbox_kick(struct xio_outbox *ob)
{
	if (ob->stopped || ob->timer_armed_for_kick)
		return;
	ob->timer_armed_for_kick = 1;
	uv_timer_start(&ob->timer, timer_cb, 0, 0);
}

static const struct xio_outbox_handler *handler_for(const struct xio_outbox *ob,
						   const char *kind)
{
	size_t i;

	for (i = 0; i < ob->nhandlers; i++)
		if (strcmp(ob->handlers[i]->kind, kind) == 0)
			return ob->handlers[i];
	return NULL;
}

int xio_outbox_handles(const struct xio_outbox *ob, const char *kind)
{
	return ob && handler_for(ob, kind) != NULL;
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

/* Asks the next pass to look at consilium cid's head row.  Duplicates are
 * dropped by the pass (dedupe_wanted): a check here would cost the length
 * of the list on every finished job. */
static void want(struct xio_outbox *ob, int64_t cid)
{
	if (ob->nwanted && ob->wanted[ob->nwanted - 1] == cid)
		return;
	if (ob->nwanted == ob->capwanted) {
		size_t cap = ob->capwanted ? ob->capwanted * 2 : 64;
		int64_t *v = realloc(ob->wanted, cap * sizeof(*v));

		if (!v) {
			ob->full = 1;
			return;
		}
		ob->wanted = v;
		ob->capwanted = cap;
	}
	ob->wanted[ob->nwanted++] = cid;
}

struct wanted_at {
	int64_t cid;
	size_t at;
};

static int cmp_wanted(const void *a, const void *b)
{
	const struct wanted_at *x = a, *y = b;

	if (x->cid != y->cid)
		return x->cid < y->cid ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Drops repeated consiliums from the wanted list, keeping the first of
 * each where it was (first asked, first looked at).  O(n log n).  Without
 * memory the list is left as it is (a repeat only costs a lookup). */
static void dedupe_wanted(struct xio_outbox *ob)
{
	struct wanted_at *v;
	size_t i, n = 0;

	if (ob->nwanted < 2)
		return;
	v = malloc(ob->nwanted * sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < ob->nwanted; i++) {
		v[i].cid = ob->wanted[i];
		v[i].at = i;
	}
	qsort(v, ob->nwanted, sizeof(*v), cmp_wanted);
	/* a repeat is marked by a cid no consilium or lane has (lanes are
	 * above -2^62 - 2, 0 is the lane of rows older than lanes) */
	for (i = 1; i < ob->nwanted; i++)
		if (v[i].cid == v[i - 1].cid)
			ob->wanted[v[i].at] = INT64_MIN;
	for (i = 0; i < ob->nwanted; i++)
		if (ob->wanted[i] != INT64_MIN)
			ob->wanted[n++] = ob->wanted[i];
	ob->nwanted = n;
	free(v);
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

/* Keeps row's outcome for the next pass's transaction; takes the row's
 * strings (row is zeroed).  Without memory it is written at once. */
static void keep_row(struct xio_outbox *ob, struct xio_outbox_row *row)
{
	if (ob->ndirty == ob->capdirty) {
		size_t cap = ob->capdirty ? ob->capdirty * 2 : 64;
		struct xio_outbox_row *v = realloc(ob->dirty, cap * sizeof(*v));

		if (!v) {
			save_row(ob, row);
			return;
		}
		ob->dirty = v;
		ob->capdirty = cap;
	}
	ob->dirty[ob->ndirty++] = *row;
	memset(row, 0, sizeof(*row));
}

void xio_outbox_done(struct xio_outbox_job *job, int rc, int64_t retry_after_ms,
		     const char *result, const char *msg)
{
	struct xio_outbox *ob = job->ob;
	struct xio_outbox_row *row = &job->row;
	int64_t now, cid = row->consilium_id;

	if (ob->freed) {
		/* Shut down: the store may be closing.  The row stays in flight
		 * and the next process checks its outcome before acting again. */
		running_remove(ob, cid);
		xio_outbox_row_release(row);
		free(job);
		if (ob->timer_closed && ob->nrunning == 0)
			release(ob);
		return;
	}
	now = xio_clock_now(ob->clock);
	if (rc == XIO_EDUP) {
		ob->stats.performed++;
		count_outcome(ob, row->kind, "performed");
	} else if (rc == 0) {
		free(row->result);
		row->result = result ? strdup(result) : NULL;
		row->state = XIO_OUTBOX_DONE;
		row->attempts++;
		free(row->last_error);
		row->last_error = NULL;
		count_outcome(ob, row->kind, "performed");
		keep_row(ob, row);
		ob->stats.performed++;
	} else if (rc == XIO_EAGAIN && row->attempts + 1 < ob->opts.max_attempts) {
		int64_t delay = retry_after_ms >= 0 ? retry_after_ms
						    : backoff_ms(ob, row->attempts + 1);

		row->attempts++;
		/* a check that could not finish leaves the outcome unknown: the
		 * retry must check again, not act */
		row->state = job->unknown_outcome ? XIO_OUTBOX_INFLIGHT : XIO_OUTBOX_PENDING;
		row->next_try_at = now + delay;
		free(row->last_error);
		row->last_error = msg ? strdup(msg) : NULL;
		ob->stats.retried++;
		count_outcome(ob, row->kind, "retried");
		xio_logf(ob->log, XIO_LOG_WARN, "outbox", "%s (%s): retry %d in %lld ms: %s",
			 row->key, row->kind, row->attempts, (long long)delay, msg ? msg : "");
		keep_row(ob, row);
	} else {
		row->attempts++;
		row->state = XIO_OUTBOX_FAILED;
		free(row->last_error);
		row->last_error = strdup(msg ? msg : xio_strerror(rc));
		ob->stats.failed++;
		count_outcome(ob, row->kind, "failed");
		xio_logf(ob->log, XIO_LOG_ERROR, "outbox", "%s (%s): failed after %d attempts: %s",
			 row->key, row->kind, row->attempts, msg ? msg : xio_strerror(rc));
		keep_row(ob, row);
	}
	running_remove(ob, cid);
	want(ob, cid); /* the rows queued behind it */
	ob->stats.inflight = ob->nrunning;
	xio_outbox_row_release(row);
	free(job);
	xio_outbox_kick(ob);
	if (ob->progress_cb)
		ob->progress_cb(ob->progress_ud);
}

/* Claims row for its handler inside the pass's transaction: marks it in
 * flight (so that if we die while the effect is out, the next process knows
 * its outcome is unknown and checks first) and sets *out to the job.  *out
 * stays NULL when the row needs no handler (marked done as skipped) or
 * memory ran out (it stays pending).  Returns 0, or the store's code when
 * the mark could not be written (then nothing may start: the pass rolls
 * back). */
static int claim(struct xio_outbox *ob, struct xio_outbox_row *row,
		 const struct xio_outbox_handler *h, struct xio_outbox_job **out,
		 struct xio_err *err)
{
	struct xio_outbox_job *job;
	int rc;

	*out = NULL;
	if (!h) {
		row->state = XIO_OUTBOX_DONE;
		free(row->result);
		row->result = strdup("{\"skipped\":\"no handler for this kind\"}");
		rc = ob->store->ops->outbox_update(ob->store->impl, row, err);
		if (rc)
			return rc;
		ob->stats.skipped++;
		xio_logf(ob->log, XIO_LOG_INFO, "outbox", "%s: nothing performs '%s' here; skipped",
			 row->key, row->kind);
		/* rows queued behind it may go now */
		xio_outbox_kick(ob);
		return 0;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return 0;
	job->ob = ob;
	job->row = *row;
	memset(row, 0, sizeof(*row)); /* the job owns the strings now */
	job->unknown_outcome = job->row.state == XIO_OUTBOX_INFLIGHT;
	job->row.state = XIO_OUTBOX_INFLIGHT;
	rc = ob->store->ops->outbox_update(ob->store->impl, &job->row, err);
	if (rc) {
		xio_outbox_row_release(&job->row);
		free(job);
		return rc;
	}
	if (job->unknown_outcome)
		ob->stats.checked++;
	ob->running[ob->nrunning++] = job->row.consilium_id;
	*out = job;
	return 0;
}

static void abandon(struct xio_outbox *ob, struct xio_outbox_job *job)
{
	running_remove(ob, job->row.consilium_id);
	xio_outbox_row_release(&job->row);
	free(job);
}

/* Moves the consiliums the store saw rows put for into the wanted list. */
static void collect_touched(struct xio_outbox *ob)
{
	int64_t *ids = NULL;
	size_t nids = 0, i;
	int all = 0;

	ob->store->ops->outbox_touched(ob->store->impl, &ids, &nids, &all);
	for (i = 0; i < nids; i++)
		want(ob, ids[i]);
	free(ids);
	if (all)
		ob->full = 1;
}

/* Reads the head rows to consider: every head when ob->full, else those of
 * the wanted consiliums and of those the store saw rows put for.  The
 * wanted list is emptied (claim_due puts back what must be looked at
 * again). */
static int read_heads(struct xio_outbox *ob, struct xio_outbox_row **rows, size_t *n,
		      struct xio_err *err)
{
	size_t i, cap;
	int rc = 0;

	collect_touched(ob);
	*rows = NULL;
	*n = 0;
	if (ob->full) {
		rc = ob->store->ops->outbox_heads(ob->store->impl, PASS_ROWS, rows, n, err);
		if (!rc) {
			ob->full = *n >= PASS_ROWS; /* more than one pass can take */
			ob->nwanted = 0;
		}
		return rc;
	}
	dedupe_wanted(ob);
	/* only as many as can start now: the others stay wanted, unread */
	cap = ob->nwanted < PASS_ROWS ? ob->nwanted : PASS_ROWS;
	if (cap > MAX_RUNNING - ob->nrunning)
		cap = MAX_RUNNING - ob->nrunning;
	if (!cap)
		return 0;
	*rows = calloc(cap, sizeof(**rows));
	if (!*rows)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	for (i = 0; i < ob->nwanted && *n < cap; i++) {
		if (is_running(ob, ob->wanted[i]))
			continue; /* wanted again when its job is done */
		rc = ob->store->ops->outbox_head(ob->store->impl, ob->wanted[i], &(*rows)[*n], err);
		if (rc == XIO_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		(*n)++;
	}
	if (rc) {
		xio_outbox_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return rc;
	}
	/* what did not fit waits for the next pass */
	memmove(ob->wanted, ob->wanted + i, (ob->nwanted - i) * sizeof(*ob->wanted));
	ob->nwanted -= i;
	return 0;
}

/* Reads the heads and claims the due ones, inside the open transaction.
 * jobs (room for PASS_ROWS) receives the claimed jobs. */
static int claim_due(struct xio_outbox *ob, int64_t now, struct xio_outbox_job **jobs,
		     size_t *njobs, int64_t *next, struct xio_err *err)
{
	struct xio_outbox_row *rows = NULL;
	size_t n = 0, i;
	int rc = read_heads(ob, &rows, &n, err);

	if (rc)
		return rc;
	ob->pending_rows = (int)n;
	for (i = 0; i < n; i++) {
		/* heads only: each consilium's rows wait behind its first */
		struct xio_outbox_row *row = &rows[i];
		struct xio_outbox_job *job;

		if (is_running(ob, row->consilium_id))
			continue;
		if (row->next_try_at > now) {
			if (!*next || row->next_try_at < *next)
				*next = row->next_try_at;
			want(ob, row->consilium_id);
			continue;
		}
		if (ob->nrunning >= MAX_RUNNING) {
			*next = now + 10;
			want(ob, row->consilium_id);
			continue;
		}
		rc = claim(ob, row, handler_for(ob, row->kind), &job, err);
		if (rc)
			break;
		if (job)
			jobs[(*njobs)++] = job;
		else
			want(ob, row->consilium_id); /* skipped, or no memory */
	}
	xio_outbox_rows_free(rows, n);
	return rc;
}

int xio_outbox_can_prepare(const struct xio_outbox *ob)
{
	return !ob->stopped && !ob->prepared && !ob->launching;
}

int xio_outbox_prepare(struct xio_outbox *ob, struct xio_err *err)
{
	int rc;

	ob->njobs = 0;
	ob->pass_next = 0;
	ob->prepared = 1;
	if (ob->stopped)
		return 0;
	ob->pass_now = xio_clock_now(ob->clock);
	rc = write_dirty(ob, err);
	if (!rc)
		rc = claim_due(ob, ob->pass_now, ob->jobs, &ob->njobs, &ob->pass_next, err);
	return rc;
}

void xio_outbox_abort(struct xio_outbox *ob, const char *why)
{
	size_t i;

	ob->prepared = 0;
	/* nothing was written: the kept outcomes wait for the next pass, the
	 * claimed rows were not marked and must not start */
	xio_logf(ob->log, XIO_LOG_ERROR, "outbox", "cannot update the outbox: %s", why);
	for (i = 0; i < ob->njobs; i++)
		abandon(ob, ob->jobs[i]);
	ob->njobs = 0;
	ob->full = 1; /* what was read and claimed is unknown now */
	ob->stats.inflight = ob->nrunning;
	if (!ob->stopped)
		uv_timer_start(&ob->timer, timer_cb, 1000, 0);
}

void xio_outbox_launch(struct xio_outbox *ob)
{
	size_t i, njobs = ob->njobs;
	int64_t next = ob->pass_next, now = ob->pass_now;

	if (!ob->prepared)
		return;
	ob->prepared = 0;
	ob->njobs = 0;
	forget_dirty(ob);
	ob->stats.inflight = ob->nrunning;
	/* a job may feed the runner at once (the producer does), whose
	 * commit must not carry a pass into ob->jobs while they start */
	ob->launching = 1;
	for (i = 0; i < njobs; i++) {
		const struct xio_outbox_handler *h = handler_for(ob, ob->jobs[i]->row.kind);

		if (ob->stopped)
			abandon(ob, ob->jobs[i]); /* stays in flight: checked next start */
		else
			h->perform(h->ud, ob->jobs[i]);
	}
	ob->launching = 0;
	if (next && !ob->timer_armed_for_kick && !ob->stopped)
		uv_timer_start(&ob->timer, timer_cb, (uint64_t)(next - now > 0 ? next - now : 1), 0);
	if (!njobs && ob->progress_cb)
		ob->progress_cb(ob->progress_ud);
}

static void pass(struct xio_outbox *ob)
{
	struct xio_err err;

	if (ob->stopped)
		return;
	collect_touched(ob);
	if (!ob->full && !ob->nwanted && !ob->ndirty && !ob->nkv) {
		/* nothing to write or look at (a commit that carried the pass
		 * already did it): no empty transaction */
		if (ob->progress_cb)
			ob->progress_cb(ob->progress_ud);
		return;
	}
	if (in_transaction(ob, xio_outbox_prepare, &err))
		xio_outbox_abort(ob, err.msg);
	else
		xio_outbox_launch(ob);
}

int xio_outbox_idle(struct xio_outbox *ob)
{
	return ob->nrunning == 0 && ob->pending_rows == 0 && ob->ndirty == 0 && ob->nkv == 0 &&
	       !ob->timer_armed_for_kick;
}

void xio_outbox_stats(const struct xio_outbox *ob, struct xio_outbox_stats *st)
{
	*st = ob->stats;
	st->inflight = ob->nrunning;
}
