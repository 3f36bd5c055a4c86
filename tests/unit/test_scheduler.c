/*
 * test_scheduler.c — follow-up on a fake clock, with the real SQLite store,
 * the real engine and runner: reminder times across zones and DST changes,
 * quiet hours, /done, /snooze, /remind, the overdue digest, the review ping
 * and catch-up after downtime coalesced into one message — weeks of time in
 * milliseconds.  The scheduler runs without a loop; the test calls tick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "runner.h"
#include "scheduler.h"
#include "store.h"

#define H 3600000LL
#define D (24 * H)

struct fx {
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_runner runner;
	struct xio_clock clock;
	int64_t now;
	struct xio_sched *s;
	struct xio_log *log;
	int msg_seq;
};

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return xio_dates_days_from_civil(y, mo, d) * D + h * H + mi * 60000LL;
}

static void make_fx(struct fx *f, const char *tz, const char *quiet)
{
	struct xio_sched_opts so = { 0 };
	struct xio_err err;

	memset(f, 0, sizeof(*f));
	f->log = xio_log_new(-1, XIO_LOG_HUMAN, XIO_LOG_ERROR);
	assert_int_equal(xio_store_open_sqlite(&f->store, ":memory:", 1000, 0, &err), 0);
	assert_int_equal(xio_personas_load(&f->personas, NULL, &err), 0);
	assert_int_equal(xio_i18n_load(&f->i18n, NULL, &err), 0);
	f->eng.personas = &f->personas;
	f->eng.i18n = &f->i18n;
	f->eng.language = "en";
	f->eng.max_rounds = 3;
	f->eng.time_limit_ms = H;
	f->eng.human_timeout_ms = H;
	f->eng.require_approval = 1;
	f->clock.now_ms = xio_clock_manual_now;
	f->clock.ud = &f->now;
	xio_runner_init(&f->runner, NULL, &f->store, &f->eng, NULL, f->log, &f->clock);
	so.remind_before_ms = 24 * H;
	so.review_after_ms = 14 * D;
	so.digest_hour = 9;
	so.quiet_hours = quiet;
	so.timezone = tz;
	assert_int_equal(xio_sched_new(&f->s, NULL, &f->runner, &so, f->log, &err), 0);
	f->eng.tz = xio_sched_tz(f->s);
}

static void free_fx(struct fx *f)
{
	xio_sched_free(f->s);
	xio_runner_release(&f->runner);
	xio_store_close(&f->store);
	xio_i18n_release(&f->i18n);
	xio_personas_release(&f->personas);
	xio_log_free(f->log);
}

/* An approved consilium in thread "t:1" with tasks [title, owner, due]. */
static int64_t approved(struct fx *f, const char *thread_key, const char *const tasks[][3],
			size_t n)
{
	struct xio_consilium *c = xio_consilium_new();
	struct xio_consilium_row row = { 0 };
	struct xio_err err;
	size_t i;

	c->thread_key = strdup(thread_key);
	c->workspace = strdup("w");
	c->platform = strdup("console");
	c->chat = strdup("local");
	c->thread = strdup("");
	c->question = strdup("Which database for billing?");
	c->outcome = strdup("approved");
	strcpy(c->lang, "en");
	c->phase = XIO_PHASE_CLOSED;
	c->decision = json_tokener_parse("{\"question\":\"Which database for billing?\","
					 "\"decision\":\"Postgres\",\"status\":\"approved\"}");
	c->tasks = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "title", json_object_new_string(tasks[i][0]));
		json_object_object_add(t, "owner", json_object_new_string(tasks[i][1]));
		json_object_object_add(t, "due", tasks[i][2] ? json_object_new_string(tasks[i][2]) : NULL);
		json_object_object_add(t, "priority", json_object_new_string("medium"));
		json_object_object_add(t, "status", json_object_new_string("open"));
		json_object_object_add(t, "confidence", json_object_new_double(0.9));
		json_object_array_add(c->tasks, t);
	}
	row.thread_key = c->thread_key;
	row.workspace = c->workspace;
	row.question = c->question;
	row.phase = "closed";
	row.state_json = xio_consilium_to_json(c);
	row.created_at = row.updated_at = f->now;
	assert_int_equal(xio_store_begin(&f->store, &err), 0);
	assert_int_equal(f->store.ops->consilium_insert(f->store.impl, &row, &err), 0);
	c->id = row.id;
	free(row.state_json);
	row.state_json = xio_consilium_to_json(c);
	assert_int_equal(f->store.ops->consilium_update(f->store.impl, &row, &err), 0);
	assert_int_equal(f->store.ops->decision_put(f->store.impl, c->id, "w", "approved",
						    json_object_to_json_string(c->decision),
						    json_object_to_json_string(c->tasks), f->now, &err),
			 0);
	assert_int_equal(xio_store_commit(&f->store, &err), 0);
	free(row.state_json);
	xio_consilium_free(c);
	assert_int_equal(xio_sched_schedule(f->s, row.id, 0, 0, &err), 0);
	return row.id;
}

