/*
 * store.c — backend-independent parts of the store: the thin wrappers and
 * the release functions of rows.
 */
#include "store.h"

#include <stdlib.h>

void xio_store_close(struct xio_store *s)
{
	if (s && s->ops)
		s->ops->close(s->impl);
	if (s) {
		s->ops = NULL;
		s->impl = NULL;
	}
}

int xio_store_ping(struct xio_store *s, struct xio_err *err)
{
	return s->ops->ping(s->impl, err);
}

int xio_store_begin(struct xio_store *s, struct xio_err *err)
{
	int rc = s->ops->begin(s->impl, err);

	if (!rc)
		s->depth++;
	return rc;
}

int xio_store_commit(struct xio_store *s, struct xio_err *err)
{
	int rc = s->ops->commit(s->impl, err);

	/* committed, or undone by the failure: the level is gone either way
	 * (a commit without a transaction changes nothing) */
	if (s->depth > 0 && rc != XIO_ESTATE)
		s->depth--;
	return rc;
}

void xio_store_rollback(struct xio_store *s)
{
	s->ops->rollback(s->impl);
	if (s->depth > 0)
		s->depth--;
}

int xio_store_idle_due(const struct xio_store *s)
{
	return s->depth == 0 && s->ops->idle_due && s->ops->idle_due(s->impl);
}

void xio_store_idle(struct xio_store *s)
{
	if (s->depth == 0 && s->ops->idle)
		s->ops->idle(s->impl);
}

int xio_store_outermost(const struct xio_store *s)
{
	return s->depth == 1;
}

void xio_consilium_row_release(struct xio_consilium_row *r)
{
	free(r->thread_key);
	free(r->workspace);
	free(r->question);
	free(r->phase);
	free(r->state_json);
	r->thread_key = r->workspace = r->question = r->phase = r->state_json = NULL;
}

void xio_message_row_release(struct xio_message_row *r)
{
	free(r->author);
	free(r->author_kind);
	free(r->persona_id);
	free(r->text);
	free(r->platform_id);
	r->author = r->author_kind = r->persona_id = r->text = r->platform_id = NULL;
}

void xio_outbox_row_release(struct xio_outbox_row *r)
{
	free(r->key);
	free(r->kind);
	free(r->payload);
	free(r->last_error);
	free(r->result);
	r->key = r->kind = r->payload = r->last_error = r->result = NULL;
}

void xio_message_rows_free(struct xio_message_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		xio_message_row_release(&v[i]);
	free(v);
}

void xio_outbox_rows_free(struct xio_outbox_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		xio_outbox_row_release(&v[i]);
	free(v);
}

void xio_precedents_free(struct xio_precedent *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].question);
		free(v[i].decision);
	}
	free(v);
}

void xio_reminder_row_release(struct xio_reminder_row *r)
{
	free(r->key);
	free(r->kind);
	free(r->thread_key);
	r->key = r->kind = r->thread_key = NULL;
}

void xio_reminder_rows_free(struct xio_reminder_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		xio_reminder_row_release(&v[i]);
	free(v);
}

void xio_consilium_rows_free(struct xio_consilium_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		xio_consilium_row_release(&v[i]);
	free(v);
}

void xio_event_rows_free(struct xio_event_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].type);
		free(v[i].data);
	}
	free(v);
}

void xio_audit_rows_free(struct xio_audit_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].actor);
		free(v[i].action);
		free(v[i].detail);
	}
	free(v);
}

void xio_task_rows_free(struct xio_task_row *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].title);
		free(v[i].owner);
		free(v[i].due);
		free(v[i].priority);
		free(v[i].status);
	}
	free(v);
}

void xio_decision_hits_free(struct xio_decision_hit *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].workspace);
		free(v[i].question);
		free(v[i].decision);
		free(v[i].status);
	}
	free(v);
}
