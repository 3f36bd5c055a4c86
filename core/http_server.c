/*
 * http_server.c — routes, built-in endpoints and refusals on an lws vhost.
 *
 * Life of a request (lws 4.1.6, HTTP/1.1):
 *   LWS_CALLBACK_HTTP            headers parsed: build the request, refuse
 *                                (400/404/405/411/413/417), send the
 *                                "100 Continue" lws never sends, or run the
 *                                handler at once when no body is expected
 *   LWS_CALLBACK_HTTP_BODY       body pieces into a capped buffer
 *   LWS_CALLBACK_HTTP_BODY_COMPLETION   run the handler
 *   LWS_CALLBACK_HTTP_WRITEABLE  write the answer: headers, then the body in
 *                                pieces, one lws_write per callback
 *   LWS_CALLBACK_HTTP_DROP_PROTOCOL / CLOSED_HTTP   the connection lets go
 *
 * A request is reference-counted: one reference for the connection, one for
 * a handler that deferred its answer.  When the connection goes first, the
 * request stays behind with wsi == NULL, and the late xio_http_reply only
 * frees it.
 *
 * The vhost can outlive the server: lws closes its connections and frees it
 * asynchronously after lws_vhost_destroy.  So lws's user pointer is a small
 * anchor, not the server; the anchor goes when both sides are done with it
 * (the server freed, and lws's finalize callback seen).
 *
 * Requests lws cannot parse at all (an unknown method, garbage) are handed by
 * lws to a raw-socket fallback protocol (FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG)
 * whose only job is to answer a fixed 400 and close.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_KEEPALIVE_S 5
#define WRITE_CHUNK 16384
#define METRICS_MAX_TEXT (16 * 1024 * 1024)
/* Past this much unwanted body we close rather than read and discard it. */
#define DISCARD_MAX (1024 * 1024)

struct http_route {
	char *method;
	char *path;
	size_t max_body;
	xio_http_handler_cb cb;
	void *ud;
};

struct ws_route {
	char *path;
	const struct xio_ws_ops *ops;
	void *ud;
};

/* A queued outgoing frame: LWS_PRE bytes of room, then the payload. */
struct ws_frame {
	struct ws_frame *next;
	size_t len;
	unsigned char buf[];
};

struct http_probe {
	char *name;
	xio_http_ready_cb fn;
	void *ud;
};

/* lws's vhost user pointer; see the file comment. */
struct http_anchor {
	struct xio_http_server *srv; /* NULL once the server is freed */
	char *iface;                 /* lws keeps pointing at it */
	int vhost_gone;              /* lws called finalize */
};

struct xio_http_server {
	struct xio_loop *loop;
	struct xio_log *log;
	struct lws_vhost *vh;
	struct http_anchor *anchor;
	int port;
	size_t max_body;
	struct xio_metrics *metrics;
	struct http_route *routes;
	size_t nroutes;
	struct http_probe *probes;
	size_t nprobes;
	struct xio_http_request *reqs; /* live requests, for xio_http_server_free */
	struct ws_route *ws_routes;
	size_t nws_routes;
	struct xio_ws *wss;            /* accepted WebSockets */
};

struct xio_ws {
	struct xio_http_server *srv; /* NULL once the server is freed */
	struct lws *wsi;             /* NULL once the connection is gone */
	struct xio_ws *prev, *next;  /* in srv->wss */
	const struct xio_ws_ops *ops; /* NULL once the owner let go */
	void *ud, *user;
	struct ws_frame *head, *tail;
	size_t queued;
	int established;
	int failed;  /* a write outside the writable callback failed */
	int closing;
	int close_started; /* the close handshake is lws's from here on */
	int close_code;
	char reason[124];
};

struct xio_http_request {
	struct xio_http_server *srv; /* NULL once the server is freed */
	struct lws *wsi;             /* NULL once the connection let go */
	struct xio_http_request *prev, *next; /* in srv->reqs */
	int refs;
	const char *method;  /* static string */
	char *path;
	struct xio_buf query;  /* parts joined by '&' */
	struct xio_buf qparts; /* the same parts, each NUL-terminated */
	char remote[64];
	struct xio_buf body;
	const struct http_route *route;
	int expect_body;
	int in_handler;
	int deferred;
	int refused;     /* body callbacks are ignored */
	int close_after; /* close the connection after the answer */
	/* the answer */
	int replied;
	int failed;      /* could not build the answer: close */
	int status;
	char *ctype;
	struct xio_buf extra; /* "name\0value\0" pairs */
	unsigned char *out;   /* LWS_PRE + body */
	size_t out_len, out_off;
	int headers_sent;
	int head;            /* a HEAD request: the GET's headers, no body */
};

/* lws's per-connection data for the http protocol. */
struct http_pss {
	struct xio_http_request *req;
	struct xio_ws *ws; /* set when the connection became a WebSocket */
};

static const char *const method_names[] = {
	[LWSHUMETH_GET] = "GET",         [LWSHUMETH_POST] = "POST",
	[LWSHUMETH_OPTIONS] = "OPTIONS", [LWSHUMETH_PUT] = "PUT",
	[LWSHUMETH_PATCH] = "PATCH",     [LWSHUMETH_DELETE] = "DELETE",
	[LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
};

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len);
static int fallback_cb(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len);

/* lws copies this table into each vhost; the names must outlive vhosts, so
 * they are string literals. */