/* The texts of post rows written so far, joined by "\n---\n" (caller frees). */
static char *posts(struct fx *f, size_t *count)
{
	struct xio_outbox_row *v = NULL;
	struct xio_buf b;
	struct xio_err err;
	size_t n = 0, i;

	assert_int_equal(f->store.ops->outbox_list(f->store.impl, 0, &v, &n, &err), 0);
	xio_buf_init(&b, 0);
	*count = 0;
	for (i = 0; i < n; i++) {
		json_object *p, *t;

		if (strcmp(v[i].kind, "post") || strncmp(v[i].key, "rem:", 4))
			continue;
		p = json_tokener_parse(v[i].payload);
		json_object_object_get_ex(p, "text", &t);
		xio_buf_printf(&b, "%s%s", b.len ? "\n---\n" : "", json_object_get_string(t));
		json_object_put(p);
		(*count)++;
	}
	xio_outbox_rows_free(v, n);
	return b.data ? xio_buf_detach(&b) : strdup("");
}

static void say(struct fx *f, const char *thread_key, const char *author, const char *text)
{
	struct xio_inbound in = { 0 };
	struct xio_err err;
	char id[32];

	snprintf(id, sizeof(id), "m%d", ++f->msg_seq);
	in.platform = "console";
	in.chat = "local";
	in.thread = "";
	in.thread_key = thread_key;
	in.workspace = "w";
	in.author = author;
	in.text = text;
	in.msg_id = id;
	assert_int_equal(xio_runner_input(&f->runner, &in, &err), 0);
}

