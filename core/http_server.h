/*
 * http_server.h — the HTTP server on the shared loop: webhooks, health,
 * readiness and metrics.
 *
 * One server is one libwebsockets vhost listening on host:port, on the lws
 * context of struct xio_loop (libuv foreign loop).  Modules mount handlers
 * with xio_http_server_route(); adapters mount their webhooks this way
 * (POST /slack/events, POST /telegram/webhook).  The server answers by itself:
 *
 *   GET /healthz   200 "ok" while the loop runs
 *   GET /readyz    200 when every readiness probe says ready, else 503 with
 *                  {"status":"not ready","not_ready":["store",...]}
 *   GET /metrics   Prometheus text from the struct xio_metrics given in opts
 *
 * and refuses, before any handler runs, with one log line each (method, path,
 * status, reason; never a body or a credential header):
 *
 *   400  malformed request (lws cannot parse it, or a bad Content-Length)
 *   404  {"error":"not found"}              no route for the path
 *   405  {"error":"method not allowed"}     the path exists for other methods
 *   411  chunked upload, or POST/PUT/PATCH without Content-Length (lws 4.1
 *        does not decode chunked request bodies)
 *   413  Content-Length over the route's body limit (checked before reading)
 *   417  an Expect other than 100-continue
 *
 * Expect: 100-continue is honoured: lws 4.1 never sends the interim
 * "100 Continue", so the server writes it once the request has passed the
 * checks above (a refused request gets its refusal instead, and the
 * connection is closed after it since the body may or may not follow).
 *
 * WebSocket upgrades on the same vhost (and port) are routed separately with
 * xio_http_server_ws_route(): the route's accept callback sees the upgrade
 * request (path, query, headers) and accepts or refuses it with an HTTP
 * status before the handshake.
 *
 * Handlers run on the loop thread from inside lws callbacks.  A handler
 * answers with xio_http_reply() — at once, or later: it calls
 * xio_http_request_defer(), keeps the request pointer, and replies from any
 * other callback (a timer, a curl completion).  If the client went away in
 * the meantime, the late reply is dropped and the request freed.
 */
#ifndef XIO_HTTP_SERVER_H
#define XIO_HTTP_SERVER_H

#include <stddef.h>

#include "err.h"
#include "loop.h"
#include "metrics.h"

struct xio_http_server;
struct xio_http_request;

/* Server options; zero-initialise, then set what you need. */
struct xio_http_server_opts {
	size_t max_body_bytes;        /* default body cap; 0 = 1 MiB */
	struct xio_metrics *metrics;  /* borrowed, for GET /metrics; NULL
				       * = /metrics answers 404 */
	struct xio_log *log;          /* borrowed; NULL = the loop's log */
	int keepalive_timeout_s;      /* idle keep-alive; 0 = 5 s */
};

/*
 * Handler of a route.  req is valid until xio_http_reply() is called on it,
 * or, if the handler neither replies nor defers, until the handler returns
 * (the server then answers 500 itself, as a bug worth seeing).
 */
typedef void (*xio_http_handler_cb)(struct xio_http_request *req, void *ud);

/* Readiness probe: returns 1 when ready.  On 0 it may write a short reason
 * (shown in the log, not to the client) into why[0..whylen-1]. */
typedef int (*xio_http_ready_cb)(void *ud, char *why, size_t whylen);

/*
 * Creates a server listening on host:port on loop's lws context.  host is a
 * numeric IPv4/IPv6 address or NULL/"" for every interface; port 0 picks a
 * free port (see xio_http_server_port).  opts may be NULL (defaults).
 * Returns 0 and *out (caller frees with xio_http_server_free, before
 * xio_loop_release), or XIO_EBUSY "http server: 127.0.0.1:8080 is already in
 * use", XIO_EINVAL for a bad host, XIO_EIO when lws refuses, XIO_ENOMEM; on
 * error *out is NULL and nothing is left to free.
 */
int xio_http_server_new(struct xio_http_server **out, struct xio_loop *loop,
			const char *host, int port,
			const struct xio_http_server_opts *opts,
			struct xio_err *err);

/*
 * Stops serving and frees the server: the listening socket and open
 * connections are closed by lws shortly after (asynchronously); requests a
 * handler deferred stay valid for xio_http_reply (which then drops the
 * answer).  Call before the loop's lws context is destroyed.  NULL is a
 * no-op.
 */
