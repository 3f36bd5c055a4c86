/*
 * bench_events.c — latency from a stored message to its event at WebSocket
 * clients, with many clients connected to one consilium's stream.
 *
 *   bench_events [CLIENTS [MESSAGES [INTERVAL_MS]]]
 *                               defaults: 1000 clients, 100 messages, 20 ms
 *
 * The server side is the real thing on the XIO loop: SQLite store (a file in
 * a temp dir, WAL), engine, runner, HTTP server and core/api.c.  The clients
 * run in a forked child process with their own libwebsockets context on a
 * libuv loop of their own (epoll: poll() over a thousand descriptors on every
 * turn would be the clients' cost, not the server's), so the two sides never
 * share a loop.  Once every client is connected, the server
 * feeds MESSAGES human messages through xio_runner_input, one every INTERVAL_MS,
 * each carrying the CLOCK_MONOTONIC microsecond at which it was handed to the
 * runner (the commit follows in the same call).  Each message makes about five
 * events (the message, participant and status updates, the Moderator's
 * answer), so 20 ms between messages is 250,000 frames a second at 1,000
 * clients.  Each client records, for
 * each such chat_message frame, now - that time.  The child prints p50, p99
 * and max over all CLIENTS x MESSAGES deliveries.  The target (issue 10) is a
 * p99 under 10 ms at 1,000 clients.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/ws_client.h"
#include "api.h"
#include "engine.h"
#include "http_server.h"
#include "i18n.h"
#include "persona.h"
#include "runner.h"
#include "store.h"

#define TOKEN "bench-token"

static long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- client process ---- */

struct bench_client {
	struct wsc_conn *conns;
	int nclients, nmsg;
	long long *lat;
	size_t nlat, want;
	int open, failed;
	size_t frames;
};



static void on_frame(struct wsc_conn *c, const char *data, size_t len)
{
	static const char key[] = "\"text\":\"t=";
	struct bench_client *bc = c->ud;
	const char *t = memmem(data, len, key, sizeof(key) - 1);
	long long at = 0;

	bc->frames++;
	if (!t || bc->nlat >= bc->want)
		return;
	for (t += sizeof(key) - 1; t < data + len && *t >= '0' && *t <= '9'; t++)
		at = at * 10 + (*t - '0');
	bc->lat[bc->nlat++] = mono_us() - at;
}

static int all_settled(void *ud)
{
	struct bench_client *bc = ud;
	int open = 0, failed = 0;

	for (int i = 0; i < bc->nclients; i++) {
		open += bc->conns[i].state == WSC_OPEN;
		failed += bc->conns[i].state >= WSC_CLOSED;
	}
	bc->open = open;
	bc->failed = failed;
	return open + failed == bc->nclients;
}