static size_t count_state(struct fx *f, int state)
{
	struct xio_reminder_row *v = NULL;
	struct xio_err err;
	size_t n = 0, i, k = 0;

	assert_int_equal(f->store.ops->reminders_list(f->store.impl, 0, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		k += v[i].state == state;
	xio_reminder_rows_free(v, n);
	return k;
}

static int64_t at_of(struct fx *f, const char *key)
{
	struct xio_reminder_row *v = NULL;
	struct xio_err err;
	size_t n = 0, i;
	int64_t at = -1;

	assert_int_equal(f->store.ops->reminders_list(f->store.impl, 0, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			at = v[i].due_at;
	xio_reminder_rows_free(v, n);
	return at;
}

/* ---- pure helpers -------------------------------------------------------- */

static void test_parse_when(void **state)
{
	struct xio_err err;
	struct xio_tz *tz = xio_tz_new("Europe/Berlin", &err);
	int64_t now = utc(2025, 3, 26, 10, 0), at; /* a Wednesday, 11:00 CET */

	(void)state;
	assert_non_null(tz);
	assert_int_equal(xio_sched_parse_when("2d", now, tz, &at), 1);
	assert_int_equal(at, now + 2 * D);
	assert_int_equal(xio_sched_parse_when(" 3h", now, tz, &at), 1);
	assert_int_equal(at, now + 3 * H);
	assert_int_equal(xio_sched_parse_when("1w", now, tz, &at), 1);
	assert_int_equal(at, now + 7 * D);
	assert_int_equal(xio_sched_parse_when("30 min", now, tz, &at), 1);
	assert_int_equal(at, now + 30 * 60000);
	assert_int_equal(xio_sched_parse_when("in 2 days", now, tz, &at), 1);
	assert_int_equal(at, now + 2 * D);
	assert_int_equal(xio_sched_parse_when("через 3 часа", now, tz, &at), 1);
	assert_int_equal(at, now + 3 * H);
	assert_int_equal(xio_sched_parse_when("2д", now, tz, &at), 1);
	assert_int_equal(at, now + 2 * D);
	/* Monday 31 March is after the DST change: 09:00 CEST = 07:00 UTC */
	assert_int_equal(xio_sched_parse_when("until Monday", now, tz, &at), 1);
	assert_int_equal(at, utc(2025, 3, 31, 7, 0));
	assert_int_equal(xio_sched_parse_when("до понедельника", now, tz, &at), 1);
	assert_int_equal(at, utc(2025, 3, 31, 7, 0));
	assert_int_equal(xio_sched_parse_when("tomorrow 15:00", now, tz, &at), 1);
	assert_int_equal(at, utc(2025, 3, 27, 14, 0));
	assert_int_equal(xio_sched_parse_when("runbook 2d", now, tz, &at), 0);
	assert_int_equal(xio_sched_parse_when("2 days", now, tz, &at), 1);
	assert_int_equal(xio_sched_parse_when("2", now, tz, &at), 0);
	assert_int_equal(xio_sched_parse_when("2x", now, tz, &at), 0);
	assert_int_equal(xio_sched_parse_when("0d", now, tz, &at), 0);
	assert_int_equal(xio_sched_parse_when("9999999d", now, tz, &at), 0);
	assert_int_equal(xio_sched_parse_when("", now, tz, &at), 0);
	xio_tz_free(tz);
}

static void test_due_across_zones_and_dst(void **state)
{
	struct xio_err err;
	struct xio_tz *ber = xio_tz_new("Europe/Berlin", &err);
	struct xio_tz *ny = xio_tz_new("America/New_York", &err);
	struct xio_tz *msk = xio_tz_new("Europe/Moscow", &err);
	int64_t ms;

	(void)state;
	assert_non_null(ber);
	assert_non_null(ny);
	assert_non_null(msk);
	/* a date means 09:00 local: CET in winter, CEST on the day DST starts */
	assert_int_equal(xio_sched_due_ms("2025-03-29", ber, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 29, 8, 0));
	assert_int_equal(xio_sched_due_ms("2025-03-30", ber, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 30, 7, 0));
	assert_int_equal(xio_sched_due_ms("2025-10-26", ber, &ms), 0);
	assert_int_equal(ms, utc(2025, 10, 26, 8, 0));
	assert_int_equal(xio_sched_due_ms("2025-03-09", ny, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 9, 13, 0));
	assert_int_equal(xio_sched_due_ms("2025-03-08", ny, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 8, 14, 0));
	assert_int_equal(xio_sched_due_ms("2025-03-09", msk, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 9, 6, 0));
	/* a date-time carries its own offset, whatever the chat's zone */
	assert_int_equal(xio_sched_due_ms("2025-03-30T15:00:00+02:00", ny, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 30, 13, 0));
	assert_int_equal(xio_sched_due_ms("2025-03-30T15:00:00Z", ber, &ms), 0);
	assert_int_equal(ms, utc(2025, 3, 30, 15, 0));
	assert_int_equal(xio_sched_due_ms("2025-13-01", ber, &ms), XIO_EINVAL);
	assert_int_equal(xio_sched_due_ms("soon", ber, &ms), XIO_EINVAL);
	assert_int_equal(xio_sched_due_ms("2025-03-30T15:00+0200", ber, &ms), XIO_EINVAL);
	xio_tz_free(ber);
	xio_tz_free(ny);
	xio_tz_free(msk);
}

static void test_quiet_hours(void **state)
{
	struct xio_err err;
	struct xio_tz *ber = xio_tz_new("Europe/Berlin", &err);
	int s, e;

	(void)state;
	assert_int_equal(xio_sched_quiet_parse("22:00-08:00", &s, &e, &err), 0);
	assert_int_equal(s, 22 * 60);
	assert_int_equal(e, 8 * 60);
	assert_int_equal(xio_sched_quiet_parse("", &s, &e, &err), 0);
	assert_int_equal(s, -1);
	assert_int_equal(xio_sched_quiet_parse("22-8", &s, &e, &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, "22-8"));
	assert_int_equal(xio_sched_quiet_parse("25:00-08:00", &s, &e, &err), XIO_EINVAL);
	/* 23:30 CET -> 08:00 CET next morning */
	assert_int_equal(xio_sched_quiet_end(ber, 22 * 60, 8 * 60, utc(2025, 1, 10, 22, 30)),
			 utc(2025, 1, 11, 7, 0));
	/* 06:00 CET -> 08:00 the same morning */
	assert_int_equal(xio_sched_quiet_end(ber, 22 * 60, 8 * 60, utc(2025, 1, 10, 5, 0)),
			 utc(2025, 1, 10, 7, 0));
	/* noon: not quiet */
	assert_int_equal(xio_sched_quiet_end(ber, 22 * 60, 8 * 60, utc(2025, 1, 10, 11, 0)),
			 utc(2025, 1, 10, 11, 0));
	/* the night DST starts: 23:00 CET -> 08:00 CEST (06:00 UTC) */
	assert_int_equal(xio_sched_quiet_end(ber, 22 * 60, 8 * 60, utc(2025, 3, 29, 22, 0)),
			 utc(2025, 3, 30, 6, 0));
	/* a daytime window 12:00-13:00 */
	assert_int_equal(xio_sched_quiet_end(ber, 12 * 60, 13 * 60, utc(2025, 1, 10, 11, 15)),
			 utc(2025, 1, 10, 12, 0));
	xio_tz_free(ber);
}

/* ---- the scheduler -------------------------------------------------------- */

static const char *const tasks3[][3] = {
	{ "write the rollback runbook", "Carol", "2025-03-31" },
	{ "set up the Postgres replica", "Bob", "2025-03-30T15:00:00+02:00" },
	{ "check the exports", "", NULL },
};

static void test_schedule_and_fire(void **state)
{
	struct fx f;
	char *text;
	size_t n;
	int64_t cid;
	struct xio_sched_stats st;

	(void)state;
	make_fx(&f, "Europe/Berlin", "");
	f.now = utc(2025, 3, 26, 10, 0);
	cid = approved(&f, "t:1", tasks3, 3);
	/* before/due for two tasks with a due date, and the review ping */
	assert_int_equal(count_state(&f, XIO_REMINDER_PENDING), 5);
	assert_int_equal(at_of(&f, "c1:t0:due"), utc(2025, 3, 31, 7, 0));
	/* 24 elapsed hours before 09:00 CEST Monday is 08:00 CEST Sunday */
	assert_int_equal(at_of(&f, "c1:t0:before"), utc(2025, 3, 30, 7, 0));
	assert_int_equal(at_of(&f, "c1:t1:due"), utc(2025, 3, 30, 13, 0));
	assert_int_equal(at_of(&f, "c1:t1:before"), utc(2025, 3, 29, 13, 0));
	assert_int_equal(at_of(&f, "c1:review"), f.now + 14 * D);
	/* scheduling again writes nothing twice */
	assert_int_equal(xio_sched_schedule(f.s, cid, 0, 0, NULL), 0);
	assert_int_equal(count_state(&f, XIO_REMINDER_PENDING), 5);
	assert_int_equal(xio_sched_armed_at(f.s), utc(2025, 3, 29, 13, 0));

	/* nothing before its time */
	f.now = utc(2025, 3, 29, 12, 59);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 0);
	free(text);
	f.now = utc(2025, 3, 29, 13, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "Reminder: @Bob, “set up the Postgres replica” is due"));
	free(text);
	assert_int_equal(xio_sched_armed_at(f.s), utc(2025, 3, 30, 7, 0));
	/* a second tick at the same time sends nothing again */
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 1);
	free(text);

	/* /done stops the rest of Bob's reminders (routed to the closed consilium) */
	say(&f, "t:1", "Bob", "/done replica");
	f.now = utc(2025, 3, 30, 7, 0);
	xio_sched_tick(f.s);
	f.now = utc(2025, 3, 30, 13, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(text, "@Carol, “write the rollback runbook” is due"));
	assert_null(strstr(text, "is due now (2025-03-30T15"));
	free(text);
	xio_sched_stats(f.s, &st);
	assert_int_equal(st.messages, 2);
	free_fx(&f);
}

static void test_snooze_remind_and_digest(void **state)
{
	struct fx f;
	char *text;
	size_t n;

	(void)state;
	make_fx(&f, "Europe/Berlin", "");
	f.now = utc(2025, 3, 26, 10, 0); /* Wednesday */
	approved(&f, "t:1", tasks3, 3);
	/* snooze Carol's task until Monday: its pending ones are replaced */
	say(&f, "t:1", "Carol", "/snooze runbook until Monday");
	assert_int_equal(at_of(&f, "c1:t0:before"), utc(2025, 3, 30, 7, 0));
	assert_int_equal(count_state(&f, XIO_REMINDER_CANCELLED), 2);
	/* /remind adds one for task 3 in 3 hours */
	say(&f, "t:1", "Bob", "/remind 3 in 3 hours");
	assert_int_equal(xio_sched_armed_at(f.s), f.now + 3 * H);
	f.now += 3 * H;
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "Reminder: unassigned, “check the exports”"));
	free(text);

	/* Bob's task comes due and is not done: from the next morning on the
	 * thread gets one digest a day */
	f.now = utc(2025, 3, 30, 13, 0);
	xio_sched_tick(f.s); /* before (Sat) and due (Sun) both sent, coalesced */
	text = posts(&f, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(text, "Missed while I was offline:"));
	free(text);
	/* Monday 09:00 CEST: the snoozed reminder and the first digest, one message */
	f.now = utc(2025, 3, 31, 7, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(text, "Reminders:\nReminder: @Carol, “write the rollback runbook”"));
	assert_non_null(strstr(text, "Overdue tasks:\n"));
	assert_non_null(strstr(text, "2. set up the Postgres replica — @Bob"));
	free(text);
	/* Tuesday: both overdue now */
	f.now = utc(2025, 4, 1, 7, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 4);
	assert_non_null(strstr(text, "Overdue tasks:\n1. write the rollback runbook — @Carol"));
	free(text);
	/* all done: the next digest finds nothing, says nothing and stops */
	say(&f, "t:1", "Carol", "/done 1");
	say(&f, "t:1", "Bob", "/done 2");
	f.now = utc(2025, 4, 2, 7, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 4);
	free(text);
	/* only the review ping is left */
	assert_int_equal(count_state(&f, XIO_REMINDER_PENDING), 1);
	f.now = utc(2025, 4, 9, 10, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(text, "14 days ago we decided on “Which database for billing?”. Was it the right call?"));
	free(text);
	assert_int_equal(xio_sched_armed_at(f.s), 0);
	free_fx(&f);
}

