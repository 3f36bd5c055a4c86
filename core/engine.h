/*
 * engine.h — the consilium engine: a pure state machine.
 *
 *   xio_engine_step(engine, consilium, event) -> consilium', actions[]
 *
 * The engine does no I/O and reads no clock: the event carries "now", the
 * caller (core/runner.c) loads the consilium from the store, steps it, and
 * writes the new state, the transcript lines and the actions in one store
 * transaction.  A crash at any instant therefore loses nothing, and every
 * phase transition, command and speaker policy is unit-tested without a
 * network or an adapter.
 *
 * Phases (one writer: engine_set_phase logs old -> new):
 *   preparation  Moderator restates the question, proposes the agenda, asks
 *                for missing context and recalls precedents
 *   discussion   rounds; each participant is called on in turn (round_robin)
 *                or as the Moderator picks (selector); ends on the round
 *                limit, the time limit, /decide or consensus
 *   decision     the decision log and tasks are being produced (by the
 *                rule-based extractor, or the Integrator and Scribe)
 *   approval     humans /approve or /amend the draft
 *   closed       approved, or stopped; the thread is free for a new one
 */
#ifndef XIO_ENGINE_H
#define XIO_ENGINE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "i18n.h"
#include "persona.h"

enum xio_phase {
	XIO_PHASE_PREPARATION = 0,
	XIO_PHASE_DISCUSSION,
	XIO_PHASE_DECISION,
	XIO_PHASE_APPROVAL,
	XIO_PHASE_CLOSED
};

enum xio_policy { XIO_POLICY_ROUND_ROBIN = 0, XIO_POLICY_SELECTOR };

/* A participant: a human who wrote in the thread, or an AI persona. */
struct xio_participant {
	char *name;         /* display name as written */
	char *persona_id;   /* AI persona id, NULL for humans */
	int spoke;          /* spoke (or was skipped) in the current round */
	int turns;          /* turns taken in total */
};

/* The state of one consilium, serialised to JSON in the store. */
struct xio_consilium {
	int64_t id;
	char *thread_key;   /* where it lives: "console:local", "slack:C1:ts" */
	char *workspace;    /* scope of precedents (team / chat) */
	char *platform;     /* adapter name: "console", "slack", "telegram" */
	char *chat;         /* platform chat/channel id */
	char *thread;       /* platform thread id (ts, topic id), may be "" */
	char *question;
	char *starter;      /* who opened it */
	char lang[4];       /* "en" or "ru" */
	enum xio_phase phase;
	enum xio_policy policy;
	int paused;
	int round;          /* 1-based during discussion */
	int max_rounds;
	char *waiting_for;  /* participant called on, or NULL */
	char *last_speaker; /* last expert who spoke (selector never repeats) */
	char *outcome;      /* "approved", "stopped", or NULL */
	int64_t started_at;
	int64_t deadline_at;   /* discussion time limit */
	int64_t human_due_at;  /* when the called-on human times out */
	int64_t step;
	struct xio_participant *parts;
	size_t nparts;
	char **agenda;
	size_t nagenda;
	json_object *decision; /* draft or final decision log, or NULL */
	json_object *tasks;    /* array, or NULL */
	char *decision_source; /* "extractor" or "llm" */
	char *asking;          /* an ASK to the Moderator in flight: "select",
				* "judge"; NULL otherwise */
	int64_t ask_seq;       /* sequence of the latest ASK; replies carrying
				* another one are stale and dropped */
};

enum xio_event_kind {
	XIO_EV_START = 0,     /* open a consilium: text = question */
	XIO_EV_MESSAGE,       /* a human wrote text */
	XIO_EV_COMMAND,       /* a human typed a command: text = the whole line */
	XIO_EV_PERSONA_REPLY, /* an AI persona's turn came back: persona_id, text */
	XIO_EV_DECISION_READY,/* decision log + tasks produced (validated) */
	XIO_EV_TIMER,         /* a deadline may have passed */
	XIO_EV_SELECTED,      /* the Moderator (LLM) named the next speaker: text */
	XIO_EV_JUDGEMENT,     /* the Moderator judged the round: consensus, text = reason */
	XIO_EV_JOIN           /* a human joins as a participant (author), e.g.
			       * added through the HTTP API; nothing is posted */
};

struct xio_event {
	enum xio_event_kind kind;
	int64_t now;             /* ms since the epoch */
	const char *author;      /* human display name (MESSAGE, COMMAND, START) */
	int observer;            /* COMMAND: the author is not a participant
				  * (an API token's name), so does not join */
	const char *text;
	const char *persona_id;  /* PERSONA_REPLY */
	int64_t seq;             /* PERSONA_REPLY, SELECTED, JUDGEMENT: the ASK's seq */
	int consensus;           /* JUDGEMENT */
	json_object *log;        /* DECISION_READY: borrowed */
	json_object *tasks;      /* DECISION_READY: borrowed */
	const char *source;      /* DECISION_READY: "extractor" | "llm" */
	const char *note;        /* DECISION_READY: message for the thread, or NULL */
	/* START: precedents found by the caller (borrowed) */
	const char *const *precedent_questions;
	const char *const *precedent_decisions;
	size_t nprecedents;
};

