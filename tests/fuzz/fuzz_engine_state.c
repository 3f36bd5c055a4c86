/*
 * fuzz_engine_state.c — arbitrary bytes as a stored consilium state: parsed
 * by xio_consilium_from_json and, when accepted, stepped with a message, a
 * command and a timer.  The store is the only writer of that column, but a
 * state from an older or damaged database must still never crash the bot;
 * a step must succeed and its result must round-trip through JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz_round_trip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct world {
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
};

static struct world *world(void)
{
	static struct world w;
	static int ready;
	struct xio_err err;

	if (ready)
		return &w;
	if (xio_personas_load(&w.personas, NULL, &err) || xio_i18n_load(&w.i18n, NULL, &err))
		abort();
	w.eng.personas = &w.personas;
	w.eng.i18n = &w.i18n;
	w.eng.language = "auto";
	w.eng.max_rounds = 3;
	w.eng.time_limit_ms = 3600 * 1000;
	w.eng.human_timeout_ms = 600 * 1000;
	w.eng.require_approval = 1;
	ready = 1;
	return &w;
}

static void step(struct world *w, struct xio_consilium *c, enum xio_event_kind kind,
		 const char *author, const char *text, int64_t now)
{
	struct xio_event ev = { 0 };
	struct xio_actions a;
	size_t i;

	xio_actions_init(&a);
	ev.kind = kind;
	ev.now = now;
	ev.author = author;
	ev.text = text;
	ev.persona_id = "expert";
	if (xio_engine_step(&w->eng, c, &ev, &a))
		abort();
	for (i = 0; i < a.n; i++)
		if (a.v[i].kind == XIO_ACT_POST && !a.v[i].text)
			abort();
	xio_actions_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const commands[] = { "/status", "/decide", "/approve", "/resume",
						"/pause", "/amend task 1 owner Dave", "/tasks",
						"/participants", "/agenda", "/stop" };
	struct world *w = world();
	struct xio_consilium *c;
	struct xio_err err;
	char *json;
	int64_t now;

	if (size > 1 << 16)
		return 0;
	json = malloc(size + 1);
	if (!json)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	c = xio_consilium_from_json(json, &err);
	if (c) {
		fuzz_check_round_trip(c);
		now = c->started_at > 0 && c->started_at < INT64_MAX / 4 ? c->started_at : 1764000000000LL;
		step(w, c, XIO_EV_MESSAGE, "Alice", "I think A, Bob will do it by Friday", now + 1000);
		step(w, c, XIO_EV_COMMAND, "Bob", commands[size % 10], now + 2000);
		step(w, c, XIO_EV_PERSONA_REPLY, NULL, "An AI view", now + 2500);
		step(w, c, XIO_EV_TIMER, NULL, NULL, now + 100LL * 3600 * 1000);
		fuzz_check_round_trip(c);
		xio_consilium_free(c);
	}
	free(json);
	return 0;
}
