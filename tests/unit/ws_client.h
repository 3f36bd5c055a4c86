/*
 * ws_client.h — a small WebSocket test client on libwebsockets, for the API
 * tests and the event-stream benchmark.
 *
 * One struct wsc is one lws context on lws's own poll loop (wsc_init), or
 * on a libuv loop of the caller's (wsc_init_uv: epoll, for the benchmark's
 * thousand connections, where poll() over every descriptor per turn would
 * be the client's cost, not the server's) — never the XIO loop: run it in a
 * thread of its own, or a process of its own, never on the thread that runs
 * the server's loop.  Each struct wsc_conn is one
 * connection; wsc_service() turns the crank.  Frames are kept (copied) in
 * conn->frames unless conn->on_frame is set.
 */
#ifndef XIO_TEST_WS_CLIENT_H
#define XIO_TEST_WS_CLIENT_H

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

enum { WSC_CONNECTING = 0, WSC_OPEN, WSC_CLOSED, WSC_FAILED };

struct wsc_conn {
	struct lws *wsi;
	int state;
	char **frames;
	size_t nframes, cap;
	char error[160];
	/* data is len bytes, not NUL-terminated */
	void (*on_frame)(struct wsc_conn *c, const char *data, size_t len);
	void *ud;
	/* a frame may arrive in fragments */
	char *partial;
	size_t plen;
};

struct wsc {
	struct lws_context *ctx;
	lws_sorted_usec_list_t tick; /* bounds each lws_service wait */
	const char *token; /* sent as Authorization: Bearer; NULL = none */
	int port;
	uv_loop_t *uv; /* NULL: lws's own poll loop */
};

