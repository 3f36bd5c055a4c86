/*
 * produce.h — the outbox handler of "produce" rows: drafts the decision log
 * and the tasks of a consilium and feeds them back to the engine.
 *
 * Without an LLM the draft comes from the rule-based extractor over the
 * stored transcript (what humans and AI experts said; not the bot's own
 * script).  Whatever produced it, the draft is validated against the
 * notion.decision_log and notion.task schemas before the engine sees it.
 * The DECISION_READY step and the row's "done" mark are one transaction.
 */
#ifndef XIO_PRODUCE_H
#define XIO_PRODUCE_H

#include "outbox.h"
#include "runner.h"
#include "schema.h"

struct xio_producer {
	struct xio_outbox_handler handler; /* kind "produce" */
	struct xio_runner *runner;
	struct xio_log *log;
	struct xio_schema *log_schema;
	struct xio_schema *task_schema;
	char *tz;
	/*
	 * Set by the wiring when an LLM is configured (NULL otherwise): drafts
	 * the decision of job's consilium with the Integrator and the Scribe.
	 * Returns 0 when it took the job — it then finishes it itself, with
	 * DECISION_READY or, when the AI draft fails, through
	 * xio_producer_run_extractor — or nonzero to let the extractor run now.
	 */
	int (*llm_produce)(void *ud, struct xio_outbox_job *job);
	void *llm_ud;
};

/*
 * Prepares the producer: compiles the schemas (built-in, or from
 * schemas_dir when non-empty) and keeps tz (IANA zone for due dates).
 * Returns 0 or an error naming the schema file.
 */
int xio_producer_init(struct xio_producer *p, struct xio_runner *runner, const char *schemas_dir,
		      const char *tz, struct xio_log *log, struct xio_err *err);
void xio_producer_release(struct xio_producer *p);

/*
 * Validates a decision log and a task array against the schemas.  Returns 0
 * or XIO_EINVAL with err listing the violations ("tasks/1/due: ...").
 * Signature fits struct xio_engine.validate (ud = the producer).
 */
int xio_producer_validate(void *ud, json_object *log, json_object *tasks, struct xio_err *err);

/*
 * Builds the extractor's draft for consilium c from its transcript.  Returns
 * 0 and new *log / *tasks (caller puts them), or a negative code with err.
 * Exposed for tests and for the LLM path's fallback.
 */
int xio_producer_extract(struct xio_producer *p, const struct xio_consilium *c,
			 json_object **log, json_object **tasks, struct xio_err *err);

/*
 * The extractor path for job: drafts from the transcript, sanitises,
 * validates and feeds DECISION_READY (source "extractor") with the catalogue
 * text note_key (NULL = "extractor.note") as the note; finishes the job.
 * note_arg, when non-NULL, fills an {error} placeholder of the note.
 */
void xio_producer_run_extractor(struct xio_producer *p, struct xio_outbox_job *job,
				const char *note_key, const char *note_arg);

#endif
