/*
 * decision.c — decision log and task models: JSON in and out, and the plain
 * text posted to a chat.
 *
 * from_json walks the object member by member and builds an error path
 * ("alternatives[2].pros[0]") as it goes, so a bad LLM answer is reported in
 * terms the Scribe's prompt can quote back.  The chat text uses a small
 * per-language label table; the wording is deliberately plain.
 */
#include "decision.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const decision_status_names[] = {"draft", "approved", "amended"};
static const char *const task_priority_names[] = {"low", "medium", "high"};
static const char *const task_status_names[] = {"open", "done", "snoozed", "cancelled"};

const char *xio_decision_status_name(enum xio_decision_status s)
{
	return (unsigned)s < XIO_ARRAY_LEN(decision_status_names)
		       ? decision_status_names[s] : "draft";
}

const char *xio_task_priority_name(enum xio_task_priority p)
{
	return (unsigned)p < XIO_ARRAY_LEN(task_priority_names)
		       ? task_priority_names[p] : "low";
}

const char *xio_task_status_name(enum xio_task_status s)
{
	return (unsigned)s < XIO_ARRAY_LEN(task_status_names)
		       ? task_status_names[s] : "open";
}

/* ------------------------------------------------------------- lifecycle */

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void xio_decision_log_init(struct xio_decision_log *log)
{
	memset(log, 0, sizeof(*log));
	log->status = XIO_DECISION_DRAFT;
}

void xio_decision_log_release(struct xio_decision_log *log)
{
	size_t i;

	free(log->question);
	for (i = 0; i < log->nalternatives; i++) {
		free(log->alternatives[i].title);
		strv_free(log->alternatives[i].pros, log->alternatives[i].npros);
		strv_free(log->alternatives[i].cons, log->alternatives[i].ncons);
	}
	free(log->alternatives);
	free(log->decision);
	free(log->rationale);
	for (i = 0; i < log->nrisks; i++) {
		free(log->risks[i].description);
		free(log->risks[i].mitigation);
	}
	free(log->risks);
	strv_free(log->participants, log->nparticipants);
	free(log->thread.platform);
	free(log->thread.chat);
	free(log->thread.thread);
	free(log->created_at);
	free(log->updated_at);
	xio_decision_log_init(log);
}

void xio_task_init(struct xio_task *t)
{
	memset(t, 0, sizeof(*t));
	t->priority = XIO_TASK_LOW;
	t->status = XIO_TASK_OPEN;
}

void xio_task_release(struct xio_task *t)
{
	free(t->title);
	free(t->owner);
	free(t->due);
	free(t->source_message);
	xio_task_init(t);
}

void xio_tasks_free(struct xio_task *tasks, size_t n)
{
	size_t i;

	for (i = 0; tasks && i < n; i++)
		xio_task_release(&tasks[i]);
	free(tasks);
}

/* --------------------------------------------------------------- to_json */

