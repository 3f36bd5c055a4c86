/*
 * test_engine.c — the consilium state machine with no store, no network and
 * no adapter: every phase transition, command and policy, and bad orders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"

struct fx {
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_consilium *c;
	struct xio_actions a;
	int64_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct xio_err err;

	assert_int_equal(xio_personas_load(&f->personas, NULL, &err), 0);
	assert_int_equal(xio_i18n_load(&f->i18n, NULL, &err), 0);
	f->eng.personas = &f->personas;
	f->eng.i18n = &f->i18n;
	f->eng.language = "auto";
	f->eng.max_rounds = 2;
	f->eng.time_limit_ms = 3600 * 1000;
	f->eng.human_timeout_ms = 600 * 1000;
	f->eng.require_approval = 1;
	f->c = xio_consilium_new();
	f->c->id = 7;
	f->now = 1764000000000LL;
	xio_actions_init(&f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	xio_actions_release(&f->a);
	xio_consilium_free(f->c);
	xio_i18n_release(&f->i18n);
	xio_personas_release(&f->personas);
	free(f);
	return 0;
}

static void ev(struct fx *f, enum xio_event_kind kind, const char *author, const char *text)
{
	struct xio_event e = { 0 };

	xio_actions_release(&f->a);
	xio_actions_init(&f->a);
	e.kind = kind;
	e.now = f->now;
	e.author = author;
	e.text = text;
	assert_int_equal(xio_engine_step(&f->eng, f->c, &e, &f->a), 0);
}

/* Does any POST of the last step contain needle? */
static int posted(struct fx *f, const char *needle)
{
	size_t i;

	for (i = 0; i < f->a.n; i++)
		if (f->a.v[i].kind == XIO_ACT_POST && strstr(f->a.v[i].text, needle))
			return 1;
	return 0;
}

static int has_action(struct fx *f, enum xio_action_kind k)
{
	size_t i;

	for (i = 0; i < f->a.n; i++)
		if (f->a.v[i].kind == k)
			return 1;
	return 0;
}

static void start(struct fx *f, const char *q)
{
	ev(f, XIO_EV_START, "Alice", q);
}

static void decide_ready(struct fx *f)
{
	struct xio_event e = { 0 };
	json_object *log = json_tokener_parse(
		"{\"question\":\"Q\",\"alternatives\":[{\"title\":\"A\",\"pros\":[\"fast\"],\"cons\":[]}],"
		"\"decision\":\"Go with A\",\"rationale\":\"cheaper\",\"risks\":[{\"description\":\"lag\","
		"\"impact\":4,\"probability\":2,\"mitigation\":\"monitor\"}]}");
	json_object *tasks = json_tokener_parse(
		"[{\"title\":\"Write plan\",\"owner\":\"Bob\",\"due\":\"2026-12-01\",\"priority\":\"high\","
		"\"status\":\"open\",\"confidence\":0.8}]");

	xio_actions_release(&f->a);
	xio_actions_init(&f->a);
	e.kind = XIO_EV_DECISION_READY;
	e.now = f->now;
	e.log = log;
	e.tasks = tasks;
	e.source = "extractor";
	assert_int_equal(xio_engine_step(&f->eng, f->c, &e, &f->a), 0);
	json_object_put(log);
	json_object_put(tasks);
}

static void test_start_preparation_to_discussion(void **state)
{
	struct fx *f = *state;

	start(f, "Should we move billing to Postgres?");
	assert_int_equal(f->c->phase, XIO_PHASE_DISCUSSION);
	assert_string_equal(f->c->lang, "en");
	assert_true(posted(f, "Should we move billing to Postgres?"));
	assert_true(posted(f, "Agenda"));
	assert_true(posted(f, "missing context"));
	assert_true(posted(f, "Round 1 of 2"));
	assert_true(posted(f, "Alice, your view?"));
	assert_string_equal(f->c->waiting_for, "Alice");
	assert_int_equal(xio_consilium_wake_at(f->c), f->now + 600 * 1000);
	assert_true(xio_consilium_needs_human(f->c));
}

static void test_russian_detected(void **state)
{
	struct fx *f = *state;

	start(f, "Переносим ли биллинг в Postgres?");
	assert_string_equal(f->c->lang, "ru");
	assert_true(posted(f, "Вопрос"));
	assert_true(posted(f, "Alice, ваше мнение?"));
}

