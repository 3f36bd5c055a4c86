/*
 * fuzz_commands.c — arbitrary bytes as a line typed into a thread, the way
 * the console reads it: split into speaker and text by
 * xio_console_parse_line, then stepped through the engine (command parse,
 * dispatch, rendering of the answer) on a consilium in each phase.
 *
 * The first byte picks the consilium (phase, pause, language, policy); the
 * rest is the line.  A step must succeed, every POST must carry text, and
 * the new state must survive its JSON round trip unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "console/console.h"
#include "engine.h"
#include "fuzz_round_trip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSTATES 8

/* Built once: the engine and a JSON snapshot of a consilium per variant.
 * Read-only afterwards, so runs stay independent. */
struct world {
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	char *states[NSTATES];
};

static const int64_t T0 = 1764000000000LL;

static void step(struct world *w, struct xio_consilium *c, enum xio_event_kind kind,
		 const char *author, const char *text)
{
	struct xio_event ev = { 0 };
	struct xio_actions a;

	xio_actions_init(&a);
	ev.kind = kind;
	ev.now = T0 + 1000 * c->step;
	ev.author = author;
	ev.text = text;
	if (xio_engine_step(&w->eng, c, &ev, &a))
		abort();
	xio_actions_release(&a);
	c->step++;
}

static void decision_ready(struct world *w, struct xio_consilium *c)
{
	struct xio_event ev = { 0 };
	struct xio_actions a;
	json_object *log = json_tokener_parse(
		"{\"question\":\"Q\",\"alternatives\":[{\"title\":\"A\",\"pros\":[\"fast\"],"
		"\"cons\":[]}],\"decision\":\"Go with A\",\"rationale\":\"cheaper\",\"risks\":"
		"[{\"description\":\"lag\",\"impact\":4,\"probability\":2,\"mitigation\":\"watch\"}]}");
	json_object *tasks = json_tokener_parse(
		"[{\"title\":\"Write plan\",\"owner\":\"Bob\",\"due\":\"2026-12-01\","
		"\"priority\":\"high\",\"status\":\"open\",\"confidence\":0.8}]");

	xio_actions_init(&a);
	ev.kind = XIO_EV_DECISION_READY;
	ev.now = T0;
	ev.log = log;
	ev.tasks = tasks;
	ev.source = "extractor";
	if (xio_engine_step(&w->eng, c, &ev, &a))
		abort();
	xio_actions_release(&a);
	json_object_put(log);
	json_object_put(tasks);
}

static char *build(struct world *w, int variant)
{
	struct xio_consilium *c = xio_consilium_new();
	char *json;

	if (!c)
		abort();
	c->id = 1;
	c->policy = variant == 7 ? XIO_POLICY_SELECTOR : XIO_POLICY_ROUND_ROBIN;
	if (variant == 0) { /* preparation: nothing started yet */
		json = xio_consilium_to_json(c);
		xio_consilium_free(c);
		return json;
	}
	step(w, c, XIO_EV_START, "Alice", variant == 6 ? "Переносим ли биллинг в Postgres?"
						       : "Should we move billing to Postgres?");
	step(w, c, XIO_EV_MESSAGE, "Bob", "I think we should");
	switch (variant) {
	case 2: /* paused discussion */
		step(w, c, XIO_EV_COMMAND, "Alice", "/pause");
		break;
	case 3: /* decision */
		step(w, c, XIO_EV_COMMAND, "Alice", "/decide");
		break;
	case 4: /* approval */
		step(w, c, XIO_EV_COMMAND, "Alice", "/decide");
		decision_ready(w, c);
		break;
	case 5: /* closed */
		step(w, c, XIO_EV_COMMAND, "Alice", "/stop");
		break;
	default: /* 1, 6, 7: discussion */
		break;
	}
	json = xio_consilium_to_json(c);
	xio_consilium_free(c);
	return json;
}

static struct world *world(void)
{
	static struct world w;
	static int ready;
	struct xio_err err;
	int i;

	if (ready)
		return &w;
	if (xio_personas_load(&w.personas, NULL, &err) || xio_i18n_load(&w.i18n, NULL, &err))
		abort();
	w.eng.personas = &w.personas;
	w.eng.i18n = &w.i18n;
	w.eng.language = "auto";
	w.eng.max_rounds = 2;
	w.eng.time_limit_ms = 3600 * 1000;
	w.eng.human_timeout_ms = 600 * 1000;
	w.eng.require_approval = 1;
	for (i = 0; i < NSTATES; i++)
		if (!(w.states[i] = build(&w, i)))
			abort();
	ready = 1;
	return &w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = world();
	struct xio_consilium *c = NULL;
	struct xio_event ev = { 0 };
	struct xio_actions a;
	struct xio_err err;
	char author[64], *line;
	const char *text, *args;
	char name[40];
	int variant, unknown;
	size_t i;

	if (size < 1 || size > 8192)
		return 0;
	variant = data[0] % NSTATES;
	line = malloc(size);
	if (!line)
		return 0;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	if (!xio_console_parse_line(line, "Alice", author, sizeof(author), &text))
		goto out;
	if (strlen(author) >= sizeof(author) || !*author)
		abort();
	c = xio_consilium_from_json(w->states[variant], &err);
	if (!c)
		abort();
	/* as the runner does: a slash line is a command, known or not */
	ev.kind = xio_command_parse(text, name, sizeof(name), &args, &unknown) || unknown
			  ? XIO_EV_COMMAND : XIO_EV_MESSAGE;
	ev.now = T0 + 5000;
	ev.author = author;
	ev.text = variant == 0 ? (*args ? args : text) : text;
	if (variant == 0)
		ev.kind = XIO_EV_START;
	xio_actions_init(&a);
	if (xio_engine_step(&w->eng, c, &ev, &a))
		abort();
	for (i = 0; i < a.n; i++)
		if (a.v[i].kind == XIO_ACT_POST && (!a.v[i].text || !a.v[i].persona_id))
			abort();
	xio_actions_release(&a);
	fuzz_check_round_trip(c);
	/* and time passing over whatever that did */
	memset(&ev, 0, sizeof(ev));
	ev.kind = XIO_EV_TIMER;
	ev.now = T0 + 100LL * 3600 * 1000;
	xio_actions_init(&a);
	if (xio_engine_step(&w->eng, c, &ev, &a))
		abort();
	xio_actions_release(&a);
	fuzz_check_round_trip(c);
out:
	xio_consilium_free(c);
	free(line);
	return 0;
}
