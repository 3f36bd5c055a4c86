/*
 * decision.h — the decision log and task models the Scribe produces.
 *
 * A consilium ends with one decision log (question, alternatives with pros
 * and cons, the decision, its rationale, risks scored impact × probability,
 * participants, where it ran, timestamps, status) and a list of tasks
 * (title, owner, due date, priority, status, confidence, source message).
 * These structs are what the engine, the store and the exporters handle;
 * their JSON form is the one config/schemas/notion.decision_log.json and
 * notion.task.json describe, and the text form is what is posted to chat.
 *
 * Every string in these structs is heap-owned by the struct (release frees
 * it).  from_json checks types and enum values and names the field at fault;
 * it does not enforce lengths or date formats — that is the schema's job
 * (xio_schema_validate), which callers run first on untrusted JSON.
 */
#ifndef XIO_DECISION_H
#define XIO_DECISION_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

enum xio_decision_status {
	XIO_DECISION_DRAFT = 0, /* recorded by the Scribe, not yet approved */
	XIO_DECISION_APPROVED,  /* a human approved it as final */
	XIO_DECISION_AMENDED    /* changed by a human after it was recorded */
};

enum xio_task_priority {
	XIO_TASK_LOW = 0,
	XIO_TASK_MEDIUM,
	XIO_TASK_HIGH
};

enum xio_task_status {
	XIO_TASK_OPEN = 0,
	XIO_TASK_DONE,
	XIO_TASK_SNOOZED,
	XIO_TASK_CANCELLED
};

struct xio_alternative {
	char *title;
	char **pros; /* npros strings */
	size_t npros;
	char **cons;
	size_t ncons;
};

struct xio_risk {
	char *description;
	int impact;      /* 1..5 */
	int probability; /* 1..5 */
	char *mitigation; /* NULL = none given */
};

/* Where the consilium ran.  platform NULL means "not recorded". */
struct xio_thread_ref {
	char *platform; /* "console", "slack" or "telegram" */
	char *chat;     /* Slack channel id, Telegram chat id */
	char *thread;   /* Slack thread_ts, Telegram topic id; NULL = none */
};

struct xio_decision_log {
	char *question;
	struct xio_alternative *alternatives;
	size_t nalternatives;
	char *decision;
	char *rationale;
	struct xio_risk *risks;
	size_t nrisks;
	char **participants;
	size_t nparticipants;
	struct xio_thread_ref thread;
	char *created_at; /* RFC 3339, NULL = not set */
	char *updated_at;
	enum xio_decision_status status;
};

struct xio_task {
	char *title;
	char *owner; /* "" = unassigned; never NULL after from_json */
	char *due;   /* "YYYY-MM-DD" or RFC 3339; NULL = no due date */
	enum xio_task_priority priority;
	enum xio_task_status status;
	double confidence; /* 0..1: how sure the extractor is */
	char *source_message; /* NULL = not recorded */
};

/* Zeroes a log (status draft) so it can be filled or released. */
void xio_decision_log_init(struct xio_decision_log *log);

/* Frees everything the log owns and re-initialises it. */
void xio_decision_log_release(struct xio_decision_log *log);

/* Zeroes a task (priority low, status open). */
void xio_task_init(struct xio_task *t);

/* Frees everything the task owns and re-initialises it. */
void xio_task_release(struct xio_task *t);

/* Frees an array of n tasks and the array itself.  tasks may be NULL. */
void xio_tasks_free(struct xio_task *tasks, size_t n);

/*
 * Builds the JSON form of a log (as the notion.decision_log schema has it).
 * Optional members are left out when unset (thread, timestamps, mitigation).
 * Returns a new object the caller puts, or NULL when out of memory.
 */
json_object *xio_decision_log_to_json(const struct xio_decision_log *log);

/*
 * Fills log (initialised or not: it is overwritten) from its JSON form.
 * Returns 0; XIO_EINVAL when a required member is missing or a member has the
 * wrong type or an unknown enum value, with err naming it
 * ("risks[1].impact: expected an integer"); XIO_ENOMEM.  On error log is left
 * initialised and empty.  obj stays owned by the caller.
 */
int xio_decision_log_from_json(struct xio_decision_log *log, json_object *obj,
			       struct xio_err *err);

/* Builds the JSON form of one task (notion.task).  Caller puts; NULL on
 * out of memory. */
json_object *xio_task_to_json(const struct xio_task *t);

/* Fills t from its JSON form; contract as xio_decision_log_from_json. */
int xio_task_from_json(struct xio_task *t, json_object *obj,
		       struct xio_err *err);

/*
 * Reads a JSON array of tasks.  On success *out is a new array of *n tasks
 * (free with xio_tasks_free; NULL when *n is 0).  On error nothing is
 * returned and err names the element and field ("[2].due: ...").
 */
int xio_tasks_from_json(struct xio_task **out, size_t *n, json_object *arr,
			struct xio_err *err);

/* Returns "draft"/"approved"/"amended", "low"/..., "open"/... as in JSON. */
const char *xio_decision_status_name(enum xio_decision_status s);
const char *xio_task_priority_name(enum xio_task_priority p);

/*
 * A confidence (0..1) as a JSON number written with two decimals: 0.85, not
 * json-c's 0.84999999999999998.  Caller owns the result; NULL when out of
 * memory.
 */
json_object *xio_confidence_json(double c);
const char *xio_task_status_name(enum xio_task_status s);

#endif
