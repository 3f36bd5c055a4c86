/*
 * test_loop.c — the loop starts lws on libuv and shuts down leaving nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

static void stop_cb(struct xio_loop *loop, void *ud)
{
	*(int *)ud = 1;
	xio_loop_unhandle_signals(loop);
}

static void timer_cb(uv_timer_t *t)
{
	(void)t;
	raise(SIGTERM);
}

static void test_signal_stops_loop(void **state)
{
	struct xio_loop loop;
	struct xio_err err;
	uv_timer_t t;
	int stopped = 0;

	(void)state;
	assert_int_equal(xio_loop_init(&loop, NULL, &err), 0);
	assert_non_null(loop.lws);
	xio_loop_handle_signals(&loop, stop_cb, &stopped);
	uv_timer_init(&loop.uv, &t);
	uv_timer_start(&t, timer_cb, 10, 0);
	xio_loop_run(&loop);
	assert_int_equal(stopped, 1);
	uv_close((uv_handle_t *)&t, NULL);
	xio_loop_release(&loop);
}

static void test_init_release_repeat(void **state)
{
	struct xio_loop loop;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(xio_loop_init(&loop, NULL, NULL), 0);
		xio_loop_release(&loop);
	}
}

/* Idle work runs only once every ready socket has been served. */
struct idle_fx {
	struct xio_loop loop;
	uv_poll_t poll;
	int fds[2];
	int unread;       /* bytes written and not yet read */
	int ran_early;    /* idle work ran while a byte was waiting */
	int runs;
	int stopped;
};

static void idle_read_cb(uv_poll_t *h, int status, int events)
{
	struct idle_fx *f = h->data;
	char c;

	(void)status;
	(void)events;
	/* one byte per callback: the socket stays ready across iterations */
	if (read(f->fds[0], &c, 1) == 1)
		f->unread--;
}

static int idle_due(void *ud)
{
	return ((struct idle_fx *)ud)->runs == 0;
}

static void idle_run(void *ud)
{
	struct idle_fx *f = ud;

	if (f->unread > 0)
		f->ran_early = 1;
	f->runs++;
	uv_close((uv_handle_t *)&f->poll, NULL);
	xio_loop_request_stop(&f->loop);
}

static void test_idle_waits_for_ready_sockets(void **state)
{
	struct idle_fx f = { 0 };

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.fds), 0);
	assert_int_equal(write(f.fds[1], "12345", 5), 5);
	f.unread = 5;
	assert_int_equal(xio_loop_init(&f.loop, NULL, NULL), 0);
	xio_loop_handle_signals(&f.loop, stop_cb, &f.stopped);
	assert_int_equal(xio_loop_on_idle(&f.loop, idle_due, idle_run, &f), 0);
	uv_poll_init(&f.loop.uv, &f.poll, f.fds[0]);
	f.poll.data = &f;
	uv_poll_start(&f.poll, UV_READABLE, idle_read_cb);
	xio_loop_run(&f.loop);
	assert_int_equal(f.unread, 0);
	assert_int_equal(f.ran_early, 0);
	assert_int_equal(f.runs, 1);
	assert_int_equal(f.stopped, 1);
	xio_loop_release(&f.loop);
	close(f.fds[0]);
	close(f.fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_stops_loop),
		cmocka_unit_test(test_init_release_repeat),
		cmocka_unit_test(test_idle_waits_for_ready_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
