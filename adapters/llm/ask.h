/*
 * ask.h — the AI side of a consilium: the outbox handler of "ask" rows and
 * the LLM draft of the decision.
 *
 * The engine asks a persona to speak ("turn"), the Moderator to name the
 * next speaker ("select") or to judge the round ("judge") by writing an
 * "ask" row {"persona_id","purpose","seq"}.  This handler builds the prompt
 * from the templates under config/prompts/{en,ru}/ (the question, the
 * agenda, the persona, the participants and the transcript read from the
 * store), calls the LLM and feeds the answer back as PERSONA_REPLY,
 * SELECTED or JUDGEMENT — in the same transaction that marks the row done.
 * Answers that cannot be used fall back safely: a selection that names
 * nobody lets the engine pick round robin, an unreadable judgement means no
 * consensus, a failed turn is reported in the thread and the discussion goes
 * on.  A call whose question became stale (/stop, /decide, /pause and a new
 * ask) is cancelled, so a slow model never holds a thread back.
 *
 * For the decision, the producer's llm_produce hook asks the Integrator for
 * the decision log and the Scribe for the tasks as JSON (response_format
 * json_schema, or json_object with the schema in the prompt), validates both
 * against the notion.decision_log / notion.task schemas, sends one repair
 * round with the validation errors, and otherwise falls back to the
 * rule-based extractor, telling the thread so.
 *
 * Long transcripts: when the transcript would exceed the token budget
 * (estimated as bytes / 4), the older turns are replaced by a running
 * summary that the Scribe writes; it is stored (llm_summaries) and extended
 * only when the budget is exceeded again.  Every completion is recorded in
 * llm_calls (tokens, latency, time spent inside XIO).
 */
#ifndef XIO_LLM_ASK_H
#define XIO_LLM_ASK_H

#include <json-c/json.h>
#include <uv.h>

#include "llm.h"
#include "outbox.h"
#include "produce.h"
#include "runner.h"

struct xio_llm_ask_job;

struct xio_llm_ask_opts {
	const char *prompts_dir;      /* "" = built-in templates */
	const char *schemas_dir;      /* "" = built-in schemas */
	int json_schema;              /* 1 = response_format json_schema, 0 = json_object */
	int64_t context_budget_tokens;/* transcript budget per prompt [6000] */
	int64_t stale_check_ms;       /* how often running calls are checked [1000] */
};

struct xio_llm_ask {
	struct xio_outbox_handler handler;  /* kind "ask" */
	struct xio_llm *llm;                /* borrowed */
	struct xio_runner *runner;          /* borrowed */
	struct xio_producer *producer;      /* borrowed */
	struct xio_log *log;
	struct xio_llm_ask_opts o;
	char *tpl[2][7];                    /* [en, ru][turn, select, ...] */
	json_object *log_schema;            /* what the Integrator must answer */
	json_object *tasks_schema;          /* what the Scribe must answer */
	json_object *judge_schema;
	uv_timer_t watch;
	int watch_on;
	struct xio_llm_ask_job *jobs;       /* in flight */
	uint64_t fed, fallbacks, stale, summaries;
};

/*
 * Prepares the handler: loads the templates (en and ru, from prompts_dir or
 * built in) and the schemas, and starts the staleness watch on loop.
 * Returns 0, or an error naming the template or schema file.  Register
 * &a->handler with the outbox and set the producer's hook with
 * xio_llm_ask_hook_producer.  Release with xio_llm_ask_release.
 */
int xio_llm_ask_init(struct xio_llm_ask *a, uv_loop_t *loop, struct xio_llm *llm,
		     struct xio_runner *runner, struct xio_producer *producer,
		     const struct xio_llm_ask_opts *o, struct xio_log *log, struct xio_err *err);

/* Points the producer's llm_produce hook at this handler. */
void xio_llm_ask_hook_producer(struct xio_llm_ask *a);

/*
 * Stops the watch and unhooks the producer.  Jobs still waiting for the LLM
 * finish when the LLM client is freed (their rows are left to be retried by
 * the next process), so free the client after this and before the outbox.
 * The loop must run afterwards to close the timer.
 */
void xio_llm_ask_release(struct xio_llm_ask *a);

/* The producer hook (struct xio_producer.llm_produce); ud = the handler. */
int xio_llm_ask_produce(void *ud, struct xio_outbox_job *job);

/*
 * Fills "{name}" placeholders of tpl from NULL-terminated name/value pairs;
 * other braces are copied as they are.  Returns a new string (caller frees)
 * or NULL when out of memory.  Exposed for tests.
 */
char *xio_llm_fill(const char *tpl, const char *const *kv);

#endif