static void test_catch_up_after_downtime(void **state)
{
	static const char *const many[][3] = {
		{ "task one", "Ann", "2025-02-03" }, { "task two", "Ben", "2025-02-04" },
		{ "task three", "Cy", "2025-02-05" },
	};
	struct fx f;
	char *text, *p;
	size_t n, lines = 0;

	(void)state;
	make_fx(&f, "UTC", "");
	f.now = utc(2025, 2, 1, 10, 0);
	approved(&f, "t:1", many, 3);
	approved(&f, "t:2", many, 1);
	/* down for three weeks: everything due goes out once, one message per
	 * thread, not a storm */
	f.now = utc(2025, 2, 22, 10, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(text, "Missed while I was offline:"));
	for (p = text; (p = strstr(p, "Reminder:")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 4); /* three "before"s in t:1, one in t:2 */
	assert_non_null(strstr(text, "@Ann, “task one” is due now"));
	assert_non_null(strstr(text, "Was it the right call?")); /* reviews were due too */
	free(text);
	assert_int_equal(count_state(&f, XIO_REMINDER_PENDING), 2); /* tomorrow's digests */
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 2);
	free(text);
	free_fx(&f);
}

static void test_quiet_hours_delay(void **state)
{
	static const char *const late[][3] = { { "ship it", "Dee", "2025-01-20T23:00:00+01:00" } };
	struct fx f;
	char *text;
	size_t n;

	(void)state;
	make_fx(&f, "Europe/Berlin", "22:00-08:00");
	f.now = utc(2025, 1, 10, 10, 0);
	approved(&f, "t:1", late, 1);
	/* the "before" at 23:00 the day before falls in quiet hours */
	f.now = utc(2025, 1, 19, 22, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 0);
	free(text);
	assert_int_equal(xio_sched_armed_at(f.s), utc(2025, 1, 20, 7, 0));
	f.now = utc(2025, 1, 20, 7, 0);
	xio_sched_tick(f.s);
	text = posts(&f, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "@Dee, “ship it” is due"));
	free(text);
	free_fx(&f);
}

