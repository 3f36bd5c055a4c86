/*
 * test_loop.c — the loop starts lws on libuv and shuts down leaving nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_stops_loop),
		cmocka_unit_test(test_init_release_repeat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