/* Adds key: string; a NULL s adds nothing.  Returns -1 on out of memory. */
static int add_str(json_object *o, const char *key, const char *s)
{
	json_object *v;

	if (!s)
		return 0;
	v = json_object_new_string(s);
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int add_obj(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int push(json_object *arr, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static json_object *strv_to_json(char *const *v, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < n; i++) {
		if (push(arr, json_object_new_string(v[i] ? v[i] : ""))) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

static json_object *alternative_to_json(const struct xio_alternative *a)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "title", a->title ? a->title : "") ||
	    add_obj(o, "pros", strv_to_json(a->pros, a->npros)) ||
	    add_obj(o, "cons", strv_to_json(a->cons, a->ncons))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *risk_to_json(const struct xio_risk *r)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "description", r->description ? r->description : "") ||
	    add_obj(o, "impact", json_object_new_int(r->impact)) ||
	    add_obj(o, "probability", json_object_new_int(r->probability)) ||
	    add_str(o, "mitigation", r->mitigation)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *xio_decision_log_to_json(const struct xio_decision_log *log)
{
	json_object *o = NULL, *arr = NULL, *th = NULL;
	size_t i;

	o = json_object_new_object();
	if (!o)
		goto fail;
	if (add_str(o, "question", log->question ? log->question : ""))
		goto fail;
	arr = json_object_new_array();
	for (i = 0; arr && i < log->nalternatives; i++)
		if (push(arr, alternative_to_json(&log->alternatives[i])))
			goto fail;
	if (add_obj(o, "alternatives", arr))
		goto fail_added;
	if (add_str(o, "decision", log->decision ? log->decision : "") ||
	    add_str(o, "rationale", log->rationale ? log->rationale : ""))
		goto fail_added;
	arr = json_object_new_array();
	for (i = 0; arr && i < log->nrisks; i++)
		if (push(arr, risk_to_json(&log->risks[i])))
			goto fail;
	if (add_obj(o, "risks", arr))
		goto fail_added;
	if (add_obj(o, "participants",
		    strv_to_json(log->participants, log->nparticipants)))
		goto fail_added;
	if (log->thread.platform) {
		th = json_object_new_object();
		if (!th || add_str(th, "platform", log->thread.platform) ||
		    add_str(th, "chat", log->thread.chat ? log->thread.chat : "") ||
		    add_str(th, "thread", log->thread.thread)) {
			json_object_put(th);
			goto fail_added;
		}
		if (add_obj(o, "thread", th))
			goto fail_added;
	}
	if (add_str(o, "created_at", log->created_at) ||
	    add_str(o, "updated_at", log->updated_at) ||
	    add_str(o, "status", xio_decision_status_name(log->status)))
		goto fail_added;
	return o;
fail:
	json_object_put(arr);
fail_added:
	json_object_put(o);
	return NULL;
}

json_object *xio_task_to_json(const struct xio_task *t)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "title", t->title ? t->title : "") ||
	    add_str(o, "owner", t->owner ? t->owner : "") ||
	    (t->due ? add_str(o, "due", t->due)
		    : json_object_object_add(o, "due", NULL) != 0) ||
	    add_str(o, "priority", xio_task_priority_name(t->priority)) ||
	    add_str(o, "status", xio_task_status_name(t->status)) ||
	    add_obj(o, "confidence", xio_confidence_json(t->confidence)) ||
	    add_str(o, "source_message", t->source_message)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------- from_json */

/* The dotted path of the member being read, for error messages. */
struct path {
	char s[160];
};

static const char *path_join(struct path *out, const char *base,
			     const char *key, long index)
{
	if (index >= 0)
		snprintf(out->s, sizeof(out->s), "%s%s%s[%ld]", base,
			 *base && key ? "." : "", key ? key : "", index);
	else
		snprintf(out->s, sizeof(out->s), "%s%s%s", base,
			 *base && key ? "." : "", key ? key : "");
	return out->s;
}

/* Looks up key; a missing required member is an error, a missing optional
 * one leaves *v NULL and *present 0. */
static int member(json_object *o, const char *base, const char *key,
		  int required, json_object **v, int *present,
		  struct xio_err *err)
{
	struct path p;

	*v = NULL;
	*present = json_object_object_get_ex(o, key, v);
	if (!*present && required)
		return xio_err_set(err, XIO_EINVAL, "%s: required member missing",
				   path_join(&p, base, key, -1));
	return 0;
}

static int read_string(json_object *v, const char *where, char **out,
		       struct xio_err *err)
{
	if (!json_object_is_type(v, json_type_string))
		return xio_err_set(err, XIO_EINVAL, "%s: expected a string", where);
	*out = strdup(json_object_get_string(v));
	if (!*out)
		return xio_err_set(err, XIO_ENOMEM, "%s: out of memory", where);
	return 0;
}

/* Reads an optional (or required) string member into *out. */
static int str_member(json_object *o, const char *base, const char *key,
		      int required, char **out, struct xio_err *err)
{
	json_object *v;
	struct path p;
	int present, rc;

	rc = member(o, base, key, required, &v, &present, err);
	if (rc || !present)
		return rc;
	return read_string(v, path_join(&p, base, key, -1), out, err);
}

static int strv_member(json_object *o, const char *base, const char *key,
		       int required, char ***out, size_t *n,
		       struct xio_err *err)
{
	json_object *v;
	struct path p;
	size_t i, len;
	int present, rc;

	rc = member(o, base, key, required, &v, &present, err);
	if (rc || !present)
		return rc;
	if (!json_object_is_type(v, json_type_array))
		return xio_err_set(err, XIO_EINVAL, "%s: expected an array",
				   path_join(&p, base, key, -1));
	len = json_object_array_length(v);
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return xio_err_set(err, XIO_ENOMEM, "%s: out of memory", base);
	for (i = 0; i < len; i++) {
		rc = read_string(json_object_array_get_idx(v, i),
				 path_join(&p, base, key, (long)i), &(*out)[i], err);
		if (rc)
			return rc;
		*n = i + 1;
	}
	return 0;
}

static int enum_member(json_object *o, const char *base, const char *key,
		       int required, const char *const *names, size_t nnames,
		       int *out, struct xio_err *err)
{
	json_object *v;
	struct path p;
	const char *s;
	size_t i;
	int present, rc;

	rc = member(o, base, key, required, &v, &present, err);
	if (rc || !present)
		return rc;
	path_join(&p, base, key, -1);
	if (!json_object_is_type(v, json_type_string))
		return xio_err_set(err, XIO_EINVAL, "%s: expected a string", p.s);
	s = json_object_get_string(v);
	for (i = 0; i < nnames; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return xio_err_set(err, XIO_EINVAL, "%s: unknown value \"%.60s\"", p.s, s);
}

static int int_member(json_object *o, const char *base, const char *key,
		      int *out, struct xio_err *err)
{
	json_object *v;
	struct path p;
	double d;
	int present, rc;

	rc = member(o, base, key, 1, &v, &present, err);
	if (rc)
		return rc;
	path_join(&p, base, key, -1);
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i < INT_MIN || i > INT_MAX)
			return xio_err_set(err, XIO_EINVAL, "%s: out of range", p.s);
		*out = (int)i;
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (isfinite(d) && floor(d) == d && d >= INT_MIN && d <= INT_MAX) {
			*out = (int)d;
			return 0;
		}
	}
	return xio_err_set(err, XIO_EINVAL, "%s: expected an integer", p.s);
}