static const struct lws_protocols http_protocols[] = {
	{ "xio-http", http_cb, sizeof(struct http_pss), 0, 0, NULL, 0 },
	{ "xio-http-fallback", fallback_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- requests ---- */

static void req_unref(struct xio_http_request *req)
{
	if (--req->refs > 0)
		return;
	if (req->srv) {
		if (req->prev)
			req->prev->next = req->next;
		else
			req->srv->reqs = req->next;
		if (req->next)
			req->next->prev = req->prev;
	}
	free(req->path);
	xio_buf_release(&req->query);
	xio_buf_release(&req->qparts);
	xio_buf_release(&req->body);
	xio_buf_release(&req->extra);
	free(req->ctype);
	free(req->out);
	free(req);
}

/* The connection lets go of its request (transaction over, or closed). */
static void pss_detach(struct http_pss *pss)
{
	struct xio_http_request *req;

	if (!pss || !pss->req)
		return;
	req = pss->req;
	pss->req = NULL;
	req->wsi = NULL;
	req_unref(req);
}

const char *xio_http_request_method(const struct xio_http_request *req)
{
	return req->method;
}

const char *xio_http_request_path(const struct xio_http_request *req)
{
	return req->path;
}

const char *xio_http_request_query(const struct xio_http_request *req)
{
	return req->query.data ? req->query.data : "";
}

const char *xio_http_request_query_param(const struct xio_http_request *req,
					 const char *name)
{
	const char *p = req->qparts.data, *end = p + req->qparts.len;
	size_t nl = strlen(name);

	for (; p && p < end; p += strlen(p) + 1) {
		if (strncmp(p, name, nl))
			continue;
		if (p[nl] == '=')
			return p + nl + 1;
		if (!p[nl])
			return p + nl;
	}
	return NULL;
}

const char *xio_http_request_query_next(const struct xio_http_request *req,
					const char *prev)
{
	const char *end = req->qparts.data + req->qparts.len;
	const char *p = prev ? prev + strlen(prev) + 1 : req->qparts.data;

	return req->qparts.data && p < end ? p : NULL;
}

const char *xio_http_request_body(const struct xio_http_request *req,
				  size_t *len)
{
	if (len)
		*len = req->body.len;
	return req->body.data ? req->body.data : "";
}

const char *xio_http_request_remote_addr(const struct xio_http_request *req)
{
	return req->remote;
}

int xio_http_request_header(struct xio_http_request *req, const char *name,
			    char *out, size_t outlen)
{
	char key[128];
	size_t nl = strlen(name);
	int t, n, total;

	if (!req->in_handler || !req->wsi)
		return XIO_ESTATE;
	if (!nl || nl + 2 > sizeof(key) || outlen == 0 || outlen > 0x7fffffff)
		return XIO_EINVAL;
	for (size_t i = 0; i < nl; i++) {
		char c = name[i];
		key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	key[nl] = ':';
	key[nl + 1] = '\0';
	/* Headers lws knows are stored as tokens; others as custom headers. */
	for (t = 0; t < WSI_TOKEN_COUNT; t++) {
		const unsigned char *s = lws_token_to_string((enum lws_token_indexes)t);

		if (!s || strcmp((const char *)s, key))
			continue;
		total = lws_hdr_total_length(req->wsi, (enum lws_token_indexes)t);
		if (total <= 0)
			return XIO_ENOTFOUND;
		if ((size_t)total >= outlen)
			return XIO_ETOOBIG;
		n = lws_hdr_copy(req->wsi, out, (int)outlen,
				 (enum lws_token_indexes)t);
		return n < 0 ? XIO_ETOOBIG : n;
	}
	total = lws_hdr_custom_length(req->wsi, key, (int)(nl + 1));
	if (total < 0)
		return XIO_ENOTFOUND;
	if ((size_t)total >= outlen)
		return XIO_ETOOBIG;
	n = lws_hdr_custom_copy(req->wsi, out, (int)outlen, key, (int)(nl + 1));
	return n < 0 ? XIO_ETOOBIG : n;
}

struct xio_http_request *xio_http_request_defer(struct xio_http_request *req)
{
	if (!req->deferred && !req->replied) {
		req->deferred = 1;
		req->refs++;
	}
	return req;
}

int xio_http_request_alive(const struct xio_http_request *req)
{
	return req->wsi && req->srv;
}

static int header_text_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

int xio_http_reply_header(struct xio_http_request *req, const char *name,
			  const char *value)
{
	int rc;

	if (!name || !name[0] || strpbrk(name, ": \t") ||
	    !header_text_ok(name) || !header_text_ok(value))
		return XIO_EINVAL;
	rc = xio_buf_append(&req->extra, name, strlen(name) + 1);
	if (!rc)
		rc = xio_buf_append(&req->extra, value, strlen(value) + 1);
	return rc;
}

int xio_http_reply(struct xio_http_request *req, int status,
		   const char *content_type, const void *body, size_t len)
{
	int alive, rc = 0;

	if (req->replied)
		return XIO_ESTATE;
	req->replied = 1;
	alive = xio_http_request_alive(req);
	if (alive) {
		req->status = status;
		req->out = malloc(LWS_PRE + len + 1);
		if (content_type)
			req->ctype = strdup(content_type);
		if (!req->out || (content_type && !req->ctype)) {
			req->failed = 1;
			rc = XIO_ENOMEM;
		} else {
			if (len)
				memcpy(req->out + LWS_PRE, body, len);
			req->out_len = len;
		}
		lws_callback_on_writable(req->wsi);
	} else {
		rc = XIO_ECANCELED;
	}
	if (req->deferred) {
		/* The holder's reference: it must not touch req again. */
		req->deferred = 0;
		req_unref(req);
	}
	return rc;
}

int xio_http_reply_json(struct xio_http_request *req, int status,
			const char *json)
{
	return xio_http_reply(req, status, "application/json", json,
			      strlen(json));
}

/* ---- routes ---- */

int xio_http_route_match(const char *pattern, const char *path)
{
	size_t pl = strlen(pattern);

	if (pl && pattern[pl - 1] == '*') {
		if (strncmp(pattern, path, pl - 1))
			return -1;
		return (int)(pl - 1 > 100000 ? 100000 : pl - 1);
	}
	if (strcmp(pattern, path))
		return -1;
	return 200000;
}

/* Finds the best route for path and method; *path_known says whether any
 * method has a route there (for 404 vs 405). */
static const struct http_route *route_find(const struct xio_http_server *srv,
					   const char *method, const char *path,
					   int *path_known)
{
	const struct http_route *best = NULL;
	int best_score = -1, score;
	size_t i;

	*path_known = 0;
	for (i = 0; i < srv->nroutes; i++) {
		score = xio_http_route_match(srv->routes[i].path, path);
		if (score < 0)
			continue;
		*path_known = 1;
		/* HEAD is GET without the body (RFC 9110 9.3.2) */
		if ((strcmp(srv->routes[i].method, method) &&
		     (strcmp(method, "HEAD") || strcmp(srv->routes[i].method, "GET"))) ||
		    score <= best_score)
			continue;
		best = &srv->routes[i];
		best_score = score;
	}
	return best;
}

/* Allow: the methods with a route at req's path (RFC 9110 15.5.6), GET
 * bringing HEAD.  Best effort: out of memory, the 405 goes without it. */
static void allow_header(const struct xio_http_server *srv, struct xio_http_request *req)
{
	struct xio_buf b;
	size_t i, j;
	int rc = 0;

	xio_buf_init(&b, 0);
	for (i = 0; i < XIO_ARRAY_LEN(method_names) && !rc; i++) {
		const char *m = method_names[i];
		int has = 0;

		if (!m)
			continue;
		for (j = 0; j < srv->nroutes && !has; j++)
			has = xio_http_route_match(srv->routes[j].path, req->path) >= 0 &&
			      (!strcmp(srv->routes[j].method, m) ||
			       (!strcmp(m, "HEAD") && !strcmp(srv->routes[j].method, "GET")));
		if (has)
			rc = xio_buf_printf(&b, "%s%s", b.len ? ", " : "", m);
	}
	if (!rc && b.len)
		xio_http_reply_header(req, "Allow", b.data);
	xio_buf_release(&b);
}

static int method_valid(const char *m)
{
	size_t i;

	for (i = 0; i < XIO_ARRAY_LEN(method_names); i++)
		if (method_names[i] && !strcmp(method_names[i], m))
			return 1;
	return 0;
}

int xio_http_server_route(struct xio_http_server *srv, const char *method,
			  const char *path, size_t max_body_bytes,
			  xio_http_handler_cb handler, void *ud,
			  struct xio_err *err)
{
	struct http_route *nr, r = { 0 };
	size_t i;

	if (!method || !method_valid(method))
		return xio_err_set(err, XIO_EINVAL, "http route: bad method '%s'",
				   method ? method : "(null)");
	if (!path || path[0] != '/' || !handler)
		return xio_err_set(err, XIO_EINVAL,
				   "http route %s %s: path must start with '/' "
				   "and a handler is needed", method,
				   path ? path : "(null)");
	for (i = 0; i < srv->nroutes; i++)
		if (!strcmp(srv->routes[i].method, method) &&
		    !strcmp(srv->routes[i].path, path))
			return xio_err_set(err, XIO_EINVAL,
					   "http route %s %s: already mounted",
					   method, path);
	r.method = strdup(method);
	r.path = strdup(path);
	r.max_body = max_body_bytes ? max_body_bytes : srv->max_body;
	r.cb = handler;
	r.ud = ud;
	nr = r.method && r.path ?
		realloc(srv->routes, (srv->nroutes + 1) * sizeof(*nr)) : NULL;
	if (!nr) {
		free(r.method);
		free(r.path);
		return xio_err_set(err, XIO_ENOMEM, "http route %s %s: out of memory",
				   method, path);
	}
	srv->routes = nr;
	srv->routes[srv->nroutes++] = r;
	return 0;
}

int xio_http_server_add_ready_probe(struct xio_http_server *srv,
				    const char *name, xio_http_ready_cb fn,
				    void *ud)
{
	struct http_probe *np;
	char *copy;

	if (!name || !name[0] || !fn)
		return XIO_EINVAL;
	copy = strdup(name);
	if (!copy)
		return XIO_ENOMEM;
	np = realloc(srv->probes, (srv->nprobes + 1) * sizeof(*np));
	if (!np) {
		free(copy);
		return XIO_ENOMEM;
	}
	srv->probes = np;
	np[srv->nprobes].name = copy;
	np[srv->nprobes].fn = fn;
	np[srv->nprobes].ud = ud;
	srv->nprobes++;
	return 0;
}

/* ---- built-in endpoints ---- */

static void healthz_cb(struct xio_http_request *req, void *ud)
{
	(void)ud;
	xio_http_reply(req, 200, "text/plain; charset=utf-8", "ok", 2);
}

static void readyz_cb(struct xio_http_request *req, void *ud)
{
	struct xio_http_server *srv = ud;
	json_object *root = json_object_new_object(), *list = NULL;
	char why[256];
	size_t i;

	if (!root)
		goto oom;
	for (i = 0; i < srv->nprobes; i++) {
		why[0] = '\0';
		if (srv->probes[i].fn(srv->probes[i].ud, why, sizeof(why)))
			continue;
		xio_logf(srv->log, XIO_LOG_INFO, "http", "not ready: %s%s%s",
			 srv->probes[i].name, why[0] ? ": " : "", why);
		if (!list) {
			list = json_object_new_array();
			if (!list)
				goto oom;
			json_object_object_add(root, "not_ready", list);
		}
		json_object_array_add(list,
				      json_object_new_string(srv->probes[i].name));
	}
	json_object_object_add(root, "status", json_object_new_string(
				       list ? "not ready" : "ready"));
	xio_http_reply_json(req, list ? 503 : 200,
			    json_object_to_json_string_ext(root,
							   JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return;
oom:
	json_object_put(root);
	xio_http_reply_json(req, 500, "{\"error\":\"out of memory\"}");
}

static void metrics_cb(struct xio_http_request *req, void *ud)
{
	struct xio_http_server *srv = ud;
	struct xio_buf text;

	xio_buf_init(&text, METRICS_MAX_TEXT);
	if (xio_metrics_render(srv->metrics, &text)) {
		xio_logf(srv->log, XIO_LOG_ERROR, "http",
			 "metrics: rendering failed");
		xio_http_reply_json(req, 500, "{\"error\":\"metrics unavailable\"}");
	} else {
		xio_http_reply(req, 200, XIO_METRICS_CONTENT_TYPE,
			       text.data ? text.data : "", text.len);
	}
	xio_buf_release(&text);
}

/* ---- serving ---- */

/* Logs one refusal line and answers it. */
static void refuse(struct xio_http_request *req, int status,
		   const char *reason, const char *json)
{
	struct xio_http_server *srv = req->srv;
	json_object *f = json_object_new_object();

	if (f) {
		json_object_object_add(f, "method", json_object_new_string(req->method));
		json_object_object_add(f, "path", json_object_new_string(req->path));
		json_object_object_add(f, "status", json_object_new_int(status));
		json_object_object_add(f, "reason", json_object_new_string(reason));
		json_object_object_add(f, "remote", json_object_new_string(req->remote));
	}
	xio_log_fields(srv ? srv->log : NULL, XIO_LOG_WARN, "http", f,
		       "refused %s %s: %d %s", req->method, req->path, status,
		       reason);
	json_object_put(f);
	req->refused = 1;
	xio_http_reply_json(req, status, json);
}

static void run_handler(struct xio_http_request *req)
{
	req->refs++; /* the handler may reply, which must not free req here */
	req->in_handler = 1;
	req->route->cb(req, req->route->ud);
	req->in_handler = 0;
	if (!req->replied && !req->deferred) {
		xio_logf(req->srv ? req->srv->log : NULL, XIO_LOG_ERROR, "http",
			 "handler for %s %s returned without an answer",
			 req->method, req->path);
		xio_http_reply_json(req, 500, "{\"error\":\"internal error\"}");
	}
	req_unref(req);
}

/* Empty parts ("path?", "a=1&", "a=1&&b=2") are dropped: clients and SDK
 * generators send them and they mean nothing.  lws 4.1 keeps an empty
 * last part as the fragment "/" (its path parser's state), so a part that
 * is only "/" counts as empty too; no route has a parameter of that name. */
static int copy_query(struct xio_http_request *req, struct lws *wsi)
{
	char frag[1024];
	int i, n, rc = 0;

	for (i = 0; !rc; i++) {
		if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) <= 0) {
			if (i >= lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS))
				break;
			continue;
		}
		n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
					  WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (!n || (n == 1 && frag[0] == '/'))
			continue;
		if (req->query.len)
			rc = xio_buf_puts(&req->query, "&");
		if (!rc)
			rc = xio_buf_append(&req->query, frag, (size_t)n);
		if (!rc)
			rc = xio_buf_append(&req->qparts, frag, (size_t)n + 1);
	}
	return rc;
}

/* Parses Content-Length: -1 absent, -2 malformed, else the value. */
static long long content_length(struct lws *wsi)
{
	char s[32];
	long long v = 0;
	int n, i;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return -1;
	n = lws_hdr_copy(wsi, s, sizeof(s), WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (n <= 0 || n > 18)
		return -2;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -2;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Is the Expect header exactly "100-continue" (case-insensitive)? */
static int expect_continue(struct lws *wsi)
{
	char v[32];

	return lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_HTTP_EXPECT) > 0 &&
	       !strcasecmp(v, "100-continue");
}

static int on_http(struct xio_http_server *srv, struct http_pss *pss,
		   struct lws *wsi)
{
	struct xio_http_request *req;
	const struct http_route *route;
	char *uri = NULL;
	int meth, ulen = 0, path_known, te, expect;
	long long cl;

	pss_detach(pss);
	meth = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	req = calloc(1, sizeof(*req));
	if (!req)
		return -1;
	req->refs = 1;
	req->srv = srv;
	req->wsi = wsi;
	req->next = srv->reqs;
	if (srv->reqs)
		srv->reqs->prev = req;
	srv->reqs = req;
	pss->req = req;
	req->method = meth >= 0 && (size_t)meth < XIO_ARRAY_LEN(method_names) &&
		      method_names[meth] ? method_names[meth] : "-";
	req->path = uri ? strndup(uri, (size_t)ulen) : strdup("-");
	xio_buf_init(&req->query, 0);
	xio_buf_init(&req->qparts, 0);
	xio_buf_init(&req->body, srv->max_body);
	xio_buf_init(&req->extra, 0);
	if (!req->path || copy_query(req, wsi))
		return -1; /* out of memory: the close detaches req */
	lws_get_peer_simple(wsi, req->remote, sizeof(req->remote));
	/* lws listens on IPv6 sockets: show IPv4 peers as IPv4. */
	if (!strncmp(req->remote, "::ffff:", 7) && strchr(req->remote, '.'))
		memmove(req->remote, req->remote + 7, strlen(req->remote + 7) + 1);

	te = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	expect = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_EXPECT) > 0;
	cl = content_length(wsi);
	/* With a body lws cannot frame (chunked) or one the client has not
	 * sent yet (Expect), the connection cannot carry another request. */
	req->close_after = te || expect || cl == -2;
	if (cl == -2) {
		refuse(req, 400, "bad Content-Length",
		       "{\"error\":\"bad Content-Length\"}");
		return 0;
	}
	req->head = !strcmp(req->method, "HEAD");
	route = route_find(srv, req->method, req->path, &path_known);
	if (!route) {
		if (path_known) {
			allow_header(srv, req);
			refuse(req, 405, "method not allowed",
			       "{\"error\":\"method not allowed\"}");
		}
		else
			refuse(req, 404, "no route", "{\"error\":\"not found\"}");
		if (cl > DISCARD_MAX)
			req->close_after = 1;
		return 0;
	}
	req->route = route;
	req->body.max = route->max_body;
	if (te) {
		refuse(req, 411, "chunked request body",
		       "{\"error\":\"chunked bodies are not accepted; send "
		       "Content-Length\"}");
		return 0;
	}
	if (expect && !expect_continue(wsi)) {
		refuse(req, 417, "unsupported Expect",
		       "{\"error\":\"only Expect: 100-continue is supported\"}");
		return 0;
	}
	if (cl == -1 && (meth == LWSHUMETH_POST || meth == LWSHUMETH_PUT ||
			 meth == LWSHUMETH_PATCH)) {
		/* lws would wait for a 100 MB body that never comes. */
		req->close_after = 1;
		refuse(req, 411, "no Content-Length",
		       "{\"error\":\"Content-Length required\"}");
		return 0;
	}
	if (cl > 0 && (unsigned long long)cl > route->max_body) {
		if (cl > DISCARD_MAX)
			req->close_after = 1;
		refuse(req, 413, "body over limit",
		       "{\"error\":\"request body too large\"}");
		return 0;
	}
	if (expect) {
		/* lws 4.1 never answers 100-continue itself; the client would
		 * stall, then send the body anyway. */
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		unsigned char buf[LWS_PRE + sizeof(cont)];

		memcpy(buf + LWS_PRE, cont, sizeof(cont) - 1);
		if (lws_write(wsi, buf + LWS_PRE, sizeof(cont) - 1,
			      LWS_WRITE_RAW) != (int)sizeof(cont) - 1)
			return -1;
		req->close_after = te; /* te is 0 here: keep-alive again */
	}
	/* lws calls BODY_COMPLETION for any POST with a Content-Length, even
	 * 0, and for other methods with a positive one. */
	req->expect_body = cl > 0 || meth == LWSHUMETH_POST;
	if (!req->expect_body)
		run_handler(req);
	return 0;
}

static int on_body(struct http_pss *pss, const void *in, size_t len)
{
	struct xio_http_request *req = pss ? pss->req : NULL;
	int rc;

	if (!req || req->refused || req->replied || !len)
		return 0;
	rc = xio_buf_append(&req->body, in, len);
	if (rc == XIO_ETOOBIG) {
		/* Content-Length was checked; only a lying client gets here. */
		req->close_after = 1;
		refuse(req, 413, "body over limit",
		       "{\"error\":\"request body too large\"}");
	} else if (rc) {
		return -1;
	}
	return 0;
}

static int on_body_done(struct http_pss *pss)
{
	struct xio_http_request *req = pss ? pss->req : NULL;

	if (req && !req->refused && !req->replied && req->expect_body &&
	    req->route)
		run_handler(req);
	return 0;
}

/* Writes the next piece of the answer; returns what the lws callback
 * returns (-1 closes). */
static int on_writeable(struct http_pss *pss, struct lws *wsi)
{
	struct xio_http_request *req = pss ? pss->req : NULL;
	unsigned char *hdr = NULL, *p, *end;
	const char *k, *v;
	size_t hlen, n;
	int rc = -1, flag;

	if (!req || !req->replied)
		return 0; /* spurious, or the answer is not ready yet */
	if (req->failed)
		return -1;
	if (!req->headers_sent) {
		hlen = LWS_PRE + 1024 + 2 * req->extra.len;
		hdr = malloc(hlen);
		if (!hdr)
			goto out;
		p = hdr + LWS_PRE;
		end = hdr + hlen - 1;
		if (lws_add_http_common_headers(wsi, (unsigned int)req->status,
						req->ctype, req->out_len, &p, end))
			goto out;
		for (k = req->extra.data; k && k < req->extra.data + req->extra.len;
		     k = v + strlen(v) + 1) {
			char name[256];

			v = k + strlen(k) + 1;
			snprintf(name, sizeof(name), "%s:", k);
			if (lws_add_http_header_by_name(wsi, (unsigned char *)name,
							(const unsigned char *)v,
							(int)strlen(v), &p, end))
				goto out;
		}
		if (req->close_after &&
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
						 (const unsigned char *)"close",
						 5, &p, end))
			goto out;
		if (lws_finalize_write_http_header(wsi, hdr + LWS_PRE, &p, end))
			goto out;
		req->headers_sent = 1;
		if (req->out_len && !req->head) {
			lws_callback_on_writable(wsi);
			rc = 0;
			goto out;
		}
	} else if (req->out_off < req->out_len) {
		n = req->out_len - req->out_off;
		flag = LWS_WRITE_HTTP_FINAL;
		if (n > WRITE_CHUNK) {
			n = WRITE_CHUNK;
			flag = LWS_WRITE_HTTP;
		}
		if (lws_write(wsi, req->out + LWS_PRE + req->out_off, n,
			      (enum lws_write_protocol)flag) != (int)n)
			goto out;
		req->out_off += n;
		if (req->out_off < req->out_len) {
			lws_callback_on_writable(wsi);
			rc = 0;
			goto out;
		}
	} else {
		return 0; /* already done; a spurious callback */
	}
	/* The answer is out.  lws_http_transaction_completed may rebind the
	 * protocol, which detaches (and may free) req: do not touch it after. */
	if (req->close_after)
		goto out;
	rc = lws_http_transaction_completed(wsi) ? -1 : 0;
out:
	free(hdr);
	return rc;
}

static struct xio_http_server *srv_of(struct lws *wsi)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct http_anchor *a = vh ? lws_vhost_user(vh) : NULL;

	return a ? a->srv : NULL;
}

