/*
 * engine_int.h — what the engine's own files share: the step helpers that
 * command handlers (core/commands/) use to speak and to change phase.
 * Nothing outside core/engine*.c and core/commands/ includes this.
 */
#ifndef XIO_ENGINE_INT_H
#define XIO_ENGINE_INT_H

#include "commands.h"
#include "engine.h"
#include "scheduler.h"

/* Appends an action; on allocation failure sets a->oom (checked at the end
 * of the step) so helpers can be called without checking each one. */
void engine_act(struct xio_actions *a, enum xio_action_kind kind,
		const char *persona_id, const char *text, const char *status);

/* Appends a TASK_STATUS or SCHEDULE action for task idx. */
void engine_act_task(struct xio_actions *a, enum xio_action_kind kind, int task,
		     const char *status, int64_t at, const char *text);

/*
 * Follow-up commands: finds the task args name — its number ("2") or a
 * fragment of its title, case-insensitive — among the approved tasks of
 * x->c.  With an empty selector, the only open task, or the author's only
 * open task.  Returns its index, or -1 after posting why (no tasks, none
 * matches, several match).
 */
int engine_find_task(struct xio_cmd_ctx *x, const char *selector);

/* 1 when x->c is an approved decision with tasks; else posts why, 0. */
int engine_followup_ready(struct xio_cmd_ctx *x);

/* Sets the status of task idx in x->c->tasks and emits TASK_STATUS. */
void engine_set_task_status(struct xio_cmd_ctx *x, int idx, const char *status);

/* Splits x->args "[task] <when>" (see engine_followup.c).  Returns 1 with
 * the selector in sel (n bytes) and the time in *at, 0 if no time. */
int engine_split_when(struct xio_cmd_ctx *x, char *sel, size_t n, int64_t *at);

/* 1 after telling the thread that task idx is already done (or cancelled),
 * 0 when it is still open. */
int engine_task_finished(struct xio_cmd_ctx *x, int idx);

/* For /snooze and /remind: the task and time in x->args "[task] <when>".
 * Returns the task's index with *at set, or -1 after telling the thread
 * what is wrong (not approved, no time, a past time, no such task, a task
 * already done). */
int engine_task_at(struct xio_cmd_ctx *x, int64_t *at);

/* Posts catalogue text key as the Scribe, with task idx's "title" and the
 * local time at as "when". */
void engine_say_task_when(struct xio_cmd_ctx *x, const char *key, int idx, int64_t at);

/* Renders the open tasks of an approved decision, numbered as approved
 * (caller frees). */
char *engine_render_open_tasks(const struct xio_engine *eng, const struct xio_consilium *c);

/* Posts the catalogue text key, filled with NULL-terminated name/value
 * pairs, as the persona with the given role. */
void engine_say(struct xio_cmd_ctx *x, enum xio_role role, const char *key, ...);

/* Posts literal text as the persona with role. */
void engine_post(struct xio_cmd_ctx *x, enum xio_role role, const char *text);

/* Posts text (which may be NULL: a render that ran out of memory, then the
 * step is flagged oom rather than a post silently dropped) and frees it. */
void engine_post_owned(struct xio_cmd_ctx *x, enum xio_role role, char *text);

/* Sets o[k] = v, k a string literal.  On failure — v NULL from a failed
 * allocation, or the add itself — releases v and sets *oom, so a decision
 * log never loses a field silently. */
void engine_json_put(json_object *o, const char *k, json_object *v, int *oom);

/* Appends v to the array arr; failures as engine_json_put. */
void engine_json_push(json_object *arr, json_object *v, int *oom);

/* The one writer of c->phase: logs old -> new. */
void engine_set_phase(struct xio_cmd_ctx *x, enum xio_phase to);

/* Calls on the next speaker of the round, or ends the round. */
void engine_call_next(struct xio_cmd_ctx *x);

/* Leaves the discussion for the decision phase; reason_key is posted. */
void engine_to_decision(struct xio_cmd_ctx *x, const char *reason_key);

/* Approves the draft: closes the consilium, records, exports, reminds. */
void engine_approve(struct xio_cmd_ctx *x);

/* Renders the decision log / the tasks as chat text (caller frees). */
char *engine_render_decision(const struct xio_engine *eng, const struct xio_consilium *c);
char *engine_render_tasks(const struct xio_engine *eng, const struct xio_consilium *c);

/* Adds a human participant if new; returns it (NULL if out of memory). */
struct xio_participant *engine_add_participant(struct xio_consilium *c, const char *name,
					       const char *persona_id);

#endif
