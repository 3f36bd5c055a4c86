/*
 * llm_proto.h — the wire format of OpenAI-compatible chat completions,
 * without any I/O: reading stream chunks and whole responses into a
 * completion, reading the many shapes of error bodies, and reading the JSON a
 * model was asked to answer with.
 *
 * Kept apart from the client (llm.c) so that each parser is unit-tested and
 * fuzzed on its own (tests/unit/test_llm_proto.c, tests/fuzz/fuzz_sse.c,
 * tests/fuzz/fuzz_llm_output.c).
 */
#ifndef XIO_LLM_PROTO_H
#define XIO_LLM_PROTO_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* A completion being assembled from chunks (or from one response). */
struct xio_llm_acc {
	struct xio_buf text;      /* choices[0] content so far */
	char finish_reason[32];   /* "" until the last chunk */
	char model[128];          /* as the server reports it, "" if not */
	int64_t prompt_tokens;    /* -1 until a usage object arrives */
	int64_t completion_tokens;
	int done;                 /* "[DONE]" seen */
	int got_content;          /* at least one content byte arrived */
	unsigned long chunks;     /* chunks applied */
};

/* Prepares a; max_text caps the content (0 = 256 KiB). */
void xio_llm_acc_init(struct xio_llm_acc *a, size_t max_text);
void xio_llm_acc_release(struct xio_llm_acc *a);

/*
 * Applies one SSE event's data: "[DONE]", or a chat.completion.chunk (delta
 * content, finish_reason, model, usage).  Returns 0; XIO_EPROTO with err when
 * the data is not a JSON object or the chunk carries "error" (err then holds
 * the server's message); XIO_ETOOBIG when the content outgrows its cap.
 */
int xio_llm_acc_chunk(struct xio_llm_acc *a, const char *data, size_t len, struct xio_err *err);

/*
 * Reads a whole (non-streamed) chat.completion response body.  Returns 0, or
 * XIO_EPROTO with err (not JSON, no choices[0].message, an "error" object),
 * or XIO_ETOOBIG.
 */
int xio_llm_acc_body(struct xio_llm_acc *a, const char *body, size_t len, struct xio_err *err);

/*
 * Writes the server's own explanation found in an error body into out
 * (always NUL-terminated): {"error":{"message","type","code"}} with code a
 * string or an integer, {"error":"text"} (LM Studio, Ollama), {"detail":…}
 * and {"message":…}; for anything else the body's first bytes with control
 * characters replaced.  Returns 1 if a structured message was found, else 0.
 * out is "" for an empty body.
 */
int xio_llm_error_text(const char *body, size_t len, char *out, size_t outlen);

/* Same, for an already parsed JSON value (the "error" member of a chunk, or
 * a whole error body). */
int xio_llm_error_json(json_object *o, char *out, size_t outlen);

/*
 * Reads the JSON object a model answered with: the whole text, or the body of
 * a ```json fenced block, or the span from the first '{' to the last '}'
 * (models like to wrap JSON in prose).  Returns a new reference (caller
 * puts), or NULL with XIO_EINVAL in err when no JSON object is found.
 */
json_object *xio_llm_output_json(const char *text, size_t len, struct xio_err *err);

#endif
