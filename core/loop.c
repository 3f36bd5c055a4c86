/*
 * loop.c — libuv loop with libwebsockets as a foreign-loop guest.
 */
#include "loop.h"

#include <poll.h>
#include <sys/resource.h>

#include <signal.h>
#include <string.h>

static void lws_log_cb(int level, const char *line)
{
	/* lws logs through a process-wide hook; we keep it quiet (errors only,
	 * see xio_loop_init) and forward nothing here because the hook has no
	 * user pointer to reach our logger. */
	(void)level;
	(void)line;
}

/*
 * lws sizes its connection tables from this (two pointers per descriptor,
 * calloc'd, so untouched pages cost no memory): the process's descriptor
 * limit, at least 1024 and at most 16384, so a thousand event-stream
 * clients fit when `ulimit -n` allows them.  A soft limit above 16384 is
 * lowered to it: lws given a table smaller than the limit finds the
 * connection of every socket event by a linear scan of the whole table
 * (wsi_from_fd), where equal sizes let it index the table by descriptor.
 */
static unsigned int fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 16384;
	if (rl.rlim_cur < 1024)
		return 1024;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 16384) {
		rl.rlim_cur = 16384;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return (unsigned int)rl.rlim_cur;
}

int xio_loop_init(struct xio_loop *loop, struct xio_log *log,
		  struct xio_err *err)
{
	struct lws_context_creation_info info;
	void *foreign[1];
	int rc;

	memset(loop, 0, sizeof(*loop));
	loop->log = log;
	rc = uv_loop_init(&loop->uv);
	if (rc)
		return xio_err_set(err, XIO_EIO, "event loop: %s", uv_strerror(rc));
	lws_set_log_level(LLL_ERR, lws_log_cb);
	memset(&info, 0, sizeof(info));
	foreign[0] = &loop->uv;
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	info.fd_limit_per_thread = fd_limit();
	info.user = loop;
	loop->lws = lws_create_context(&info);
	if (!loop->lws) {
		uv_loop_close(&loop->uv);
		return xio_err_set(err, XIO_EIO,
				   "libwebsockets could not start on libuv: is the "
				   "package libwebsockets-evlib-uv installed?");
	}
	return 0;
}

static void signal_cb(uv_signal_t *h, int signum)
{
	struct xio_loop *loop = h->data;

	if (loop->stopping) {
		xio_log_warn(loop->log, "loop",
			     "signal %d during shutdown: still finishing", signum);
		return;
	}
	xio_log_info(loop->log, "loop", "signal %d: shutting down", signum);
	xio_loop_request_stop(loop);
}

int xio_loop_handle_signals(struct xio_loop *loop, xio_loop_stop_cb cb, void *ud)
{
	loop->stop_cb = cb;
	loop->stop_ud = ud;
	uv_signal_init(&loop->uv, &loop->sigint);
	uv_signal_init(&loop->uv, &loop->sigterm);
	loop->sigint.data = loop;
	loop->sigterm.data = loop;
	uv_signal_start(&loop->sigint, signal_cb, SIGINT);
	uv_signal_start(&loop->sigterm, signal_cb, SIGTERM);
	loop->signals_on = 1;
	return 0;
}

static void sighup_cb(uv_signal_t *h, int signum)
{
	struct xio_loop *loop = h->data;

	(void)signum;
	if (loop->stopping || !loop->reload_cb)
		return;
	xio_log_info(loop->log, "loop", "SIGHUP: reading the config again");
	loop->reload_cb(loop, loop->reload_ud);
}

int xio_loop_handle_reload(struct xio_loop *loop, xio_loop_reload_cb cb, void *ud)
{
	int rc;

	loop->reload_cb = cb;
	loop->reload_ud = ud;
	if (loop->reload_on)
		return 0;
	uv_signal_init(&loop->uv, &loop->sighup);
	loop->sighup.data = loop;
	rc = uv_signal_start(&loop->sighup, sighup_cb, SIGHUP);
	if (rc) {
		uv_close((uv_handle_t *)&loop->sighup, NULL);
		return XIO_EIO;
	}
	/* a reload handler alone must not keep the loop running */
	uv_unref((uv_handle_t *)&loop->sighup);
	loop->reload_on = 1;
	return 0;
}