/* ---- WebSockets ---- */

#define WS_DEFAULT_MAX_QUEUE (8u * 1024 * 1024)
#define WS_BURST 32

int xio_http_server_ws_route(struct xio_http_server *srv, const char *path,
			     const struct xio_ws_ops *ops, void *ud,
			     struct xio_err *err)
{
	struct ws_route *nr;
	char *copy;
	size_t i;

	if (!path || path[0] != '/' || !ops || !ops->accept)
		return xio_err_set(err, XIO_EINVAL,
				   "ws route %s: path must start with '/' and "
				   "accept is needed", path ? path : "(null)");
	for (i = 0; i < srv->nws_routes; i++)
		if (!strcmp(srv->ws_routes[i].path, path))
			return xio_err_set(err, XIO_EINVAL,
					   "ws route %s: already mounted", path);
	copy = strdup(path);
	nr = copy ? realloc(srv->ws_routes, (srv->nws_routes + 1) * sizeof(*nr))
		  : NULL;
	if (!nr) {
		free(copy);
		return xio_err_set(err, XIO_ENOMEM, "ws route %s: out of memory",
				   path);
	}
	srv->ws_routes = nr;
	nr[srv->nws_routes].path = copy;
	nr[srv->nws_routes].ops = ops;
	nr[srv->nws_routes].ud = ud;
	srv->nws_routes++;
	return 0;
}

