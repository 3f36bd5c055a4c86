/*
 * scheduler.c — reminder rows in, post rows out, exactly once.
 *
 * The store is the schedule: reminders are rows with a due time and a state,
 * and the only thing in memory is one timer for the earliest pending row.
 * Firing takes the due rows in batches ordered by thread, renders one message
 * per thread from the current state of its tasks (a task finished since its
 * reminder was scheduled produces nothing), and writes "sent" marks and post
 * rows in one transaction.  See scheduler.h for the contract.
 */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define BATCH 256           /* reminders per firing transaction */
#define MAX_LINES 20        /* lines of one coalesced message */

struct xio_sched {
	struct xio_outbox_handler handler; /* kind "remind" */
	struct xio_runner *runner;         /* borrowed */
	struct xio_store *store;           /* the runner's */
	const struct xio_clock *clock;     /* the runner's */
	struct xio_log *log;
	struct xio_tz *tz;
	int64_t before_ms, review_ms, late_ms;
	int digest_hour, quiet_start, quiet_end;
	uv_timer_t timer;
	int timer_on;
	int64_t armed_at;
	int in_tick;
	struct xio_sched_stats st;
	void (*fire_cb)(void *ud, int64_t due_at, int64_t now);
	void *fire_ud;
};

static void perform(void *ud, struct xio_outbox_job *job);
static void commit_cb(void *ud);

int xio_sched_new(struct xio_sched **out, uv_loop_t *loop, struct xio_runner *runner,
		  const struct xio_sched_opts *o, struct xio_log *log, struct xio_err *err)
{
	struct xio_sched *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	s->handler.kind = "remind";
	s->handler.perform = perform;
	s->handler.ud = s;
	s->runner = runner;
	s->store = runner->store;
	s->clock = runner->clock;
	s->log = log;
	s->before_ms = o->remind_before_ms;
	s->review_ms = o->review_after_ms;
	s->late_ms = o->late_after_ms > 0 ? o->late_after_ms : 15 * 60000;
	s->digest_hour = o->digest_hour >= 0 && o->digest_hour < 24 ? o->digest_hour : 9;
	rc = xio_sched_quiet_parse(o->quiet_hours, &s->quiet_start, &s->quiet_end, err);
	if (rc) {
		free(s);
		return rc;
	}
	s->tz = xio_tz_new(o->timezone, err);
	if (!s->tz) {
		free(s);
		return err ? err->code : XIO_EINVAL;
	}
	if (loop) {
		uv_timer_init(loop, &s->timer);
		s->timer.data = s;
		s->timer_on = 1;
	}
	xio_runner_on_commit(runner, commit_cb, s);
	*out = s;
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	struct xio_sched *s = h->data;

	xio_tz_free(s->tz);
	free(s);
}

void xio_sched_free(struct xio_sched *s)
{
	if (!s)
		return;
	if (s->runner->commit_ud == s)
		xio_runner_on_commit(s->runner, NULL, NULL);
	if (s->timer_on) {
		s->timer_on = 0;
		uv_close((uv_handle_t *)&s->timer, close_cb);
		return;
	}
	xio_tz_free(s->tz);
	free(s);
}

const struct xio_outbox_handler *xio_sched_handler(struct xio_sched *s)
{
	return &s->handler;
}

const struct xio_tz *xio_sched_tz(const struct xio_sched *s)
{
	return s->tz;
}

int64_t xio_sched_armed_at(const struct xio_sched *s)
{
	return s->armed_at;
}

void xio_sched_stats(const struct xio_sched *s, struct xio_sched_stats *st)
{
	*st = s->st;
}

void xio_sched_on_fire(struct xio_sched *s, void (*cb)(void *ud, int64_t due_at, int64_t now),
		       void *ud)
{
	s->fire_cb = cb;
	s->fire_ud = ud;
}