/* Runs before the loop polls for I/O; "idle" is checked with a poll of
 * libuv's own epoll descriptor, which is readable while any watched socket
 * is ready, so the check costs a syscall only when there is work to do. */
static void idle_cb(uv_prepare_t *h)
{
	struct xio_loop *loop = h->data;
	struct pollfd p = { .fd = uv_backend_fd(&loop->uv), .events = POLLIN };

	if (!loop->idle_due(loop->idle_ud) || uv_backend_timeout(&loop->uv) == 0)
		return;
	if (poll(&p, 1, 0) == 0)
		loop->idle_run(loop->idle_ud);
}

int xio_loop_on_idle(struct xio_loop *loop, xio_loop_idle_due_cb due, xio_loop_idle_run_cb run,
		     void *ud)
{
	loop->idle_due = due;
	loop->idle_run = run;
	loop->idle_ud = ud;
	if (loop->idle_on)
		return 0;
	if (uv_prepare_init(&loop->uv, &loop->idle))
		return XIO_EIO;
	loop->idle.data = loop;
	if (uv_prepare_start(&loop->idle, idle_cb)) {
		uv_close((uv_handle_t *)&loop->idle, NULL);
		return XIO_EIO;
	}
	uv_unref((uv_handle_t *)&loop->idle);
	loop->idle_on = 1;
	return 0;
}

void xio_loop_unhandle_signals(struct xio_loop *loop)
{
	if (loop->idle_on) {
		loop->idle_on = 0;
		uv_close((uv_handle_t *)&loop->idle, NULL);
	}
	if (loop->reload_on) {
		loop->reload_on = 0;
		uv_close((uv_handle_t *)&loop->sighup, NULL);
	}
	if (!loop->signals_on)
		return;
	loop->signals_on = 0;
	uv_close((uv_handle_t *)&loop->sigint, NULL);
	uv_close((uv_handle_t *)&loop->sigterm, NULL);
}

/*
 * The stop runs from its own timer callback: request_stop may be called from
 * inside an lws callback, and lws_context_destroy must never run there.
 */
static void stop_timer_cb(uv_timer_t *t)
{
	struct xio_loop *loop = t->data;

	uv_close((uv_handle_t *)t, NULL);
	xio_loop_unhandle_signals(loop);
	if (loop->stop_cb)
		loop->stop_cb(loop, loop->stop_ud);
	/* Phase 1 of the lws teardown: it starts closing its handles, after
	 * which the loop can run dry. */
	if (loop->lws && !loop->lws_closing) {
		loop->lws_closing = 1;
		lws_context_destroy(loop->lws);
	}
}

void xio_loop_request_stop(struct xio_loop *loop)
{
	if (loop->stopping)
		return;
	loop->stopping = 1;
	uv_timer_init(&loop->uv, &loop->stop_timer);
	loop->stop_timer.data = loop;
	uv_timer_start(&loop->stop_timer, stop_timer_cb, 0, 0);
}

int xio_loop_run(struct xio_loop *loop)
{
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	return 0;
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void xio_loop_release(struct xio_loop *loop)
{
	if (!loop->lws)
		return;
	xio_loop_unhandle_signals(loop);
	if (!loop->lws_closing) {
		/* Phase 1: lws starts closing its handles on our loop. */
		loop->lws_closing = 1;
		lws_context_destroy(loop->lws);
	}
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	/* Phase 2: frees the context and unloads the plugin. */
	lws_context_destroy(loop->lws);
	loop->lws = NULL;
	if (uv_loop_close(&loop->uv) == UV_EBUSY) {
		/* A module left a handle open: close it rather than leak the
		 * loop, and say so — it is a bug worth seeing in the log. */
		xio_log_warn(loop->log, "loop", "handles left open at shutdown");
		uv_walk(&loop->uv, close_walk_cb, NULL);
		uv_run(&loop->uv, UV_RUN_DEFAULT);
		uv_loop_close(&loop->uv);
	}
}

void xio_loop_ws_close(struct lws *wsi, int code, const char *reason)
{
	lws_close_reason(wsi, (enum lws_close_status)(code ? code : 1000),
			 (unsigned char *)(uintptr_t)reason, reason ? strlen(reason) : 0);
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
}