enum xio_action_kind {
	XIO_ACT_POST = 0,        /* post text in the thread as persona_id */
	XIO_ACT_ASK,             /* ask AI persona persona_id: text is the purpose,
				  * "turn" (speak), "select" (name the next
				  * speaker) or "judge" (consensus yes/no) */
	XIO_ACT_PRODUCE,         /* produce the decision log and tasks */
	XIO_ACT_RECORD,          /* store the decision (payload: status) */
	XIO_ACT_EXPORT,          /* export the approved decision to the tracker */
	XIO_ACT_REMIND,          /* schedule reminders for the tasks */
	XIO_ACT_TASK_STATUS,     /* task's status changed (in c->tasks already):
				  * store it, tell the tracker; status, task */
	XIO_ACT_SCHEDULE         /* a follow-up reminder for task at "at"; text
				  * is "snooze" (replaces the task's pending
				  * reminders) or "custom" (adds one) */
};

struct xio_action {
	enum xio_action_kind kind;
	char *persona_id;   /* POST, ASK */
	char *text;         /* POST */
	char *status;       /* RECORD: "draft", "approved", "amended", "stopped" */
	int64_t seq;        /* ASK: echoed back by the reply event */
	int task;           /* TASK_STATUS, SCHEDULE: index in c->tasks */
	int64_t at;         /* SCHEDULE: when, ms since the epoch */
};

struct xio_actions {
	struct xio_action *v;
	size_t n, cap;
	int oom;            /* an append failed: the step must be discarded */
	int record_input;   /* the input message belongs in the transcript */
	int refused;        /* the input was a command that did nothing
			     * (unknown, wrong arguments, wrong phase, nothing
			     * to do); the last POST says why */
};

/* Immutable configuration of the engine, shared by all consiliums. */
struct xio_engine {
	const struct xio_personas *personas;
	const struct xio_i18n *i18n;
	struct xio_log *log;        /* may be NULL */
	const char *language;       /* "auto", "en" or "ru" */
	enum xio_policy policy;
	int max_rounds;
	int64_t time_limit_ms;
	int64_t human_timeout_ms;
	int require_approval;
	int ai_experts;             /* an LLM is configured: AI personas join */
	int can_export;             /* an "export" outbox handler is registered
				     * (a tracker such as Notion): without one
				     * /export says so instead of queueing a
				     * row nothing performs */
	/* Checks an amended decision log and tasks against the schemas; NULL
	 * accepts everything.  Must be deterministic (the step is pure). */
	int (*validate)(void *ud, json_object *log, json_object *tasks, struct xio_err *err);
	void *validate_ud;
	/* The chats' time zone for /snooze and /remind times; NULL = UTC.
	 * (Per-chat zones will come from the platform adapters.) */
	const struct xio_tz *tz;
};

/* Names of phases ("preparation", ...), for the store and logs. */
const char *xio_phase_name(enum xio_phase p);
int xio_phase_parse(const char *s, enum xio_phase *out);

/*
 * Applies one event.  c is modified in place; out receives the actions
 * (caller initialises it with xio_actions_init and releases it).  Returns 0;
 * XIO_ENOMEM when an allocation failed (then c is in an undefined state and
 * must be discarded, which the runner does by rolling back).  Bad input from
 * users never fails a step: it produces a helpful post instead.
 */
int xio_engine_step(const struct xio_engine *eng, struct xio_consilium *c,
		    const struct xio_event *ev, struct xio_actions *out);

/* The wake time the runner stores: the earliest deadline that a TIMER event
 * must be delivered at, or 0 when nothing is timed. */
int64_t xio_consilium_wake_at(const struct xio_consilium *c);

/* 1 when the consilium cannot move on without a human (waiting for one,
 * paused, in approval, or closed); 0 when the bot still has work to do. */
int xio_consilium_needs_human(const struct xio_consilium *c);

/* Creates an empty consilium (caller frees with xio_consilium_free). */
struct xio_consilium *xio_consilium_new(void);
void xio_consilium_free(struct xio_consilium *c);

/* Serialises c to a new JSON string (caller frees), or NULL if out of memory. */
char *xio_consilium_to_json(const struct xio_consilium *c);

/* Parses a state written by xio_consilium_to_json. Returns a new consilium
 * or NULL with err naming what is malformed. */
struct xio_consilium *xio_consilium_from_json(const char *json, struct xio_err *err);

/* Looks up a participant by name (case-insensitive); NULL if none. */
struct xio_participant *xio_consilium_participant(struct xio_consilium *c, const char *name);

void xio_actions_init(struct xio_actions *a);
void xio_actions_release(struct xio_actions *a);

/* Picks the chat language: "en"/"ru" as configured, or from the question's
 * script (any Cyrillic letter -> "ru") when configured "auto". */
const char *xio_detect_lang(const char *configured, const char *text);

#endif