static void test_commands_outside_followup(void **state)
{
	struct fx f;
	struct xio_outbox_row *v = NULL;
	struct xio_err err;
	size_t n = 0, i;
	int found = 0;

	(void)state;
	make_fx(&f, "UTC", "");
	f.now = utc(2025, 1, 10, 10, 0);
	/* no consilium at all: the idle hint */
	say(&f, "t:9", "Bob", "/done 1");
	approved(&f, "t:1", tasks3, 3);
	say(&f, "t:1", "Bob", "/done nonexistent");
	say(&f, "t:1", "Bob", "/snooze 1 whenever");
	say(&f, "t:1", "Bob", "/done");
	assert_int_equal(f.store.ops->outbox_list(f.store.impl, 0, &v, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strstr(v[i].payload, "/done works in a consilium"))
			found |= 1;
		if (strstr(v[i].payload, "No task matches"))
			found |= 2;
		if (strstr(v[i].payload, "did not understand when"))
			found |= 4;
		if (strstr(v[i].payload, "Done: “set up the Postgres replica”"))
			found |= 8; /* Bob's only open task */
		if (!strcmp(v[i].kind, "task_status"))
			found |= 16;
	}
	xio_outbox_rows_free(v, n);
	assert_int_equal(found, 31);
	free_fx(&f);
}

