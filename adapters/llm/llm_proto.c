/*
 * llm_proto.c — chunks, responses, error bodies and JSON answers of
 * OpenAI-compatible servers.  Every input here comes from the network or a
 * model, so nothing is trusted: types are checked before use and sizes are
 * capped.
 */
#include "llm_proto.h"

#include <stdio.h>
#include <string.h>

#define ACC_DEFAULT_MAX (256u * 1024)

void xio_llm_acc_init(struct xio_llm_acc *a, size_t max_text)
{
	memset(a, 0, sizeof(*a));
	xio_buf_init(&a->text, max_text ? max_text : ACC_DEFAULT_MAX);
	a->prompt_tokens = a->completion_tokens = -1;
}

void xio_llm_acc_release(struct xio_llm_acc *a)
{
	xio_buf_release(&a->text);
}

static json_object *member(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

static const char *member_str(json_object *o, const char *k)
{
	json_object *v = member(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Copies s into out with control characters (and a cut UTF-8 tail) made
 * harmless for a log line. */
static void copy_clean(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, k = 0;

	if (!outlen)
		return;
	for (i = 0; i < n && k + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	/* do not end inside a UTF-8 sequence */
	while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0xC0)
		k--;
	out[k] = '\0';
}

int xio_llm_error_json(json_object *o, char *out, size_t outlen)
{
	json_object *e = member(o, "error"), *code;
	const char *msg = NULL, *type = NULL;
	char codebuf[64] = "";

	if (outlen)
		out[0] = '\0';
	if (e && json_object_is_type(e, json_type_string)) {
		msg = json_object_get_string(e); /* LM Studio, Ollama */
	} else if (e && json_object_is_type(e, json_type_object)) {
		msg = member_str(e, "message");
		type = member_str(e, "type");
		code = member(e, "code");
		if (code && json_object_is_type(code, json_type_string))
			snprintf(codebuf, sizeof(codebuf), "%s", json_object_get_string(code));
		else if (code && json_object_is_type(code, json_type_int))
			snprintf(codebuf, sizeof(codebuf), "%lld", (long long)json_object_get_int64(code));
	} else if (!e && o && json_object_is_type(o, json_type_object)) {
		json_object *d = member(o, "detail");

		msg = member_str(o, "message");
		if (!msg && d && json_object_is_type(d, json_type_string))
			msg = json_object_get_string(d);
		else if (!msg && d)
			msg = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
	} else if (o && json_object_is_type(o, json_type_string)) {
		msg = json_object_get_string(o);
	}
	if (!msg && !*codebuf && !type)
		return 0;
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s%s%s%s%s", msg ? msg : "(no message)",
			 *codebuf || type ? " [" : "", *codebuf ? codebuf : "",
			 *codebuf && type ? ", " : "", type ? type : "");
		if (*codebuf || type)
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "]");
		copy_clean(out, outlen, tmp, strlen(tmp));
	}
	return 1;
}

int xio_llm_error_text(const char *body, size_t len, char *out, size_t outlen)
{
	json_tokener *tok;
	json_object *o;
	int found = 0;

	if (outlen)
		out[0] = '\0';
	if (!body || !len)
		return 0;
	tok = json_tokener_new();
	if (!tok) {
		copy_clean(out, outlen, body, len < 200 ? len : 200);
		return 0;
	}
	o = json_tokener_parse_ex(tok, body, (int)(len > 1 << 20 ? 1 << 20 : len));
	if (o && json_tokener_get_error(tok) == json_tokener_success)
		found = xio_llm_error_json(o, out, outlen);
	json_object_put(o);
	json_tokener_free(tok);
	if (!found)
		copy_clean(out, outlen, body, len < 200 ? len : 200);
	return found;
}