static void ws_unlink(struct xio_ws *ws)
{
	if (!ws->srv)
		return;
	if (ws->prev)
		ws->prev->next = ws->next;
	else
		ws->srv->wss = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	ws->prev = ws->next = NULL;
	ws->srv = NULL;
}

static void ws_free(struct xio_ws *ws)
{
	struct ws_frame *f, *next;

	ws_unlink(ws);
	for (f = ws->head; f; f = next) {
		next = f->next;
		free(f);
	}
	free(ws);
}

static int ws_write_burst(struct xio_ws *ws);

int xio_ws_queue(struct xio_ws *ws, const char *text, size_t len, size_t max_queue)
{
	struct ws_frame *f;

	if (!max_queue)
		max_queue = WS_DEFAULT_MAX_QUEUE;
	if (ws->closing || !ws->wsi)
		return XIO_ESTATE;
	if (ws->queued + len > max_queue)
		return XIO_ETOOBIG;
	f = malloc(sizeof(*f) + LWS_PRE + len);
	if (!f)
		return XIO_ENOMEM;
	f->next = NULL;
	f->len = len;
	if (len)
		memcpy(f->buf + LWS_PRE, text, len);
	if (ws->tail)
		ws->tail->next = f;
	else
		ws->head = f;
	ws->tail = f;
	ws->queued += len;
	return 0;
}