static int wsc_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct wsc_conn *c = lws_get_opaque_user_data(wsi);
	struct wsc *w = lws_context_user(lws_get_context(wsi));

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (w && w->token) {
			unsigned char **p = in, *end = *p + len;
			char v[300];

			snprintf(v, sizeof(v), "Bearer %s", w->token);
			if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
							 (unsigned char *)v, (int)strlen(v), p,
							 end))
				return -1;
		}
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c)
			c->state = WSC_OPEN;
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c)
			return 0;
		if (c->on_frame && !c->plen && lws_is_first_fragment(wsi) &&
		    lws_is_final_fragment(wsi)) {
			/* a whole frame in one piece: no copy (the
			 * benchmark's clients take thousands a second) */
			c->on_frame(c, in, len);
			return 0;
		}
		{
			char *np = realloc(c->partial, c->plen + len + 1);

			if (!np)
				return -1;
			c->partial = np;
			memcpy(c->partial + c->plen, in, len);
			c->plen += len;
			c->partial[c->plen] = '\0';
		}
		if (!lws_is_final_fragment(wsi))
			return 0;
		if (c->on_frame) {
			c->on_frame(c, c->partial, c->plen);
			free(c->partial);
		} else {
			if (c->nframes == c->cap) {
				size_t ncap = c->cap ? c->cap * 2 : 16;
				char **nf = realloc(c->frames, ncap * sizeof(*nf));

				if (!nf)
					return -1;
				c->frames = nf;
				c->cap = ncap;
			}
			c->frames[c->nframes++] = c->partial;
		}
		c->partial = NULL;
		c->plen = 0;
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c) {
			c->state = WSC_FAILED;
			snprintf(c->error, sizeof(c->error), "%s", in ? (const char *)in : "error");
			c->wsi = NULL;
		}
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c && len >= 2) {
			const unsigned char *b = in;

			snprintf(c->error, sizeof(c->error), "close %d %.*s", (b[0] << 8) | b[1],
				 (int)len - 2, (const char *)b + 2);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c) {
			c->state = WSC_CLOSED;
			c->wsi = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols wsc_protocols[] = {
	{ "xio-test-client", wsc_cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void wsc_tick_cb(lws_sorted_usec_list_t *sul)
{
	struct wsc *w = lws_container_of(sul, struct wsc, tick);

	lws_sul_schedule(w->ctx, 0, &w->tick, wsc_tick_cb, 5 * LWS_US_PER_MS);
}

static inline int wsc_init_on(struct wsc *w, int port, const char *token, int max_fds,
			      uv_loop_t *uv)
{
	struct lws_context_creation_info info;
	void *foreign[1] = { uv };

	memset(&info, 0, sizeof(info));
	if (uv) {
		info.options = LWS_SERVER_OPTION_LIBUV;
		info.foreign_loops = foreign;
	}
	w->uv = uv;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = wsc_protocols;
	info.user = w;
	/* 0: as many as `ulimit -n`; a smaller table makes lws look up every
	 * socket event by a linear scan */
	info.fd_limit_per_thread = (unsigned int)(max_fds > 0 ? max_fds : 0);
	w->port = port;
	w->token = token;
	memset(&w->tick, 0, sizeof(w->tick));
	w->ctx = lws_create_context(&info);
	if (!w->ctx)
		return -1;
	lws_sul_schedule(w->ctx, 0, &w->tick, wsc_tick_cb, 5 * LWS_US_PER_MS);
	return 0;
}

static inline int wsc_init(struct wsc *w, int port, const char *token, int max_fds)
{
	return wsc_init_on(w, port, token, max_fds, NULL);
}

/* On uv (initialised by the caller, closed by the caller after wsc_release). */
static inline int wsc_init_uv(struct wsc *w, int port, const char *token, int max_fds,
			      uv_loop_t *uv)
{
	return wsc_init_on(w, port, token, max_fds, uv);
}

/* One turn of the loop: waits for what is ready (at most the 5 ms tick). */
static inline void wsc_service(struct wsc *w)
{
	if (w->uv)
		uv_run(w->uv, UV_RUN_ONCE);
	else
		lws_service(w->ctx, 0);
}

static inline int wsc_connect(struct wsc *w, struct wsc_conn *c, const char *path)
{
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	c->state = WSC_CONNECTING;
	c->error[0] = '\0';
	ci.context = w->ctx;
	ci.address = "127.0.0.1";
	ci.port = w->port;
	ci.path = path;
	ci.host = "127.0.0.1";
	ci.origin = "127.0.0.1";
	ci.protocol = NULL; /* the server's default protocol */
	ci.local_protocol_name = "xio-test-client";
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		c->state = WSC_FAILED;
		snprintf(c->error, sizeof(c->error), "connect failed");
		return -1;
	}
	return 0;
}

static inline long long wsc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Services until done(ud) says so or ms pass; returns 1 when done. */
static inline int wsc_service_until(struct wsc *w, int (*done)(void *ud), void *ud, int ms)
{
	long long end = wsc_now_ms() + ms;

	while (wsc_now_ms() < end) {
		if (done && done(ud))
			return 1;
		wsc_service(w);
	}
	return done ? done(ud) : 0;
}

static inline void wsc_conn_close(struct wsc *w, struct wsc_conn *c)
{
	if (c->wsi) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		for (int i = 0; i < 50 && c->wsi; i++)
			wsc_service(w);
	}
}

static inline void wsc_conn_release(struct wsc_conn *c)
{
	for (size_t i = 0; i < c->nframes; i++)
		free(c->frames[i]);
	free(c->frames);
	free(c->partial);
	memset(c, 0, sizeof(*c));
}

static inline void wsc_release(struct wsc *w)
{
	lws_sul_schedule(w->ctx, 0, &w->tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(w->ctx);
	if (w->uv) {
		/* on a foreign loop the destroy has two phases: lws closes its
		 * handles, the loop runs them dry, then the context goes */
		uv_run(w->uv, UV_RUN_DEFAULT);
		lws_context_destroy(w->ctx);
	}
	w->ctx = NULL;
}

#endif
