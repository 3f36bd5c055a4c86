/*
 * loop.h — the one event loop: libuv, with libwebsockets on it as a foreign
 * loop.  (libcurl's multi interface joins it in http_client.h.)
 *
 * One process, one thread, one loop, like Redis: every socket, timer and
 * signal of XIO is a handle on loop->uv, so nothing needs a lock.
 *
 * Shutdown is ordered (see LOOP.md): owners of curl handles release them
 * first, then xio_loop_release() destroys the lws context in two phases around
 * a final uv_run, then closes the uv loop.
 */
#ifndef XIO_LOOP_H
#define XIO_LOOP_H

#include <libwebsockets.h>
#include <uv.h>

#include "err.h"
#include "log.h"

struct xio_loop;

/* Called once, from a plain libuv callback, when SIGINT or SIGTERM arrives
 * (or xio_loop_request_stop is called).  It should stop accepting input, let
 * in-flight work finish and close its handles; after it returns the lws
 * context begins to close, and the loop ends when no handle is left. */
typedef void (*xio_loop_stop_cb)(struct xio_loop *loop, void *ud);

/* Called from a plain libuv callback each time SIGHUP arrives (not while
 * stopping): the operator asks for the config to be read again. */
typedef void (*xio_loop_reload_cb)(struct xio_loop *loop, void *ud);

/* Idle work: due says cheaply whether there is any, run does it. */
typedef int (*xio_loop_idle_due_cb)(void *ud);
typedef void (*xio_loop_idle_run_cb)(void *ud);

struct xio_loop {
	uv_loop_t uv;
	struct lws_context *lws; /* NULL until xio_loop_init succeeds */
	struct xio_log *log;     /* borrowed */
	uv_signal_t sigint, sigterm, sighup;
	xio_loop_stop_cb stop_cb;
	void *stop_ud;
	xio_loop_reload_cb reload_cb;
	void *reload_ud;
	int reload_on;
	uv_prepare_t idle;
	xio_loop_idle_due_cb idle_due;
	xio_loop_idle_run_cb idle_run;
	void *idle_ud;
	int idle_on;
	uv_timer_t stop_timer;
	int stopping;
	int signals_on;
	int lws_closing; /* phase 1 of lws_context_destroy done */
};

/*
 * Initialises the uv loop and an lws context on it (no vhosts: modules create
 * their own with lws_create_vhost).  Returns 0, or a negative code with a
 * message in err — XIO_EIO naming the package libwebsockets-evlib-uv when the
 * lws libuv plugin cannot be loaded.  On failure nothing needs releasing.
 */
int xio_loop_init(struct xio_loop *loop, struct xio_log *log,
		  struct xio_err *err);

/*
 * Installs SIGINT/SIGTERM handlers that call cb (once) from the loop.  Second
 * signal while stopping: logged and ignored, the shutdown continues.
 */
int xio_loop_handle_signals(struct xio_loop *loop, xio_loop_stop_cb cb,
			    void *ud);

/*
 * Installs a SIGHUP handler that calls cb from the loop (systemd's
 * ExecReload, `kill -HUP`).  Closed with the other signal handlers.
 */
int xio_loop_handle_reload(struct xio_loop *loop, xio_loop_reload_cb cb, void *ud);

/*
 * Runs run(ud) at moments when the loop has nothing to do: due(ud) says
 * there is work, no socket has anything to read or room it waits for, and no
 * timer is due.  Work there delays nothing that had already arrived (work
 * inside a callback delays everything queued behind it).  One pair per loop;
 * a second call replaces it.  Closed with the signal handlers; never keeps
 * the loop running.  Returns 0 or XIO_EIO.
 */
int xio_loop_on_idle(struct xio_loop *loop, xio_loop_idle_due_cb due, xio_loop_idle_run_cb run,
		     void *ud);

/* Asks for a graceful stop as if a signal had arrived. */
void xio_loop_request_stop(struct xio_loop *loop);

/* Runs until no active handle is left, which happens only after a stop was
 * requested (lws keeps the loop alive until then). Returns 0. */
int xio_loop_run(struct xio_loop *loop);

/* Stops signal handling so the loop can drain (called by stop callbacks). */
void xio_loop_unhandle_signals(struct xio_loop *loop);

/*
 * Starts the WebSocket close handshake on wsi with code (1000 when 0) and
 * reason (NULL or text; lws cuts it to what a close frame holds); lws then
 * waits up to 5 s for the peer's answer.  Call it from the connection's
 * writable callback (lws calls that only when it holds nothing unsent),
 * once per connection, and return 0 there.  (lws_close_reason and returning -1 does not send the
 * frame with Debian's lws 4.1.6 on libuv: built with _DEBUG, it closes twice
 * on that path, and the second close kills the connection the first had
 * only marked for a close frame.  lws_set_timeout's synchronous kill
 * closes once.)
 */
void xio_loop_ws_close(struct lws *wsi, int code, const char *reason);

/*
 * Destroys the lws context and closes the uv loop, following the order that
 * leaks nothing with the foreign-loop plugin.  Curl handles must already be
 * gone.  Safe on a loop whose init failed.
 */
void xio_loop_release(struct xio_loop *loop);

#endif