static json_object *parse_object(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o = NULL;
	size_t i;

	if (len >= (size_t)1 << 30 || !(tok = json_tokener_new()))
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		/* one JSON value, then only white space */
		for (i = json_tokener_get_parse_end(tok); i < len; i++)
			if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
				break;
		if (i < len) {
			json_object_put(o);
			o = NULL;
		}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void take_usage(struct xio_llm_acc *a, json_object *o)
{
	json_object *u = member(o, "usage"), *v;

	if (!u || !json_object_is_type(u, json_type_object))
		return;
	v = member(u, "prompt_tokens");
	if (v && json_object_is_type(v, json_type_int))
		a->prompt_tokens = json_object_get_int64(v);
	v = member(u, "completion_tokens");
	if (v && json_object_is_type(v, json_type_int))
		a->completion_tokens = json_object_get_int64(v);
}

static void take_meta(struct xio_llm_acc *a, json_object *o, json_object *choice)
{
	const char *m = member_str(o, "model"), *fr = member_str(choice, "finish_reason");

	if (m && !a->model[0])
		copy_clean(a->model, sizeof(a->model), m, strlen(m));
	if (fr)
		copy_clean(a->finish_reason, sizeof(a->finish_reason), fr, strlen(fr));
	take_usage(a, o);
}

static int append_content(struct xio_llm_acc *a, json_object *holder, struct xio_err *err)
{
	json_object *c = member(holder, "content");
	size_t n;

	if (!c || !json_object_is_type(c, json_type_string))
		return 0; /* role-only deltas, tool calls, null content */
	n = (size_t)json_object_get_string_len(c);
	if (!n)
		return 0;
	if (xio_buf_append(&a->text, json_object_get_string(c), n))
		return xio_err_set(err, XIO_ETOOBIG, "completion longer than %zu bytes", a->text.max);
	a->got_content = 1;
	return 0;
}

int xio_llm_acc_chunk(struct xio_llm_acc *a, const char *data, size_t len, struct xio_err *err)
{
	json_object *o, *choices, *choice = NULL;
	char msg[400];
	int rc = 0;

	while (len && (*data == ' ' || *data == '\t'))
		data++, len--;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		a->done = 1;
		return 0;
	}
	o = parse_object(data, len);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return xio_err_set(err, XIO_EPROTO, "stream chunk is not a JSON object");
	}
	if (member(o, "error")) {
		xio_llm_error_json(o, msg, sizeof(msg));
		rc = xio_err_set(err, XIO_EPROTO, "error in stream: %s", msg);
		goto out;
	}
	a->chunks++;
	choices = member(o, "choices");
	if (choices && json_object_is_type(choices, json_type_array) &&
	    json_object_array_length(choices) > 0)
		choice = json_object_array_get_idx(choices, 0);
	take_meta(a, o, choice);
	if (choice)
		rc = append_content(a, member(choice, "delta"), err);
out:
	json_object_put(o);
	return rc;
}

int xio_llm_acc_body(struct xio_llm_acc *a, const char *body, size_t len, struct xio_err *err)
{
	json_object *o = parse_object(body, len), *choices, *choice = NULL, *message;
	char msg[400];
	int rc = 0;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return xio_err_set(err, XIO_EPROTO, "response is not a JSON object");
	}
	if (member(o, "error")) {
		xio_llm_error_json(o, msg, sizeof(msg));
		rc = xio_err_set(err, XIO_EPROTO, "error in response: %s", msg);
		goto out;
	}
	choices = member(o, "choices");
	if (choices && json_object_is_type(choices, json_type_array) &&
	    json_object_array_length(choices) > 0)
		choice = json_object_array_get_idx(choices, 0);
	message = member(choice, "message");
	if (!message || !json_object_is_type(message, json_type_object)) {
		rc = xio_err_set(err, XIO_EPROTO, "response has no choices[0].message");
		goto out;
	}
	take_meta(a, o, choice);
	rc = append_content(a, message, err);
	a->done = 1;
out:
	json_object_put(o);
	return rc;
}

json_object *xio_llm_output_json(const char *text, size_t len, struct xio_err *err)
{
	const char *fence, *open, *close, *end = text + len;
	json_object *o;

	if (!text)
		return xio_err_set(err, XIO_EINVAL, "empty answer"), NULL;
	o = parse_object(text, len);
	if (o && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	fence = memmem(text, len, "```", 3);
	if (fence) {
		const char *body = memchr(fence + 3, '\n', (size_t)(end - fence - 3));
		const char *stop = body ? memmem(body, (size_t)(end - body), "```", 3) : NULL;

		if (body && stop) {
			o = parse_object(body + 1, (size_t)(stop - body - 1));
			if (o && json_object_is_type(o, json_type_object))
				return o;
			json_object_put(o);
		}
	}
	open = memchr(text, '{', len);
	close = NULL;
	for (const char *p = end; p > text; p--)
		if (p[-1] == '}') {
			close = p - 1;
			break;
		}
	if (open && close && close > open) {
		o = parse_object(open, (size_t)(close - open + 1));
		if (o && json_object_is_type(o, json_type_object))
			return o;
		json_object_put(o);
	}
	xio_err_set(err, XIO_EINVAL, "the answer holds no JSON object");
	return NULL;
}