/* ---- the timer --------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	xio_sched_tick(t->data);
}

void xio_sched_rearm(struct xio_sched *s)
{
	struct xio_err err;
	int64_t next, now, at;

	if (s->store->ops->reminder_next(s->store->impl, &next, &err)) {
		xio_logf(s->log, XIO_LOG_ERROR, "followup", "next reminder: %s", err.msg);
		return;
	}
	if (!next) {
		s->armed_at = 0;
		if (s->timer_on)
			uv_timer_stop(&s->timer);
		return;
	}
	now = xio_clock_now(s->clock);
	at = xio_sched_quiet_end(s->tz, s->quiet_start, s->quiet_end, next > now ? next : now);
	s->armed_at = at;
	if (s->timer_on)
		uv_timer_start(&s->timer, timer_cb, at > now ? (uint64_t)(at - now) : 0, 0);
}

static void commit_cb(void *ud)
{
	struct xio_sched *s = ud;

	if (!s->in_tick)
		xio_sched_rearm(s);
}

/* ---- scheduling -------------------------------------------------------- */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int task_open(const char *status)
{
	return !*status || !strcmp(status, "open") || !strcmp(status, "snoozed");
}

static int put(struct xio_sched *s, const char *key, int64_t cid, int task, const char *kind,
	       const char *thread_key, int64_t at, int64_t now, struct xio_err *err)
{
	struct xio_reminder_row r = { 0 };
	int rc;

	r.key = (char *)key;
	r.consilium_id = cid;
	r.task_idx = task;
	r.kind = (char *)kind;
	r.thread_key = (char *)thread_key;
	r.due_at = at;
	r.created_at = now;
	rc = s->store->ops->reminder_put(s->store->impl, &r, err);
	return rc == XIO_EDUP ? 0 : rc;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The thread's overdue digest at the first digest hour after after_ms (one
 * per thread and local day: the key carries the date). */
static int ensure_digest(struct xio_sched *s, const char *thread_key, int64_t cid,
			 int64_t after_ms, int64_t now, struct xio_err *err)
{
	int64_t local = after_ms + xio_tz_offset_at(s->tz, after_ms) * 60000LL;
	int64_t days = floor_div(local, DAY_MS), at;
	char key[512];
	int y, m, d;

	for (;; days++) {
		xio_dates_civil_from_days(days, &y, &m, &d);
		at = xio_tz_local_to_ms(s->tz, y, m, d, s->digest_hour, 0, NULL);
		if (at > after_ms)
			break;
	}
	snprintf(key, sizeof(key), "d:%s:%04d-%02d-%02d", thread_key, y, m, d);
	return put(s, key, cid, -1, "digest", thread_key, at, now, err);
}

static int mark_outbox_done(struct xio_sched *s, int64_t id, struct xio_err *err)
{
	struct xio_outbox_row o = { 0 };

	o.id = id;
	o.state = XIO_OUTBOX_DONE;
	o.attempts = 1;
	o.result = "{\"scheduled\":true}";
	return s->store->ops->outbox_update(s->store->impl, &o, err);
}

static int schedule_tasks(struct xio_sched *s, const struct xio_consilium *c, int64_t approved,
			  int64_t now, struct xio_err *err)
{
	size_t i, n = c->tasks ? json_object_array_length(c->tasks) : 0;
	char key[96];
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		json_object *t = json_object_array_get_idx(c->tasks, i);
		int64_t due;

		if (!task_open(jstr(t, "status")) || xio_sched_due_ms(jstr(t, "due"), s->tz, &due))
			continue;
		if (s->before_ms > 0 && due - s->before_ms > approved) {
			snprintf(key, sizeof(key), "c%lld:t%zu:before", (long long)c->id, i);
			rc = put(s, key, c->id, (int)i, "before", c->thread_key, due - s->before_ms,
				 now, err);
		}
		if (!rc && due > approved) {
			snprintf(key, sizeof(key), "c%lld:t%zu:due", (long long)c->id, i);
			rc = put(s, key, c->id, (int)i, "due", c->thread_key, due, now, err);
		} else if (!rc) {
			/* overdue already when approved: the digest covers it */
			rc = ensure_digest(s, c->thread_key, c->id, approved, now, err);
		}
	}
	if (!rc && s->review_ms > 0) {
		snprintf(key, sizeof(key), "c%lld:review", (long long)c->id);
		rc = put(s, key, c->id, -1, "review", c->thread_key, approved + s->review_ms, now, err);
	}
	return rc;
}

