/*
 * api.h — the HTTP API and the live event stream, on the app's HTTP server.
 *
 * For a moderator panel and other tools: read consiliums, their transcripts,
 * participants, decisions (full-text search) and tasks; run the commands a
 * chat user could (pause, resume, stop, decide, approve) and add human
 * participants — both as engine input through the runner, so an API call
 * changes a consilium exactly as a chat message would; follow a consilium
 * live over a WebSocket; read the audit log.
 *
 *   GET  /api/openapi.json                    the OpenAPI 3.1 description (no auth)
 *   GET  /api/consiliums?chat&phase&since&limit&cursor
 *   GET  /api/consiliums/{id}
 *   GET  /api/consiliums/{id}/messages?limit&cursor
 *   GET  /api/consiliums/{id}/participants
 *   POST /api/consiliums/{id}/participants    {"name": "..."}
 *   POST /api/consiliums/{id}/commands        {"command": "pause", "args": ""}
 *   GET  /api/consiliums/{id}/events?after&limit   (WebSocket when upgraded)
 *   GET  /api/decisions?q&limit
 *   GET  /api/tasks?owner&status&limit&cursor
 *   GET  /api/audit?consilium&actor&since&limit&cursor
 *
 * Every /api call but the description needs "Authorization: Bearer <token>"
 * with a token from http.api_token (named "api") or http.api_tokens
 * ("name=token"; the name is the actor in the audit log), compared in
 * constant time.  With no token configured every such call gets 403 (a
 * reload that adds one takes effect at once).  Errors are JSON {"error": "...", "status": N}; unknown
 * query parameters, malformed numbers, bodies that are not the documented
 * JSON object, and text that is not UTF-8 are refused with 400.  CORS
 * headers are sent only when http.cors_origin is set.
 *
 * The stream: each event is one text frame
 *   {"seq":N,"type":"chat_message","consilium_id":C,"at":MS,"data":{...}}
 * (types and data in api_events.h).  seq increases strictly; a client that
 * reconnects with ?after=<last seq it saw> gets every later event exactly
 * once; that backlog is read from the store as the client takes it.  A
 * live client too slow to take its frames is closed with 1008 and the seq
 * to resume from in the reason.  A stream whose token a reload revokes is
 * closed with 1008 "token revoked".
 */
#ifndef XIO_API_H
#define XIO_API_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "err.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "runner.h"
#include "store.h"

struct xio_api;

struct xio_api_opts {
	uv_loop_t *loop;              /* for the metrics timer; NULL = none */
	struct xio_store *store;      /* borrowed */
	struct xio_runner *runner;    /* borrowed; its committed_cb is taken */
	struct xio_outbox *outbox;    /* borrowed, may be NULL (metrics) */
	struct xio_http_server *http; /* borrowed; routes are mounted on it */
	struct xio_metrics *metrics;  /* borrowed, may be NULL */
	struct xio_log *log;          /* borrowed, may be NULL */
	const struct xio_clock *clock;
	const char *token;            /* http.api_token; "" or NULL = none */
	json_object *named_tokens;    /* http.api_tokens: array of "name=token" */
	const char *cors_origin;      /* "" or NULL = CORS off */
	size_t ws_max_queue;          /* bytes queued per client; 0 = 8 MiB */
};

/*
 * Creates the API: hooks into the runner's commits (to push events and
 * keep the metrics), registers its metrics, and mounts the /api routes and
 * the WebSocket route on o->http (when given), with or without tokens:
 * without one every call but the description answers 403 until
 * xio_api_set_tokens adds one.  Returns 0 and
 * *out (free with xio_api_free before the HTTP server), or XIO_EINVAL for a
 * malformed http.api_tokens entry (err names it), XIO_ENOMEM.
 */
int xio_api_new(struct xio_api **out, const struct xio_api_opts *o, struct xio_err *err);

/*
 * Replaces the accepted bearer tokens (token: named "api", NULL or "" for
 * none; named: http.api_tokens, borrowed) — for a config reload.  Streams
 * opened with a token no longer accepted are closed (1008 "token
 * revoked").  All or nothing: on XIO_EINVAL (a malformed entry, err names
 * it) or XIO_ENOMEM the tokens in use and the streams stay.  Returns 0 or
 * that code.
 */
int xio_api_set_tokens(struct xio_api *api, const char *token, json_object *named,
		       struct xio_err *err);

/* Closes every WebSocket (1001 "going away"), stops the timer, unhooks the
 * runner and frees.  NULL is a no-op. */
void xio_api_free(struct xio_api *api);

/* Pushes events committed since the last call to connected clients and
 * updates the metrics they feed.  The runner calls it after each commit. */
void xio_api_notify(struct xio_api *api);

/* Number of connected stream clients. */
size_t xio_api_clients(const struct xio_api *api);

/* ---- parameter parsing (exposed for tests and fuzzing) ---- */

enum xio_api_route {
	XIO_API_NONE = 0,
	XIO_API_OPENAPI,
	XIO_API_CONSILIUMS,
	XIO_API_CONSILIUM,
	XIO_API_MESSAGES,
	XIO_API_PARTICIPANTS,
	XIO_API_COMMANDS,
	XIO_API_EVENTS,
	XIO_API_DECISIONS,
	XIO_API_TASKS,
	XIO_API_AUDIT,
	XIO_API_BAD_ID  /* /api/consiliums/{not an id}[/known tail]: a 400 */
};

/* Maps a request path to its route; *id receives the consilium id of
 * /api/consiliums/{id}[/...] (a positive decimal of at most 18 digits, no
 * sign or leading zero).  Returns XIO_API_BAD_ID when that segment is not
 * such an id but the rest is a route, XIO_API_NONE for anything else. */
enum xio_api_route xio_api_parse_path(const char *path, int64_t *id);

/* Parses a decimal integer in [min, max] (digits only, optional leading
 * '-' when min < 0).  Returns 0 or XIO_EINVAL. */
int xio_api_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parses a time: milliseconds since the epoch, or RFC 3339 UTC
 * "2024-05-01T12:00:00Z" / "2024-05-01".  Returns 0 or XIO_EINVAL. */
int xio_api_parse_time(const char *s, int64_t *ms);

/* 1 when s is valid UTF-8 of 1..max bytes without control characters
 * (tab excepted when allow_newlines, and newlines too). */
int xio_api_text_ok(const char *s, size_t max, int allow_newlines);

/* Constant-time comparison of a presented token with a configured one
 * (time depends only on the configured token's length). */
int xio_api_token_equal(const char *presented, const char *configured);

#endif