void xio_http_server_free(struct xio_http_server *srv);

/* The port the server listens on (the chosen one when created with 0). */
int xio_http_server_port(const struct xio_http_server *srv);

/*
 * Mounts handler for method ("GET", "POST", ...; case-sensitive) on path.  A
 * path ending in '*' is a prefix ("/api/" + "*" matches "/api/" and everything
 * under it); otherwise the match is exact.  Exact routes win over prefixes,
 * longer prefixes over shorter.  max_body_bytes overrides the server's cap
 * for this route (0 = server default).  Returns 0, XIO_EINVAL (bad method or
 * path, or the same method+path twice), XIO_ENOMEM.
 */
int xio_http_server_route(struct xio_http_server *srv, const char *method,
			  const char *path, size_t max_body_bytes,
			  xio_http_handler_cb handler, void *ud,
			  struct xio_err *err);

/*
 * Adds a readiness probe named name (copied) to GET /readyz.  Returns 0,
 * XIO_EINVAL (empty name or NULL fn), XIO_ENOMEM.
 */
int xio_http_server_add_ready_probe(struct xio_http_server *srv,
				    const char *name, xio_http_ready_cb fn,
				    void *ud);

/* ---- the request ---- */

/* "GET", "POST", ... */
const char *xio_http_request_method(const struct xio_http_request *req);

/* The path, URL-decoded by lws, without the query string. */
const char *xio_http_request_path(const struct xio_http_request *req);

/* The query string as lws gives it: each name=value part URL-decoded, parts
 * joined with '&' ("" when there is none); empty parts ("path?", "a=1&",
 * "a=1&&b=2") are left out, here and in the two calls below. */
const char *xio_http_request_query(const struct xio_http_request *req);

/* The decoded value of query parameter name (first occurrence), or NULL.
 * Valid as long as req. */
const char *xio_http_request_query_param(const struct xio_http_request *req,
					 const char *name);

/* Iterates over the query's parts, each "name=value" (or "name"), decoded:
 * pass NULL for the first, then the previous result; NULL after the last.
 * Valid as long as req. */
const char *xio_http_request_query_next(const struct xio_http_request *req,
					const char *prev);

/*
 * Copies the value of request header name (case-insensitive, without the
 * colon, e.g. "X-Slack-Signature" or "Content-Type") into out[0..outlen-1],
 * NUL-terminated.  Returns its length, XIO_ENOTFOUND if absent, XIO_ETOOBIG
 * if it does not fit, XIO_ESTATE when called after the handler returned
 * (headers live in lws's header table, which is only held that long).
 */
int xio_http_request_header(struct xio_http_request *req, const char *name,
			    char *out, size_t outlen);

/* The request body (NUL-terminated for convenience) and its length; "" and
 * 0 when there is none.  Valid as long as req. */
const char *xio_http_request_body(const struct xio_http_request *req,
				  size_t *len);

/* The peer's address as text ("127.0.0.1"). */
const char *xio_http_request_remote_addr(const struct xio_http_request *req);

/*
 * Takes the request over for an asynchronous reply: after this the handler
 * may return without replying, and req stays valid until xio_http_reply()
 * is called on it — which the caller must do exactly once, even when the
 * client has gone (it then only frees).  Returns req.
 */
struct xio_http_request *xio_http_request_defer(struct xio_http_request *req);

/* 1 while the client is still connected and the server still exists. */
int xio_http_request_alive(const struct xio_http_request *req);

/*
 * Adds a response header (name without colon; name and value copied).  Call
 * before xio_http_reply.  Returns 0, XIO_EINVAL (bad name, CR/LF in either),
 * XIO_ENOMEM.
 */
int xio_http_reply_header(struct xio_http_request *req, const char *name,
			  const char *value);

/*
 * Answers the request: status, content type (NULL = none), body (copied;
 * may be NULL when len is 0).  The answer is written when the socket is
 * writable.  After the call req belongs to the server and must not be used.
 * Returns 0; XIO_ECANCELED when the client went away (the answer is
 * dropped); XIO_ENOMEM (the server then closes the connection); XIO_ESTATE
 * when req was already answered.
 */