static int object_check(json_object *o, const char *where, struct xio_err *err)
{
	if (!json_object_is_type(o, json_type_object))
		return xio_err_set(err, XIO_EINVAL, "%s: expected an object",
				   *where ? where : "(root)");
	return 0;
}

static int alternative_from_json(struct xio_alternative *a, json_object *o,
				 const char *base, struct xio_err *err)
{
	int rc;

	if ((rc = object_check(o, base, err)) ||
	    (rc = str_member(o, base, "title", 1, &a->title, err)) ||
	    (rc = strv_member(o, base, "pros", 0, &a->pros, &a->npros, err)) ||
	    (rc = strv_member(o, base, "cons", 0, &a->cons, &a->ncons, err)))
		return rc;
	return 0;
}

static int risk_from_json(struct xio_risk *r, json_object *o, const char *base,
			  struct xio_err *err)
{
	int rc;

	if ((rc = object_check(o, base, err)) ||
	    (rc = str_member(o, base, "description", 1, &r->description, err)) ||
	    (rc = int_member(o, base, "impact", &r->impact, err)) ||
	    (rc = int_member(o, base, "probability", &r->probability, err)) ||
	    (rc = str_member(o, base, "mitigation", 0, &r->mitigation, err)))
		return rc;
	return 0;
}

/* Reads an array member whose elements are objects of size elem_size. */
static int array_member(json_object *o, const char *key, void **out, size_t *n,
			size_t elem_size,
			int (*read)(void *elem, json_object *v, const char *base,
				    struct xio_err *err),
			struct xio_err *err)
{
	json_object *v;
	struct path p;
	size_t i, len;
	int present, rc;

	rc = member(o, "", key, 1, &v, &present, err);
	if (rc)
		return rc;
	if (!json_object_is_type(v, json_type_array))
		return xio_err_set(err, XIO_EINVAL, "%s: expected an array", key);
	len = json_object_array_length(v);
	if (!len)
		return 0;
	*out = calloc(len, elem_size);
	if (!*out)
		return xio_err_set(err, XIO_ENOMEM, "%s: out of memory", key);
	for (i = 0; i < len; i++) {
		/* Count the element before reading it so that release frees
		 * whatever a failed read left behind. */
		*n = i + 1;
		rc = read((char *)*out + i * elem_size, json_object_array_get_idx(v, i),
			  path_join(&p, "", key, (long)i), err);
		if (rc)
			return rc;
	}
	return 0;
}

static int alternative_read_cb(void *elem, json_object *v, const char *base,
			       struct xio_err *err)
{
	return alternative_from_json(elem, v, base, err);
}

static int risk_read_cb(void *elem, json_object *v, const char *base,
			struct xio_err *err)
{
	return risk_from_json(elem, v, base, err);
}

int xio_decision_log_from_json(struct xio_decision_log *log, json_object *obj,
			       struct xio_err *err)
{
	json_object *th;
	int present, status = XIO_DECISION_DRAFT, rc;

