/*
 * api_events.h — what one engine step means to the outside world: the live
 * events of a consilium's stream and the lines of the audit log.
 *
 * The runner calls xio_api_record_step() inside the step's transaction, after
 * the step's own rows are written, so an event exists exactly when the step
 * it describes does: a client that reads the stream (api.h) can never see an
 * event of a step that was rolled back, nor miss one that was committed.
 *
 * Event types and their data (a JSON object):
 *   chat_message         {author, author_kind, persona_id, text, step}
 *   participant_updated  {name, kind ("human"|"persona"), persona_id, turns,
 *                         spoke, joined}
 *   tool_call            {tool, persona_id, purpose, seq}: an effect the
 *                        step asked for (LLM ask, produce, export, reminders)
 *   artifact             {kind: "decision_log", status, decision, tasks}
 *   run_status           {phase, paused, round, waiting_for, outcome}
 *
 * Audit lines written here: "command" (who typed which command in which
 * thread, approvals and amendments included; free text redacted by the log's
 * secret filter) and "export" (an approved decision queued for the tracker).
 */
#ifndef XIO_API_EVENTS_H
#define XIO_API_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "log.h"
#include "store.h"

/* What the runner remembers of a consilium before stepping it. */
struct xio_api_snap {
	enum xio_phase phase;
	int paused;
	int round;
	char *waiting_for;
	char *outcome;
	size_t nparts;
	int *turns;  /* per participant, nparts entries */
	int *spoke;
};

/* Takes a snapshot of c (copies).  Returns 0 or XIO_ENOMEM; release with
 * xio_api_snap_release either way. */
int xio_api_snap_take(struct xio_api_snap *s, const struct xio_consilium *c);
void xio_api_snap_release(struct xio_api_snap *s);

/*
 * Appends to store, inside the caller's open transaction, the events and
 * audit lines of the step that turned `before` into c with actions a for
 * event ev.  eng gives persona names; log (may be NULL) redacts free text
 * in audit lines.  Returns 0, or the store's error (the caller rolls back).
 */
int xio_api_record_step(struct xio_store *store, struct xio_log *log,
			const struct xio_engine *eng, const struct xio_api_snap *before,
			const struct xio_consilium *c, const struct xio_actions *a,
			const struct xio_event *ev, int64_t now, struct xio_err *err);

/*
 * Appends one audit line in its own transaction when none is open (the
 * store's begin refuses nesting: pass in_tx = 1 to write inside the
 * caller's).  detail (may be NULL) is borrowed.  Returns 0 or the store's
 * error.
 */
int xio_api_audit(struct xio_store *store, int in_tx, int64_t now, const char *actor,
		  const char *action, int64_t consilium_id, json_object *detail,
		  struct xio_err *err);

#endif