void xio_ws_flush(struct xio_ws *ws)
{
	if (!ws->wsi || !ws->established || ws->failed || !ws->head)
		return;
	/* Written here, not from a writable callback: asking lws for one costs
	 * four epoll_ctl calls through libuv's poll handle (stop, start, and
	 * back), more than the writes themselves.  Only what lws has not
	 * buffered may be added to, and a failed write is reported from the
	 * callback, where the connection can be closed. */
	if (!lws_partial_buffered(ws->wsi) && ws_write_burst(ws))
		ws->failed = 1;
	if (ws->head || ws->failed)
		lws_callback_on_writable(ws->wsi);
}

int xio_ws_send(struct xio_ws *ws, const char *text, size_t len, size_t max_queue)
{
	int rc = xio_ws_queue(ws, text, len, max_queue);

	if (!rc)
		xio_ws_flush(ws);
	return rc;
}

size_t xio_ws_queued(const struct xio_ws *ws)
{
	return ws->queued;
}

void xio_ws_close(struct xio_ws *ws, int code, const char *reason)
{
	ws->ops = NULL;
	ws->closing = 1;
	ws->close_code = code ? code : 1000;
	snprintf(ws->reason, sizeof(ws->reason), "%.120s", reason ? reason : "");
	if (!ws->wsi)
		ws_free(ws); /* the connection already went: nothing to close */
	else if (ws->established)
		lws_callback_on_writable(ws->wsi);
}