	xio_decision_log_init(log);
	if ((rc = object_check(obj, "", err)) ||
	    (rc = str_member(obj, "", "question", 1, &log->question, err)) ||
	    (rc = array_member(obj, "alternatives", (void **)&log->alternatives,
			       &log->nalternatives, sizeof(*log->alternatives),
			       alternative_read_cb, err)) ||
	    (rc = str_member(obj, "", "decision", 1, &log->decision, err)) ||
	    (rc = str_member(obj, "", "rationale", 1, &log->rationale, err)) ||
	    (rc = array_member(obj, "risks", (void **)&log->risks, &log->nrisks,
			       sizeof(*log->risks), risk_read_cb, err)) ||
	    (rc = strv_member(obj, "", "participants", 0, &log->participants,
			      &log->nparticipants, err)) ||
	    (rc = member(obj, "", "thread", 0, &th, &present, err)))
		goto out;
	if (present) {
		static const char *const platforms[] = {"console", "slack", "telegram"};
		int platform = 0;

		if ((rc = object_check(th, "thread", err)) ||
		    (rc = enum_member(th, "thread", "platform", 1, platforms,
				      XIO_ARRAY_LEN(platforms), &platform, err)) ||
		    (rc = str_member(th, "thread", "chat", 1, &log->thread.chat, err)) ||
		    (rc = str_member(th, "thread", "thread", 0, &log->thread.thread, err)))
			goto out;
		log->thread.platform = strdup(platforms[platform]);
		if (!log->thread.platform) {
			rc = xio_err_set(err, XIO_ENOMEM, "thread: out of memory");
			goto out;
		}
	}
	if ((rc = str_member(obj, "", "created_at", 0, &log->created_at, err)) ||
	    (rc = str_member(obj, "", "updated_at", 0, &log->updated_at, err)) ||
	    (rc = enum_member(obj, "", "status", 0, decision_status_names,
			      XIO_ARRAY_LEN(decision_status_names), &status, err)))
		goto out;
	log->status = (enum xio_decision_status)status;
out:
	if (rc)
		xio_decision_log_release(log);
	return rc;
}

static int task_from_json_at(struct xio_task *t, json_object *obj,
			     const char *base, struct xio_err *err)
{
	json_object *v;
	struct path p;
	int present, priority = XIO_TASK_LOW, status = XIO_TASK_OPEN, rc;

	xio_task_init(t);
	if ((rc = object_check(obj, base, err)) ||
	    (rc = str_member(obj, base, "title", 1, &t->title, err)) ||
	    (rc = str_member(obj, base, "owner", 1, &t->owner, err)) ||
	    (rc = member(obj, base, "due", 1, &v, &present, err)))
		goto out;
	if (v && (rc = read_string(v, path_join(&p, base, "due", -1), &t->due, err)))
		goto out;
	if ((rc = enum_member(obj, base, "priority", 1, task_priority_names,
			      XIO_ARRAY_LEN(task_priority_names), &priority, err)) ||
	    (rc = enum_member(obj, base, "status", 0, task_status_names,
			      XIO_ARRAY_LEN(task_status_names), &status, err)) ||
	    (rc = member(obj, base, "confidence", 1, &v, &present, err)))
		goto out;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)) {
		rc = xio_err_set(err, XIO_EINVAL, "%s: expected a number",
				 path_join(&p, base, "confidence", -1));
		goto out;
	}
	t->confidence = json_object_get_double(v);
	t->priority = (enum xio_task_priority)priority;
	t->status = (enum xio_task_status)status;
	rc = str_member(obj, base, "source_message", 0, &t->source_message, err);
out:
	if (rc)
		xio_task_release(t);
	return rc;
}

int xio_task_from_json(struct xio_task *t, json_object *obj, struct xio_err *err)
{
	return task_from_json_at(t, obj, "", err);
}

int xio_tasks_from_json(struct xio_task **out, size_t *n, json_object *arr,
			struct xio_err *err)
{
	struct xio_task *tasks = NULL;
	struct path p;
	size_t i, len;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!json_object_is_type(arr, json_type_array))
		return xio_err_set(err, XIO_EINVAL, "(root): expected an array of tasks");
	len = json_object_array_length(arr);
	if (!len)
		return 0;
	tasks = calloc(len, sizeof(*tasks));
	if (!tasks)
		return xio_err_set(err, XIO_ENOMEM, "tasks: out of memory");
	for (i = 0; i < len; i++) {
		rc = task_from_json_at(&tasks[i], json_object_array_get_idx(arr, i),
				       path_join(&p, "", NULL, (long)i), err);
		if (rc) {
			xio_tasks_free(tasks, i);
			return rc;
		}
	}
	*out = tasks;
	*n = len;
	return 0;
}

json_object *xio_confidence_json(double c)
{
	char b[32];

	snprintf(b, sizeof(b), "%.2f", c);
	return json_object_new_double_s(c, b);
}