static int all_received(void *ud)
{
	struct bench_client *bc = ud;

	return bc->nlat >= bc->want;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int client_main(int port, int nclients, int nmsg, int interval, long long after,
		       int to_parent, int from_parent)
{
	struct bench_client bc = { 0 };
	uv_loop_t uv;
	struct wsc w;
	char path[128], go;
	long long t0;


	bc.nclients = nclients;
	bc.nmsg = nmsg;
	bc.want = (size_t)nclients * (size_t)nmsg;
	bc.conns = calloc((size_t)nclients, sizeof(*bc.conns));
	bc.lat = calloc(bc.want ? bc.want : 1, sizeof(long long));
	if (!bc.conns || !bc.lat || uv_loop_init(&uv) ||
	    wsc_init_uv(&w, port, TOKEN, 0, &uv))
		return 2;
	snprintf(path, sizeof(path), "/api/consiliums/1/events?after=%lld", after);
	t0 = mono_us();
	for (int i = 0; i < nclients; i++) {
		bc.conns[i].on_frame = on_frame;
		bc.conns[i].ud = &bc;
		wsc_connect(&w, &bc.conns[i], path);
		if (i % 50 == 49) /* let the handshakes through in batches */
			wsc_service(&w);
	}
	wsc_service_until(&w, all_settled, &bc, 30000);
	printf("bench_events: %d clients connected in %.1f ms (%d failed)\n", bc.open,
	       (double)(mono_us() - t0) / 1000.0, bc.failed);
	fflush(stdout);
	if (write(to_parent, "r", 1) != 1 || read(from_parent, &go, 1) != 1)
		return 2;
	bc.want = (size_t)bc.open * (size_t)nmsg;
	wsc_service_until(&w, all_received, &bc, 60000);
	if (bc.nlat) {
		qsort(bc.lat, bc.nlat, sizeof(long long), cmp_ll);
		printf("bench_events: %zu deliveries (%d clients x %d messages, one per %d ms): "
		       "p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 <= 10 ms)\n",
		       bc.nlat, bc.open, nmsg, interval, bc.lat[bc.nlat / 2] / 1000.0,
		       bc.lat[(bc.nlat * 99) / 100] / 1000.0, bc.lat[bc.nlat - 1] / 1000.0);
	}
	printf("bench_events: %zu frames in all (%.1f per message per client)\n", bc.frames,
	       bc.open ? (double)bc.frames / bc.open / nmsg : 0.0);
	if (bc.nlat < bc.want)
		printf("bench_events: only %zu of %zu deliveries arrived\n", bc.nlat, bc.want);
	fflush(stdout);
	if (write(to_parent, bc.nlat == bc.want && bc.open == nclients ? "d" : "f", 1) != 1)
		return 2;
	for (int i = 0; i < nclients; i++)
		bc.conns[i].wsi = NULL;
	wsc_release(&w);
	uv_loop_close(&uv);
	free(bc.conns);
	free(bc.lat);
	return 0;
}

/* ---- server process ---- */

struct server {
	struct xio_loop loop;
	struct xio_log *log;
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_runner runner;
	struct xio_http_server *srv;
	struct xio_api *api;
	uv_poll_t pipe_poll;
	uv_timer_t feed;
	int from_child, to_child;
	int sent, nmsg, interval;
	char result;
};

static void feed_cb(uv_timer_t *t)
{
	struct server *s = t->data;
	struct xio_inbound in = { 0 };
	struct xio_err err;
	char text[64], id[32];

	if (s->sent >= s->nmsg) {
		uv_timer_stop(t);
		return;
	}
	snprintf(id, sizeof(id), "bench-%d", s->sent);
	in.platform = "console";
	in.chat = "bench";
	in.thread = "";
	in.thread_key = "console:bench";
	in.workspace = "bench";
	in.author = "bench";
	in.msg_id = id;
	in.text = text;
	snprintf(text, sizeof(text), "t=%lld", mono_us());
	if (xio_runner_input(&s->runner, &in, &err))
		fprintf(stderr, "bench_events: %s\n", err.msg);
	s->sent++;
}

static void shutdown_server(struct server *s)
{
	uv_close((uv_handle_t *)&s->pipe_poll, NULL);
	uv_close((uv_handle_t *)&s->feed, NULL);
	xio_api_free(s->api);
	s->api = NULL;
	xio_runner_release(&s->runner);
	xio_http_server_free(s->srv);
	s->srv = NULL;
	xio_loop_request_stop(&s->loop);
}

static void pipe_cb(uv_poll_t *p, int status, int events)
{
	struct server *s = p->data;
	char c;

	(void)events;
	if (status < 0 || read(s->from_child, &c, 1) != 1) {
		s->result = 'f';
		shutdown_server(s);
		return;
	}
	if (c == 'r') {
		if (write(s->to_child, "g", 1) != 1) {
			s->result = 'f';
			shutdown_server(s);
			return;
		}
		uv_timer_start(&s->feed, feed_cb, (uint64_t)s->interval, (uint64_t)s->interval);
		return;
	}
	s->result = c;
	shutdown_server(s);
}

int main(int argc, char **argv)
{
	int nclients = argc > 1 ? atoi(argv[1]) : 1000, nmsg = argc > 2 ? atoi(argv[2]) : 100;
	int interval = argc > 3 ? atoi(argv[3]) : 20;
	struct xio_http_server_opts ho = { 0 };
	struct xio_api_opts ao = { 0 };
	struct xio_inbound in = { 0 };
	struct server s;
	struct xio_err err;
	struct rlimit rl;
	char dir[] = "/tmp/xio-bench-events-XXXXXX", db[128];
	int up[2], down[2], status = 0;
	int64_t last = 0;
	pid_t pid;

	if (nclients < 1 || nmsg < 1 || interval < 1)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)nclients + 100 > rl.rlim_cur) {
		nclients = (int)rl.rlim_cur - 100;
		printf("bench_events: descriptor limit %llu: %d clients\n",
		       (unsigned long long)rl.rlim_cur, nclients);
	}
	if (!mkdtemp(dir))
		return 2;
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	memset(&s, 0, sizeof(s));
	s.nmsg = nmsg;
	s.interval = interval;
	s.log = xio_log_new(STDERR_FILENO, XIO_LOG_HUMAN, XIO_LOG_ERROR);
	lws_set_log_level(0, NULL);
	if (!s.log || xio_loop_init(&s.loop, s.log, &err) ||
	    xio_store_open_sqlite(&s.store, db, 1000, 0, &err) ||
	    xio_personas_load(&s.personas, "", &err) || xio_i18n_load(&s.i18n, "", &err)) {
		fprintf(stderr, "bench_events: %s\n", err.msg);
		return 2;
	}
	s.eng.personas = &s.personas;
	s.eng.i18n = &s.i18n;
	s.eng.language = "en";
	s.eng.max_rounds = 50;
	s.eng.time_limit_ms = 3600000;
	s.eng.human_timeout_ms = 3600000;
	xio_runner_init(&s.runner, &s.loop.uv, &s.store, &s.eng, NULL, s.log, &xio_clock_system);
	in.platform = "console";
	in.chat = "bench";
	in.thread = "";
	in.thread_key = "console:bench";
	in.workspace = "bench";
	in.author = "bench";
	in.text = "/consilium How fast is the stream?";
	in.msg_id = "open";
	if (xio_runner_input(&s.runner, &in, &err) ||
	    xio_http_server_new(&s.srv, &s.loop, "127.0.0.1", 0, &ho, &err)) {
		fprintf(stderr, "bench_events: %s\n", err.msg);
		return 2;
	}
	ao.loop = &s.loop.uv;
	ao.store = &s.store;
	ao.runner = &s.runner;
	ao.http = s.srv;
	ao.log = s.log;
	ao.clock = &xio_clock_system;
	ao.token = TOKEN;
	if (xio_api_new(&s.api, &ao, &err) ||
	    s.store.ops->events_last_seq(s.store.impl, &last, &err)) {
		fprintf(stderr, "bench_events: %s\n", err.msg);
		return 2;
	}
	if (pipe(up) || pipe(down))
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		/* the child must not touch the parent's loop or lws context */
		close(up[0]);
		close(down[1]);
		_exit(client_main(xio_http_server_port(s.srv), nclients, nmsg, interval, (long long)last,
				  up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	s.from_child = up[0];
	s.to_child = down[1];
	uv_poll_init(&s.loop.uv, &s.pipe_poll, s.from_child);
	s.pipe_poll.data = &s;
	uv_poll_start(&s.pipe_poll, UV_READABLE, pipe_cb);
	uv_timer_init(&s.loop.uv, &s.feed);
	s.feed.data = &s;
	xio_loop_run(&s.loop);
	xio_loop_release(&s.loop);
	waitpid(pid, &status, 0);
	{
		struct rusage self, kids;

		getrusage(RUSAGE_SELF, &self);
		getrusage(RUSAGE_CHILDREN, &kids);
		printf("bench_events: CPU server %.2f s user + %.2f s sys, clients %.2f s + %.2f s\n",
		       self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6,
		       self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6,
		       kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6,
		       kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6);
	}
	close(s.from_child);
	close(s.to_child);
	xio_store_close(&s.store);
	xio_i18n_release(&s.i18n);
	xio_personas_release(&s.personas);
	xio_log_free(s.log);
	unlink(db);
	snprintf(db, sizeof(db), "%s/bench.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/bench.db-shm", dir);
	unlink(db);
	rmdir(dir);
	return s.result == 'd' && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