void xio_ws_set_user(struct xio_ws *ws, void *user)
{
	ws->user = user;
}

void *xio_ws_user(const struct xio_ws *ws)
{
	return ws->user;
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Bad Request";
	}
}

/* Answers a refused upgrade with a plain HTTP response; lws closes the
 * connection when the filter callback returns non-zero. */
static void ws_refuse(struct xio_http_server *srv, struct lws *wsi, const char *path,
		      int status, const char *body)
{
	unsigned char buf[LWS_PRE + 1200];
	int n;

	if (status < 400 || status > 599)
		status = 500;
	n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
		     "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
		     "%scontent-length: %zu\r\nconnection: close\r\n\r\n%s",
		     status, status_text(status),
		     status == 401 ? "www-authenticate: Bearer\r\n" : "",
		     strlen(body), body);
	if (n > 0 && (size_t)n < sizeof(buf) - LWS_PRE)
		lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_RAW);
	xio_logf(srv->log, XIO_LOG_WARN, "http", "refused websocket %s: %d", path,
		 status);
}

/* LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: route and check the upgrade. */
static int on_ws_filter(struct xio_http_server *srv, struct http_pss *pss, struct lws *wsi)
{
	const struct ws_route *route = NULL;
	struct xio_http_request *req = NULL;
	struct xio_ws *ws = NULL;
	char path[1024], body[1024];
	int n, score, best = -1, status, rc = 1;
	size_t i;

	n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
	if (n <= 0) {
		ws_refuse(srv, wsi, "-", 400, "{\"error\":\"bad upgrade request\"}");
		return 1;
	}
	for (i = 0; i < srv->nws_routes; i++) {
		score = xio_http_route_match(srv->ws_routes[i].path, path);
		if (score > best) {
			best = score;
			route = &srv->ws_routes[i];
		}
	}
	if (!route) {
		ws_refuse(srv, wsi, path, 404, "{\"error\":\"not found\"}");
		return 1;
	}
	req = calloc(1, sizeof(*req));
	ws = calloc(1, sizeof(*ws));
	if (!req || !ws)
		goto out;
	req->refs = 1;
	req->wsi = wsi;
	req->method = "GET";
	req->in_handler = 1;
	req->replied = 1; /* a handler must not answer it */
	xio_buf_init(&req->query, 0);
	xio_buf_init(&req->qparts, 0);
	xio_buf_init(&req->body, 1);
	xio_buf_init(&req->extra, 0);
	req->path = strdup(path);
	if (!req->path || copy_query(req, wsi))
		goto out;
	lws_get_peer_simple(wsi, req->remote, sizeof(req->remote));
	ws->wsi = wsi;
	ws->ops = route->ops;
	ws->ud = route->ud;
	body[0] = '\0';
	status = route->ops->accept(route->ud, ws, req, body, sizeof(body));
	if (status) {
		ws_refuse(srv, wsi, path, status, body[0] ? body : "{\"error\":\"refused\"}");
		goto out;
	}
	ws->srv = srv;
	ws->next = srv->wss;
	if (srv->wss)
		srv->wss->prev = ws;
	srv->wss = ws;
	pss->ws = ws;
	ws = NULL;
	rc = 0;
out:
	if (ws)
		ws_free(ws);
	if (req) {
		req->in_handler = 0;
		req_unref(req);
	}
	return rc;
}