int xio_sched_schedule(struct xio_sched *s, int64_t consilium_id, int64_t approved_at,
		       int64_t done_outbox_id, struct xio_err *err)
{
	struct xio_consilium *c = NULL;
	int64_t now = xio_clock_now(s->clock);
	int rc;

	rc = xio_store_begin(s->store, err);
	if (rc)
		return rc;
	c = xio_runner_load(s->runner, consilium_id, err);
	if (!c) {
		rc = err ? err->code : XIO_ENOTFOUND;
		goto out;
	}
	if (c->outcome && !strcmp(c->outcome, "approved"))
		rc = schedule_tasks(s, c, approved_at ? approved_at : now, now, err);
	if (!rc && done_outbox_id)
		rc = mark_outbox_done(s, done_outbox_id, err);
out:
	xio_consilium_free(c);
	if (rc) {
		xio_store_rollback(s->store);
		return rc;
	}
	rc = xio_store_commit(s->store, err);
	if (!rc)
		xio_sched_rearm(s);
	return rc;
}

static void perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_sched *s = ud;
	struct xio_err err;
	int rc;

	rc = xio_sched_schedule(s, job->row.consilium_id, job->row.created_at, job->row.id, &err);
	if (rc == XIO_ENOTFOUND)
		xio_outbox_done(job, rc, -1, NULL, err.msg);
	else if (rc)
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, err.msg);
	else
		xio_outbox_done(job, XIO_EDUP, -1, NULL, NULL);
}

/* ---- firing ------------------------------------------------------------ */

struct group {
	struct xio_buf body;        /* the lines */
	size_t lines, more;
	struct xio_consilium *c;    /* the thread's addressing (first reminder's) */
	int late;
};

static char *mention(struct xio_sched *s, const char *lang, const char *owner)
{
	char *m;

	if (!*owner)
		return strdup(xio_i18n_get(s->runner->eng->i18n, lang, "render.unassigned"));
	m = malloc(strlen(owner) + 2);
	if (m)
		sprintf(m, "@%s", owner);
	return m;
}

/* Takes line (NULL = allocation failed). */
static int add_line(struct group *g, char *line, struct xio_err *err)
{
	int rc = 0;

	if (!line)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	if (g->lines < MAX_LINES)
		rc = xio_buf_printf(&g->body, "%s%s", g->lines ? "\n" : "", line);
	else
		g->more++;
	g->lines++;
	free(line);
	return rc ? xio_err_set(err, XIO_ENOMEM, "out of memory") : 0;
}

/* The overdue tasks of a thread, as one line (NULL *out when none). */
static int digest_line(struct xio_sched *s, const char *thread_key, const char *lang,
		       int64_t now, char **out, struct xio_err *err)
{
	const struct xio_i18n *t = s->runner->eng->i18n;
	struct xio_task_row *v = NULL;
	struct xio_buf list;
	size_t n = 0, i, k = 0;
	int rc;

	*out = NULL;
	rc = s->store->ops->tasks_of_thread(s->store->impl, thread_key, &v, &n, err);
	if (rc)
		return rc;
	xio_buf_init(&list, 0);
	for (i = 0; i < n; i++) {
		int64_t due;
		char *who;

		if (!task_open(v[i].status) || v[i].pending || !v[i].due ||
		    xio_sched_due_ms(v[i].due, s->tz, &due) || due > now)
			continue;
		who = mention(s, lang, v[i].owner);
		if (!who) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			break;
		}
		xio_buf_printf(&list, "%s%d. %s — %s (%s: %s)", k++ ? "\n" : "", v[i].idx + 1,
			       v[i].title, who, xio_i18n_get(t, lang, "render.due"), v[i].due);
		free(who);
	}
	if (!rc && k)
		*out = xio_i18n_fmt(t, lang, "followup.digest", "list", list.data, NULL);
	if (!rc && k && !*out)
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
	xio_buf_release(&list);
	xio_task_rows_free(v, n);
	return rc;
}