static void test_precedents_recalled(void **state)
{
	struct fx *f = *state;
	const char *q[] = { "Postgres for billing?" }, *d[] = { "Yes, in Q1" };
	struct xio_event e = { .kind = XIO_EV_START, .author = "Alice", .text = "Postgres again?" };

	e.now = f->now;
	e.precedent_questions = q;
	e.precedent_decisions = d;
	e.nprecedents = 1;
	assert_int_equal(xio_engine_step(&f->eng, f->c, &e, &f->a), 0);
	assert_true(posted(f, "Earlier decisions"));
	assert_true(posted(f, "Yes, in Q1"));
}

static void test_round_robin_rounds_then_decision(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_MESSAGE, "Bob", "I think A");   /* joins; Alice still awaited */
	assert_string_equal(f->c->waiting_for, "Alice");
	assert_int_equal(f->c->nparts, 2);
	ev(f, XIO_EV_MESSAGE, "Alice", "I prefer B"); /* round 1 done */
	assert_true(posted(f, "Round 2 of 2"));
	assert_true(posted(f, "Alice, your view?"));
	assert_int_equal(f->c->round, 2);
	ev(f, XIO_EV_MESSAGE, "Alice", "still B");
	assert_true(posted(f, "Bob, your view?"));
	ev(f, XIO_EV_MESSAGE, "Bob", "ok B");
	assert_int_equal(f->c->phase, XIO_PHASE_DECISION);
	assert_true(posted(f, "last round"));
	assert_true(has_action(f, XIO_ACT_PRODUCE));
	assert_false(xio_consilium_needs_human(f->c));
	assert_int_equal(xio_consilium_wake_at(f->c), 0);
}

static void test_decision_approval_close(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	assert_int_equal(f->c->phase, XIO_PHASE_DECISION);
	decide_ready(f);
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
	assert_true(has_action(f, XIO_ACT_RECORD));
	assert_true(posted(f, "Go with A"));
	assert_true(posted(f, "Write plan"));
	assert_true(posted(f, "4×2=8"));
	assert_true(posted(f, "/approve"));
	ev(f, XIO_EV_COMMAND, "Bob", "/approve");
	assert_int_equal(f->c->phase, XIO_PHASE_CLOSED);
	assert_string_equal(f->c->outcome, "approved");
	assert_true(has_action(f, XIO_ACT_EXPORT));
	assert_true(has_action(f, XIO_ACT_REMIND));
	assert_true(posted(f, "approved by Bob"));
}

static void test_no_approval_required(void **state)
{
	struct fx *f = *state;

	f->eng.require_approval = 0;
	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	assert_int_equal(f->c->phase, XIO_PHASE_CLOSED);
}