static const lws_retry_bo_t no_validity_policy = { 0 };

/* Kernel keepalive on a WebSocket's socket: an idle peer that vanished
 * without a FIN is dropped after about 90 s (60 s idle, then 3 probes 10 s
 * apart).  Best effort: a failure leaves the connection as it was. */
static void ws_keepalive(struct lws *wsi)
{
	int fd = (int)lws_get_socket_fd(wsi), on = 1, idle = 60, intvl = 10, cnt = 3;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)))
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Writes ws's queued frames, several per call while the socket takes them:
 * a stream fanning one event out to a thousand clients would otherwise pay
 * a poll round trip per frame.  lws buffers what the kernel does not take,
 * and then says so (lws_partial_buffered: no syscall, unlike
 * lws_send_pipe_choked's poll).  Corked, the burst leaves as one segment:
 * the kernel's transmit path, the costly part of a send, runs once, and the
 * client reads the frames with one recv.  Returns 0, or -1 when a write
 * failed (the connection is to be closed). */
static int ws_write_burst(struct xio_ws *ws)
{
	struct ws_frame *f = ws->head;
	int n, burst, corked, one = 1, zero = 0, fd = (int)lws_get_socket_fd(ws->wsi);

	corked = f && f->next && fd >= 0 &&
		 !setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	for (burst = 0; f && burst < WS_BURST; burst++) {
		n = lws_write(ws->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
		ws->head = f->next;
		if (!ws->head)
			ws->tail = NULL;
		ws->queued -= f->len;
		free(f);
		if (n < 0)
			return -1;
		f = ws->head;
		if (f && lws_partial_buffered(ws->wsi))
			break;
	}
	if (corked)
		setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	return 0;
}

static int on_ws_writeable(struct http_pss *pss, struct lws *wsi)
{
	struct xio_ws *ws = pss ? pss->ws : NULL;

	if (!ws)
		return 0;
	if (ws->failed)
		return -1;
	if (!ws->head) {
		/* once only: a second close would kill the connection before
		 * its close frame is out */
		if (ws->closing && !ws->close_started) {
			ws->close_started = 1;
			xio_loop_ws_close(wsi, ws->close_code, ws->reason);
		}
		return 0;
	}
	if (ws_write_burst(ws))
		return -1;
	if (!ws->head && !ws->closing && ws->ops && ws->ops->drained)
		ws->ops->drained(ws->ud, ws);
	if (ws->head || ws->closing)
		lws_callback_on_writable(wsi);
	return 0;
}

static void on_ws_closed(struct http_pss *pss)
{
	struct xio_ws *ws = pss ? pss->ws : NULL;

	if (!ws)
		return;
	pss->ws = NULL;
	ws->wsi = NULL;
	if (ws->ops && ws->ops->closed && ws->srv)
		ws->ops->closed(ws->ud, ws);
	ws_free(ws);
}


static int http_cb(struct lws *wsi, enum lws_callback_reasons reason,
		   void *user, void *in, size_t len)
{
	struct http_pss *pss = user;
	struct xio_http_server *srv;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		srv = srv_of(wsi);
		if (!srv || !pss)
			return -1; /* the server is gone: close */
		return on_http(srv, pss, wsi);
	case LWS_CALLBACK_HTTP_BODY:
		return on_body(pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return on_body_done(pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_writeable(pss, wsi);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		pss_detach(pss);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		srv = srv_of(wsi);
		if (!srv || !pss)
			return -1;
		pss_detach(pss);
		return on_ws_filter(srv, pss, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		if (pss && pss->ws) {
			pss->ws->established = 1;
			ws_keepalive(wsi);
			if (pss->ws->head || pss->ws->closing)
				lws_callback_on_writable(wsi);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return on_ws_writeable(pss, wsi);
	case LWS_CALLBACK_RECEIVE:
		if (pss && pss->ws && pss->ws->ops && pss->ws->ops->receive)
			pss->ws->ops->receive(pss->ws->ud, pss->ws, in, len);
		return 0;
	case LWS_CALLBACK_CLOSED:
		on_ws_closed(pss);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static int fallback_cb(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	static const char answer[] =
		"HTTP/1.1 400 Bad Request\r\n"
		"content-type: application/json\r\n"
		"content-length: 27\r\n"
		"connection: close\r\n"
		"\r\n"
		"{\"error\":\"bad request\"}\r\n\r\n";
	unsigned char buf[LWS_PRE + sizeof(answer)];
	struct xio_http_server *srv;
	char peer[64] = "";

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		srv = srv_of(wsi);
		if (!srv)
			return -1;
		lws_get_peer_simple(wsi, peer, sizeof(peer));
		xio_logf(srv->log, XIO_LOG_WARN, "http",
			 "refused - -: 400 unparsable request (from %s)", peer);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		memcpy(buf + LWS_PRE, answer, sizeof(answer) - 1);
		lws_write(wsi, buf + LWS_PRE, sizeof(answer) - 1, LWS_WRITE_RAW);
		return -1; /* lws flushes, then closes */
	default:
		return 0;
	}
}

/* ---- server lifecycle ---- */

static void anchor_free(struct http_anchor *a)
{
	free(a->iface);
	free(a);
}

static void vhost_finalize_cb(struct lws_vhost *vh, void *arg)
{
	struct http_anchor *a = arg;

	(void)vh;
	a->vhost_gone = 1;
	if (!a->srv)
		anchor_free(a);
}

/*
 * Is host:port taken?  lws cannot tell "in use" from other bind failures
 * (lws_create_vhost just returns NULL), and, worse, silently shares the
 * listening socket of another vhost of the same context on the same port.
 * A bind with SO_REUSEADDR, as lws does it, answers both.
 */
static int port_in_use(const char *host, int port)
{
	struct addrinfo hints, *ai = NULL;
	char ps[16];
	int fd, one = 1, busy = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = host ? AF_UNSPEC : AF_INET6;
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0) {
		hints.ai_family = AF_INET;
		if (host || getaddrinfo(NULL, ps, &hints, &ai) != 0)
			return 0;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 && !host && ai->ai_family == AF_INET6) {
		freeaddrinfo(ai);
		ai = NULL;
		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, ps, &hints, &ai) != 0)
			return 0;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
	}
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno == EADDRINUSE)
			busy = 1;
		close(fd);
	}
	freeaddrinfo(ai);
	return busy;
}

static int host_valid(const char *host)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return !host || inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

static void server_destroy(struct xio_http_server *srv)
{
	struct xio_http_request *req, *next;
	size_t i;

	for (req = srv->reqs; req; req = next) {
		next = req->next;
		req->srv = NULL;
		req->prev = req->next = NULL;
	}
	/* Owners hear of their WebSockets' end now; the connections close
	 * with the vhost, later, and only free what is left. */
	while (srv->wss) {
		struct xio_ws *ws = srv->wss;

		ws_unlink(ws);
		if (ws->ops && ws->ops->closed)
			ws->ops->closed(ws->ud, ws);
		ws->ops = NULL;
	}
	for (i = 0; i < srv->nws_routes; i++)
		free(srv->ws_routes[i].path);
	free(srv->ws_routes);
	for (i = 0; i < srv->nroutes; i++) {
		free(srv->routes[i].method);
		free(srv->routes[i].path);
	}
	free(srv->routes);
	for (i = 0; i < srv->nprobes; i++)
		free(srv->probes[i].name);
	free(srv->probes);
	free(srv);
}

int xio_http_server_new(struct xio_http_server **out, struct xio_loop *loop,
			const char *host, int port,
			const struct xio_http_server_opts *opts,
			struct xio_err *err)
{
	struct lws_context_creation_info info;
	struct xio_http_server *srv = NULL;
	struct http_anchor *anchor = NULL;
	const char *shown;
	int rc = 0, lws_knows = 0;

	*out = NULL;
	if (host && !host[0])
		host = NULL;
	shown = host ? host : "*";
	if (!loop || !loop->lws)
		return xio_err_set(err, XIO_ESTATE, "http server: loop not running");
	if (port < 0 || port > 65535 || !host_valid(host))
		return xio_err_set(err, XIO_EINVAL,
				   "http server: bad listen address %s:%d "
				   "(host must be a numeric IP address)",
				   shown, port);
	if (port && port_in_use(host, port))
		return xio_err_set(err, XIO_EBUSY,
				   "http server: %s:%d is already in use",
				   shown, port);
	srv = calloc(1, sizeof(*srv));
	anchor = calloc(1, sizeof(*anchor));
	if (!srv || !anchor || (host && !(anchor->iface = strdup(host)))) {
		rc = xio_err_set(err, XIO_ENOMEM, "http server: out of memory");
		goto out;
	}
	srv->loop = loop;
	srv->log = opts && opts->log ? opts->log : loop->log;
	srv->max_body = opts && opts->max_body_bytes ? opts->max_body_bytes
						     : DEFAULT_MAX_BODY;
	srv->metrics = opts ? opts->metrics : NULL;
	srv->anchor = anchor;
	anchor->srv = srv;

	if ((rc = xio_http_server_route(srv, "GET", "/healthz", 0, healthz_cb,
					srv, err)) ||
	    (rc = xio_http_server_route(srv, "GET", "/readyz", 0, readyz_cb,
					srv, err)) ||
	    (srv->metrics &&
	     (rc = xio_http_server_route(srv, "GET", "/metrics", 0, metrics_cb,
					 srv, err))))
		goto out;

	memset(&info, 0, sizeof(info));
	info.port = port; /* 0: the kernel picks, lws reports it */
	info.iface = anchor->iface;
	info.protocols = http_protocols;
	info.vhost_name = "xio-http";
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
		       LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = "xio-http-fallback";
	info.keepalive_timeout = opts && opts->keepalive_timeout_s
					 ? opts->keepalive_timeout_s
					 : DEFAULT_KEEPALIVE_S;
	/* No lws validity timer: by default lws re-arms a five-minute one on
	 * every frame in or out, a sorted insert that walks every other
	 * connection's timer (at 1,000 stream clients, most of the cost of a
	 * fan-out).  Dead stream peers are found by TCP keepalive instead
	 * (set per WebSocket, ws_keepalive). */
	info.retry_and_idle_policy = &no_validity_policy;
	info.user = anchor;
	info.finalize = vhost_finalize_cb;
	info.finalize_arg = anchor;
	lws_knows = 1;
	srv->vh = lws_create_vhost(loop->lws, &info);
	if (!srv->vh) {
		rc = port_in_use(host, port)
			? xio_err_set(err, XIO_EBUSY,
				      "http server: %s:%d is already in use",
				      shown, port)
			: xio_err_set(err, XIO_EIO,
				      "http server: cannot listen on %s:%d",
				      shown, port);
		goto out;
	}
	srv->port = lws_get_vhost_listen_port(srv->vh);
	xio_logf(srv->log, XIO_LOG_INFO, "http", "listening on %s:%d", shown,
		 srv->port);
	*out = srv;
	srv = NULL;
	anchor = NULL;
out:
	if (anchor) {
		/* A vhost lws failed to create reports through finalize when
		 * lws frees it, perhaps later: leave the anchor to it then. */
		anchor->srv = NULL;
		if (!lws_knows || anchor->vhost_gone)
			anchor_free(anchor);
	}
	if (srv)
		server_destroy(srv);
	return rc;
}

void xio_http_server_free(struct xio_http_server *srv)
{
	struct http_anchor *a;
	struct lws_vhost *vh;

	if (!srv)
		return;
	a = srv->anchor;
	vh = srv->vh;
	a->srv = NULL;
	/* lws_vhost_destroy may finalize (and free the anchor) at once, or
	 * later once its connections have closed. */
	lws_vhost_destroy(vh);
	server_destroy(srv);
}

int xio_http_server_port(const struct xio_http_server *srv)
{
	return srv->port;
}