/* Renders one reminder into g, and schedules what follows from it. */
static int fire_one(struct xio_sched *s, struct group *g, const struct xio_reminder_row *rem,
		    int64_t now, struct xio_err *err)
{
	const struct xio_i18n *t = s->runner->eng->i18n;
	struct xio_consilium *c = xio_runner_load(s->runner, rem->consilium_id, err);
	json_object *task = NULL;
	char *who = NULL, *line = NULL, days[16];
	const char *lang;
	int64_t due;
	int rc = 0;

	if (!c) {
		/* its consilium is gone: nothing to say, but not an error */
		s->st.skipped++;
		return 0;
	}
	lang = c->lang[0] ? c->lang : "en";
	if (!g->c)
		g->c = c; /* the group owns the first one */
	if (rem->task_idx >= 0 && c->tasks)
		task = json_object_array_get_idx(c->tasks, (size_t)rem->task_idx);
	if (!strcmp(rem->kind, "digest")) {
		rc = digest_line(s, rem->thread_key, lang, now, &line, err);
		if (!rc && line) {
			rc = add_line(g, line, err);
			if (!rc)
				rc = ensure_digest(s, rem->thread_key, rem->consilium_id, now, now, err);
		} else if (!rc) {
			s->st.skipped++;
		}
	} else if (!strcmp(rem->kind, "review")) {
		snprintf(days, sizeof(days), "%lld", (long long)(s->review_ms / DAY_MS));
		rc = add_line(g, xio_i18n_fmt(t, lang, "followup.review", "question",
					      c->question ? c->question : "", "days", days, NULL), err);
	} else if (!task || !task_open(jstr(task, "status"))) {
		s->st.skipped++; /* done or cancelled since */
	} else {
		who = mention(s, lang, jstr(task, "owner"));
		if (!who) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto out;
		}
		rc = add_line(g, xio_i18n_fmt(t, lang,
					      !strcmp(rem->kind, "before") ? "followup.before"
					      : !strcmp(rem->kind, "due")  ? "followup.due"
									   : "followup.custom",
					      "owner", who, "title", jstr(task, "title"), "due",
					      *jstr(task, "due") ? jstr(task, "due")
								 : xio_i18n_get(t, lang, "render.no_due"),
					      NULL), err);
		/* from its due time on, the task is in the daily digest until done */
		if (!rc && !xio_sched_due_ms(jstr(task, "due"), s->tz, &due) && due <= now &&
		    strcmp(rem->kind, "before") != 0)
			rc = ensure_digest(s, rem->thread_key, rem->consilium_id, now, now, err);
	}
out:
	free(who);
	if (c != g->c)
		xio_consilium_free(c);
	return rc;
}

/* Writes the group's message (if it has lines) keyed by its first reminder. */
static int flush_group(struct xio_sched *s, struct group *g, int64_t first_id, int64_t now,
		       struct xio_err *err)
{
	const struct xio_persona *scribe = xio_personas_by_role(s->runner->eng->personas,
								XIO_ROLE_SCRIBE);
	const struct xio_i18n *t = s->runner->eng->i18n;
	struct xio_post_target ref = { 0 };
	struct xio_buf msg;
	char key[64], more[24];
	const char *lang;
	int rc = 0;