int xio_http_reply(struct xio_http_request *req, int status,
		   const char *content_type, const void *body, size_t len);

/* Shorthand for a JSON body (content type application/json). */
int xio_http_reply_json(struct xio_http_request *req, int status,
			const char *json);

/* ---- WebSockets on the same vhost ---- */

/*
 * A WebSocket connection accepted on a ws route.  The upgrade request is
 * checked by the route's accept callback before the handshake; frames the
 * owner sends are queued (copied) and written when flushed, in bursts.
 */
struct xio_ws;

struct xio_ws_ops {
	/*
	 * An upgrade request for the route arrived.  req's path, query and
	 * headers can be read during the call only (do not reply or defer it).
	 * Return 0 to accept: ws exists from now on and xio_ws_send may be
	 * called at once (frames go out after the handshake).  Or return an
	 * HTTP status (400..599) to refuse, with a JSON body written to
	 * body[0..bodylen-1]; the client gets that answer and ws is gone.
	 */
	int (*accept)(void *ud, struct xio_ws *ws, struct xio_http_request *req,
		      char *body, size_t bodylen);
	/* The client sent a message (may be NULL: messages are dropped). */
	void (*receive)(void *ud, struct xio_ws *ws, const void *data, size_t len);
	/* The connection ended by itself (client closed, network error, or the
	 * server was freed); ws is invalid after the call.  Not called after
	 * the owner's own xio_ws_close. */
	void (*closed)(void *ud, struct xio_ws *ws);
	/* Every frame queued so far has been written, after some had to wait
	 * for the socket (NULL: not told).  Called from the server's writable
	 * callback, never from inside xio_ws_queue or xio_ws_flush: the owner
	 * may queue and flush more, or close ws. */
	void (*drained)(void *ud, struct xio_ws *ws);
};

/*
 * Mounts ops for WebSocket upgrades on path (exact, or a prefix ending in
 * '*', as for xio_http_server_route; ws routes are matched separately from
 * HTTP routes).  ops is borrowed and must outlive the server.  A plain GET
 * on the same path is an HTTP request like any other.  Returns 0,
 * XIO_EINVAL (bad path, NULL ops->accept, path mounted twice), XIO_ENOMEM.
 */
int xio_http_server_ws_route(struct xio_http_server *srv, const char *path,
			     const struct xio_ws_ops *ops, void *ud,
			     struct xio_err *err);

/*
 * Queues a text frame (copied) for ws, to go out at the next xio_ws_flush
 * (or writable callback).  Returns 0; XIO_ETOOBIG when the frames waiting
 * would pass max_queue bytes (0 = 8 MiB) — nothing is queued and the owner
 * should close the slow client; XIO_ESTATE when ws is closing or gone;
 * XIO_ENOMEM.
 */
int xio_ws_queue(struct xio_ws *ws, const char *text, size_t len, size_t max_queue);

/*
 * Writes ws's queued frames now, as far as the socket takes them, in one
 * corked burst; the rest go out from writable callbacks.  Before the
 * handshake has finished it does nothing (the frames follow it).  A write
 * error closes the connection later, from lws's callback (ops->closed).
 */
void xio_ws_flush(struct xio_ws *ws);

/* xio_ws_queue, then xio_ws_flush; returns what xio_ws_queue returned. */
int xio_ws_send(struct xio_ws *ws, const char *text, size_t len, size_t max_queue);

/* Bytes queued and not yet written. */
size_t xio_ws_queued(const struct xio_ws *ws);

/*
 * Closes ws once the frames already queued are written, with a close code
 * (1000 normal, 1008 policy, 1011 error; 0 = 1000) and a short reason
 * (copied, at most 120 bytes kept).  The owner lets go: ws must not be used
 * after this call and ops->closed is not called for it.
 */
void xio_ws_close(struct xio_ws *ws, int code, const char *reason);

/* The owner's pointer for ws (NULL until set). */
void xio_ws_set_user(struct xio_ws *ws, void *user);
void *xio_ws_user(const struct xio_ws *ws);

/* ---- route matching (exposed for tests and fuzzing) ---- */

/* How well route path pattern matches path: -1 no match; otherwise a score,
 * higher is better (exact match beats any prefix, longer prefix beats
 * shorter). */
int xio_http_route_match(const char *pattern, const char *path);

#endif