static void test_bad_orders(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/approve");
	assert_true(posted(f, "Nothing to approve yet"));
	assert_int_equal(f->c->phase, XIO_PHASE_DISCUSSION);
	ev(f, XIO_EV_COMMAND, "Alice", "/resume");
	assert_true(posted(f, "not paused"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend decision X");
	assert_true(posted(f, "Only a draft"));
	ev(f, XIO_EV_COMMAND, "Alice", "/frobnicate now");
	assert_true(posted(f, "/frobnicate"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend");
	assert_true(posted(f, "Usage: /amend"));
	ev(f, XIO_EV_COMMAND, "Alice", "/consilium another question");
	assert_true(posted(f, "already running"));
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	assert_true(posted(f, "/decide ends a discussion"));
	ev(f, XIO_EV_COMMAND, "Alice", "/pause");
	assert_true(posted(f, "Only a discussion can be paused"));
}

static void test_pause_resume_stop(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/pause");
	assert_true(f->c->paused);
	assert_int_equal(xio_consilium_wake_at(f->c), 0);
	ev(f, XIO_EV_COMMAND, "Alice", "/pause");
	assert_true(posted(f, "Already paused"));
	ev(f, XIO_EV_MESSAGE, "Alice", "while paused");
	assert_int_equal(f->a.n, 0); /* recorded, but nobody is called on */
	assert_true(f->a.record_input);
	f->now += 5000;
	ev(f, XIO_EV_COMMAND, "Bob", "/resume");
	assert_false(f->c->paused);
	assert_true(posted(f, "Resumed by Bob"));
	assert_true(posted(f, "your view?"));
	ev(f, XIO_EV_COMMAND, "Bob", "/stop");
	assert_int_equal(f->c->phase, XIO_PHASE_CLOSED);
	assert_string_equal(f->c->outcome, "stopped");
	assert_false(has_action(f, XIO_ACT_RECORD)); /* no draft to mark */
	ev(f, XIO_EV_COMMAND, "Bob", "/stop");
	assert_true(posted(f, "already closed"));
}

/* A draft without a decision is not approved: it would be recorded, and
 * recalled as a precedent, as "no decision". */
static void test_approve_needs_a_decision(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
	json_object_object_add(f->c->decision, "decision", json_object_new_string(""));
	ev(f, XIO_EV_COMMAND, "Bob", "/approve");
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
	assert_true(f->a.refused);
	assert_true(posted(f, "/amend decision"));
	assert_false(has_action(f, XIO_ACT_RECORD));
	ev(f, XIO_EV_COMMAND, "Bob", "/amend decision Go with B");
	/* a corrected question is the consilium's question from then on */
	ev(f, XIO_EV_COMMAND, "Bob", "/amend question Which queue for billing?");
	assert_string_equal(f->c->question, "Which queue for billing?");
	ev(f, XIO_EV_COMMAND, "Bob", "/approve");
	assert_int_equal(f->c->phase, XIO_PHASE_CLOSED);
	assert_string_equal(f->c->outcome, "approved");
}

/* A draft a /stop leaves behind is recorded as stopped, not left a draft. */
static void test_stop_marks_the_draft(void **state)
{
	struct fx *f = *state;
	size_t i;
	int stopped = 0;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
	ev(f, XIO_EV_COMMAND, "Bob", "/stop");
	assert_int_equal(f->c->phase, XIO_PHASE_CLOSED);
	for (i = 0; i < f->a.n; i++)
		if (f->a.v[i].kind == XIO_ACT_RECORD && !strcmp(f->a.v[i].status, "stopped"))
			stopped = 1;
	assert_true(stopped);
}

static void test_timers(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_MESSAGE, "Bob", "hi");
	f->now += 601 * 1000;
	ev(f, XIO_EV_TIMER, NULL, NULL);
	assert_true(posted(f, "Alice has not answered"));
	assert_true(posted(f, "Round 2"));
	f->now += 3600 * 1000;
	ev(f, XIO_EV_TIMER, NULL, NULL);
	assert_true(posted(f, "time limit"));
	assert_int_equal(f->c->phase, XIO_PHASE_DECISION);
}

static void test_info_commands(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/status");
	assert_true(posted(f, "Phase: discussion"));
	assert_true(posted(f, "Waiting for: Alice"));
	ev(f, XIO_EV_COMMAND, "Alice", "/participants");
	assert_true(posted(f, "Alice (human"));
	ev(f, XIO_EV_COMMAND, "Alice", "/agenda Budget; Timeline ;; Owners");
	assert_int_equal(f->c->nagenda, 3);
	assert_true(posted(f, "2. Timeline"));
	ev(f, XIO_EV_COMMAND, "Alice", "/agenda");
	assert_true(posted(f, "3. Owners"));
	ev(f, XIO_EV_COMMAND, "Alice", "/tasks");
	assert_true(posted(f, "No tasks yet"));
	ev(f, XIO_EV_COMMAND, "Alice", "/help");
	assert_true(posted(f, "/amend <field> <text>"));
	ev(f, XIO_EV_COMMAND, "Alice", "/xio@xio_bot status");
	assert_true(posted(f, "already running"));
	ev(f, XIO_EV_COMMAND, "Alice", "/STATUS");
	assert_true(posted(f, "Phase"));
}

static void test_amend(void **state)
{
	struct fx *f = *state;

	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	ev(f, XIO_EV_COMMAND, "Alice", "/amend decision Go with B");
	assert_true(posted(f, "Go with B"));
	assert_true(has_action(f, XIO_ACT_RECORD));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend risk vendor lock-in");
	assert_true(posted(f, "vendor lock-in (3×3=9)"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task Migrate data @Carol");
	assert_true(posted(f, "Migrate data — owner: Carol"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 owner Dave");
	assert_true(posted(f, "Write plan — owner: Dave"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 9 owner Dave");
	assert_true(posted(f, "There is no task 9 (the draft has 2)"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend colour blue");
	assert_true(posted(f, "Usage"));
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
}

/* Field k of task i (1-based) of the draft, "null" when JSON null. */
static const char *task_field(struct fx *f, size_t i, const char *k)
{
	json_object *t = json_object_array_get_idx(f->c->tasks, i - 1), *v = NULL;

	assert_non_null(t);
	assert_true(json_object_object_get_ex(t, k, &v));
	return v ? json_object_get_string(v) : "null";
}

/* /amend task n due|priority|owner: dates read like /snooze's, impossible
 * and past ones refused by name, values people type accepted as typed. */
static void test_amend_task_fields(void **state)
{
	struct fx *f = *state;

	start(f, "Q?"); /* Monday 2025-11-24 16:00 UTC */
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due 2026-02-30");
	assert_true(posted(f, "“2026-02-30” is not a real date"));
	assert_string_equal(task_field(f, 1, "due"), "2026-12-01");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due 2020-01-01");
	assert_true(posted(f, "“2020-01-01” is in the past"));
	assert_string_equal(task_field(f, 1, "due"), "2026-12-01");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due whenever");
	assert_true(posted(f, "could not read “whenever” as a date"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due next Friday");
	assert_string_equal(task_field(f, 1, "due"), "2025-12-05");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due Friday");
	assert_string_equal(task_field(f, 1, "due"), "2025-11-28");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due Dec 10");
	assert_string_equal(task_field(f, 1, "due"), "2025-12-10");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due 2026-12-10 15:00");
	assert_string_equal(task_field(f, 1, "due"), "2026-12-10T15:00:00+00:00");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due завтра");
	assert_string_equal(task_field(f, 1, "due"), "2025-11-25");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 due none");
	assert_string_equal(task_field(f, 1, "due"), "null");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 priority HIGH");
	assert_string_equal(task_field(f, 1, "priority"), "high");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 priority urgent");
	assert_true(posted(f, "“urgent” is not a priority"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 STATUS Open");
	assert_string_equal(task_field(f, 1, "status"), "open");
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 1 owner @Carol");
	assert_string_equal(task_field(f, 1, "owner"), "Carol");
	assert_true(posted(f, "owner: Carol;"));
	ev(f, XIO_EV_COMMAND, "Alice", "/amend task 9 owner Zed");
	assert_true(posted(f, "There is no task 9 (the draft has 1)"));
	assert_int_equal(f->c->phase, XIO_PHASE_APPROVAL);
}

static void approve_draft(struct fx *f)
{
	start(f, "Q?");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	ev(f, XIO_EV_COMMAND, "Alice", "/approve");
	assert_string_equal(f->c->outcome, "approved");
}

/* /done without a task closes only the author's own; someone else's is
 * asked about, even when it is the only one open. */
static void test_done_without_task_asks_unless_own(void **state)
{
	struct fx *f = *state;

	approve_draft(f); /* one task: "Write plan", Bob's */
	ev(f, XIO_EV_COMMAND, "Alice", "/done");
	assert_true(posted(f, "Which task?"));
	assert_true(posted(f, "1. Write plan"));
	assert_false(has_action(f, XIO_ACT_TASK_STATUS));
	assert_string_equal(task_field(f, 1, "status"), "open");
	ev(f, XIO_EV_COMMAND, "bob", "/done");
	assert_true(posted(f, "Done: “Write plan”"));
	assert_string_equal(task_field(f, 1, "status"), "done");
}

/* A done task is not reopened by /snooze nor reminded of by /remind. */
static void test_snooze_remind_done_task_refused(void **state)
{
	struct fx *f = *state;

	approve_draft(f);
	ev(f, XIO_EV_COMMAND, "Bob", "/done 1");
	ev(f, XIO_EV_COMMAND, "Bob", "/snooze 1 1d");
	assert_true(posted(f, "“Write plan” is already done"));
	assert_false(has_action(f, XIO_ACT_SCHEDULE));
	assert_false(has_action(f, XIO_ACT_TASK_STATUS));
	assert_string_equal(task_field(f, 1, "status"), "done");
	ev(f, XIO_EV_COMMAND, "Bob", "/remind 1 in 3 hours");
	assert_true(posted(f, "“Write plan” is already done"));
	assert_false(has_action(f, XIO_ACT_SCHEDULE));
	ev(f, XIO_EV_COMMAND, "Bob", "/done 1");
	assert_true(posted(f, "already done"));
	assert_false(has_action(f, XIO_ACT_TASK_STATUS));
}

/* /export without a tracker says so instead of promising an export that
 * the outbox would skip. */
static void test_export_needs_a_tracker(void **state)
{
	struct fx *f = *state;

	approve_draft(f);
	ev(f, XIO_EV_COMMAND, "Bob", "/export");
	assert_true(posted(f, "Export to Notion is not configured"));
	assert_false(has_action(f, XIO_ACT_EXPORT));
	f->eng.can_export = 1;
	ev(f, XIO_EV_COMMAND, "Bob", "/export");
	assert_true(posted(f, "asked for the export again"));
	assert_true(has_action(f, XIO_ACT_EXPORT));
}

static void test_state_round_trip(void **state)
{
	struct fx *f = *state;
	struct xio_consilium *c2;
	struct xio_err err;
	char *j1, *j2;

	start(f, "Переносим ли биллинг?");
	ev(f, XIO_EV_MESSAGE, "Боб", "Да");
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	decide_ready(f);
	j1 = xio_consilium_to_json(f->c);
	c2 = xio_consilium_from_json(j1, &err);
	assert_non_null(c2);
	j2 = xio_consilium_to_json(c2);
	assert_string_equal(j1, j2);
	free(j1);
	free(j2);
	xio_consilium_free(c2);
	assert_null(xio_consilium_from_json("{\"phase\":\"nope\"}", &err));
	assert_non_null(strstr(err.msg, "phase"));
	assert_null(xio_consilium_from_json("[1,2", &err));
}

static void test_command_parse(void **state)
{
	char name[40];
	const char *args;
	int unknown;

	(void)state;
	assert_ptr_equal(xio_command_parse("/council Why?", name, sizeof(name), &args, &unknown),
			 &xio_command_consilium);
	assert_string_equal(args, "Why?");
	assert_null(xio_command_parse("hello /decide", name, sizeof(name), &args, &unknown));
	assert_false(unknown);
	assert_null(xio_command_parse("/etc/passwd is a path", name, sizeof(name), &args, &unknown));
	assert_null(xio_command_parse("/nope", name, sizeof(name), &args, &unknown));
	assert_true(unknown);
	assert_string_equal(name, "nope");
	assert_ptr_equal(xio_command_parse("  /decide@xio_bot", name, sizeof(name), &args, &unknown),
			 &xio_command_decide);
	assert_int_equal(xio_command_argc("  a  b c "), 3);
}

static void test_selector_without_llm_falls_back(void **state)
{
	struct fx *f = *state;

	f->eng.policy = XIO_POLICY_SELECTOR;
	start(f, "Q?");
	assert_true(posted(f, "Alice, your view?"));
}

static const struct xio_action *last_ask(struct fx *f)
{
	size_t i;

	for (i = f->a.n; i-- > 0;)
		if (f->a.v[i].kind == XIO_ACT_ASK)
			return &f->a.v[i];
	return NULL;
}

static void reply(struct fx *f, enum xio_event_kind kind, const char *persona, const char *text,
		  int64_t seq, int consensus)
{
	struct xio_event e = { 0 };

	xio_actions_release(&f->a);
	xio_actions_init(&f->a);
	e.kind = kind;
	e.now = f->now;
	e.persona_id = persona;
	e.text = text;
	e.seq = seq;
	e.consensus = consensus;
	assert_int_equal(xio_engine_step(&f->eng, f->c, &e, &f->a), 0);
}

/* The last ASK of the step, copied (the actions are freed by the next step). */
struct ask {
	char persona[32], purpose[16];
	int64_t seq;
	int found;
};

static struct ask last_ask_copy(struct fx *f)
{
	const struct xio_action *a = last_ask(f);
	struct ask r = { "", "", 0, 0 };

	if (a) {
		snprintf(r.persona, sizeof(r.persona), "%s", a->persona_id);
		snprintf(r.purpose, sizeof(r.purpose), "%s", a->text);
		r.seq = a->seq;
		r.found = 1;
	}
	return r;
}

static void test_ai_selector_and_consensus(void **state)
{
	struct fx *f = *state;
	struct ask a;

	f->eng.ai_experts = 1;
	f->eng.policy = XIO_POLICY_SELECTOR;
	start(f, "Q?");
	assert_int_equal(f->c->nparts, 3); /* Alice + two AI experts */
	a = last_ask_copy(f);
	assert_true(a.found);
	assert_string_equal(a.persona, "moderator");
	assert_string_equal(a.purpose, "select");
	/* a stale selection is ignored */
	reply(f, XIO_EV_SELECTED, "moderator", "Economist", a.seq - 1, 0);
	assert_int_equal(f->a.n, 0);
	reply(f, XIO_EV_SELECTED, "moderator", "Economist", a.seq, 0);
	a = last_ask_copy(f);
	assert_string_equal(a.persona, "economist");
	assert_string_equal(a.purpose, "turn");
	reply(f, XIO_EV_PERSONA_REPLY, "economist", "Too expensive, Architect.", a.seq, 0);
	assert_true(posted(f, "Too expensive"));
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "select");
	/* the same expert twice in a row is refused: round robin picks
	 * the first other participant who has not spoken (Alice) */
	reply(f, XIO_EV_SELECTED, "moderator", "Economist", a.seq, 0);
	assert_true(posted(f, "Alice, your view?"));
	assert_string_equal(f->c->waiting_for, "Alice");
	assert_true(xio_consilium_needs_human(f->c));
	ev(f, XIO_EV_MESSAGE, "Alice", "Fine by me");
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "select");
	/* a name that is no participant falls back too */
	reply(f, XIO_EV_SELECTED, "moderator", "Zeus", a.seq, 0);
	a = last_ask_copy(f);
	assert_string_equal(a.persona, "architect");
	reply(f, XIO_EV_PERSONA_REPLY, "architect", "I disagree.", a.seq, 0);
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "judge");
	assert_false(xio_consilium_needs_human(f->c));
	reply(f, XIO_EV_JUDGEMENT, "moderator", "Not yet: cost is open.", a.seq, 0);
	assert_true(posted(f, "Round 2 of 2"));
	assert_true(posted(f, "Not yet"));
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "select");
	/* a human can be picked by name: the Moderator asks and waits */
	reply(f, XIO_EV_SELECTED, "moderator", "@alice", a.seq, 0);
	assert_true(posted(f, "Alice, your view?"));
	/* /decide while waiting: a late answer to an earlier ask is dropped */
	ev(f, XIO_EV_COMMAND, "Alice", "/decide");
	reply(f, XIO_EV_SELECTED, "moderator", "Architect", a.seq, 0);
	assert_int_equal(f->a.n, 0);
	assert_int_equal(f->c->phase, XIO_PHASE_DECISION);
}

static void test_ai_consensus_ends_discussion(void **state)
{
	struct fx *f = *state;
	struct ask a;

	f->eng.ai_experts = 1;
	start(f, "Q?");
	a = last_ask_copy(f);
	assert_false(a.found); /* round robin: Alice (human) is called first */
	ev(f, XIO_EV_MESSAGE, "Alice", "My view");
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "turn");
	reply(f, XIO_EV_PERSONA_REPLY, a.persona, "Agree.", a.seq, 0);
	a = last_ask_copy(f);
	reply(f, XIO_EV_PERSONA_REPLY, a.persona, "Agree too.", a.seq, 0);
	a = last_ask_copy(f);
	assert_string_equal(a.purpose, "judge");
	reply(f, XIO_EV_JUDGEMENT, "moderator", "Everyone backs option B.", a.seq, 1);
	assert_true(posted(f, "The council agrees: Everyone backs option B."));
	assert_int_equal(f->c->phase, XIO_PHASE_DECISION);
	assert_true(has_action(f, XIO_ACT_PRODUCE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_preparation_to_discussion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_russian_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedents_recalled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin_rounds_then_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_approval_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_approval_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_marks_the_draft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve_needs_a_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amend_task_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_without_task_asks_unless_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snooze_remind_done_task_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_needs_a_tracker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selector_without_llm_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ai_selector_and_consensus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ai_consensus_ends_discussion, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