	if (!g->lines || !g->c)
		return 0;
	lang = g->c->lang[0] ? g->c->lang : "en";
	xio_buf_init(&msg, 0);
	if (g->lines == 1) {
		rc = xio_buf_puts(&msg, g->body.data);
	} else {
		/* several at once: one message, not a storm */
		rc = xio_buf_printf(&msg, "%s\n%s",
				    xio_i18n_get(t, lang, g->late ? "followup.catchup"
								  : "followup.several"),
				    g->body.data);
		if (!rc && g->more) {
			char *m;

			snprintf(more, sizeof(more), "%zu", g->more);
			m = xio_i18n_fmt(t, lang, "followup.more", "n", more, NULL);
			rc = m ? xio_buf_printf(&msg, "\n%s", m) : XIO_ENOMEM;
			free(m);
		}
	}
	if (rc) {
		xio_buf_release(&msg);
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	}
	ref.consilium_id = g->c->id;
	ref.platform = g->c->platform;
	ref.chat = g->c->chat;
	ref.thread = g->c->thread;
	ref.lang = lang;
	snprintf(key, sizeof(key), "rem:%lld", (long long)first_id);
	rc = xio_runner_post(s->runner, &ref, scribe ? scribe->id : "scribe", msg.data, key, now,
			     err);
	if (!rc)
		s->st.messages++;
	xio_buf_release(&msg);
	return rc;
}

static void group_reset(struct group *g)
{
	xio_buf_release(&g->body);
	xio_consilium_free(g->c);
	memset(g, 0, sizeof(*g));
	xio_buf_init(&g->body, 0);
}

/* One batch: returns the number of reminders handled (0 = none due), or a
 * negative code (rolled back). */
static int fire_batch(struct xio_sched *s, int64_t now, struct xio_err *err)
{
	struct xio_reminder_row *v = NULL;
	struct group g;
	size_t n = 0, i, start = 0;
	int rc;

	rc = xio_store_begin(s->store, err);
	if (rc)
		return rc;
	rc = s->store->ops->reminders_due(s->store->impl, now, BATCH, &v, &n, err);
	memset(&g, 0, sizeof(g));
	xio_buf_init(&g.body, 0);
	for (i = 0; !rc && i < n; i++) {
		if (i > start && strcmp(v[i].thread_key, v[start].thread_key) != 0) {
			rc = flush_group(s, &g, v[start].id, now, err);
			group_reset(&g);
			start = i;
			if (rc)
				break;
		}
		if (now - v[i].due_at > s->late_ms)
			g.late = 1;
		rc = fire_one(s, &g, &v[i], now, err);
		if (!rc)
			rc = s->store->ops->reminder_set_state(s->store->impl, v[i].id,
							       XIO_REMINDER_SENT, err);
	}
	if (!rc && n)
		rc = flush_group(s, &g, v[start].id, now, err);
	group_reset(&g);
	xio_buf_release(&g.body);
	if (rc) {
		xio_store_rollback(s->store);
		xio_reminder_rows_free(v, n);
		return rc;
	}
	rc = xio_store_commit(s->store, err);
	if (!rc) {
		for (i = 0; i < n; i++) {
			int64_t late = now - v[i].due_at;

			s->st.fired++;
			if (late > s->st.max_late_ms)
				s->st.max_late_ms = late;
			if (s->fire_cb)
				s->fire_cb(s->fire_ud, v[i].due_at, now);
		}
	}
	xio_reminder_rows_free(v, n);
	return rc ? rc : (int)n;
}

void xio_sched_tick(struct xio_sched *s)
{
	struct xio_err err;
	int64_t now = xio_clock_now(s->clock);
	int rc, guard = 0, any = 0;

	if (s->in_tick)
		return;
	s->in_tick = 1;
	/* in quiet hours nothing goes out; rearm waits for their end */
	if (xio_sched_quiet_end(s->tz, s->quiet_start, s->quiet_end, now) == now) {
		while ((rc = fire_batch(s, now, &err)) > 0 && ++guard < 100000)
			any = 1;
		if (rc < 0)
			xio_logf(s->log, XIO_LOG_ERROR, "followup", "sending reminders: %s", err.msg);
	}
	s->in_tick = 0;
	if (any && s->runner->outbox)
		xio_outbox_kick(s->runner->outbox);
	xio_sched_rearm(s);
}