/* A new consilium runs in the thread and has no tasks yet: /done and
 * /snooze reach the tasks of the decision approved before it. */
static void test_followup_while_new_consilium_runs(void **state)
{
	struct fx f;
	struct xio_outbox_row *v = NULL;
	struct xio_err err;
	size_t n = 0, i;
	int found = 0;

	(void)state;
	make_fx(&f, "UTC", "");
	f.now = utc(2025, 1, 10, 10, 0);
	approved(&f, "t:1", tasks3, 3);
	say(&f, "t:1", "Alice", "/consilium And the reporting database?");
	say(&f, "t:1", "Bob", "/done 2");
	say(&f, "t:1", "Carol", "/snooze runbook 1d");
	assert_int_equal(f.store.ops->outbox_list(f.store.impl, 0, &v, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strstr(v[i].payload, "Done: “set up the Postgres replica”"))
			found |= 1;
		if (strstr(v[i].payload, "Snoozed “write the rollback runbook”"))
			found |= 2;
		if (strstr(v[i].payload, "Follow-up commands work on"))
			found |= 4;
	}
	xio_outbox_rows_free(v, n);
	assert_int_equal(found, 3);
	free_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_when),
		cmocka_unit_test(test_due_across_zones_and_dst),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_schedule_and_fire),
		cmocka_unit_test(test_snooze_remind_and_digest),
		cmocka_unit_test(test_catch_up_after_downtime),
		cmocka_unit_test(test_quiet_hours_delay),
		cmocka_unit_test(test_followup_while_new_consilium_runs),
		cmocka_unit_test(test_commands_outside_followup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
