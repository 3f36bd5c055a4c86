/*
 * fake_tg.c — a fake Telegram Bot API that drives a scripted load through one
 * bot and measures it: the harness of the side-by-side benchmark
 * (tests/bench/sidebyside/run.sh).
 *
 * It serves the Bot API on 127.0.0.1 (XIO's own HTTP server, core/
 * http_server.h, on one libuv loop), spawns the bot under test with
 * FAKE_TG_URL and XIO_TELEGRAM_API_URL pointing at itself, and records the
 * time from the spawn to the bot's first getUpdates (cold start).  Then it
 * runs the phases given on the command line, one after the other, each in
 * chats of its own: N text messages in plain groups, offered at R updates/s
 * (0 = all at once) across K chats; each chat's first message is
 * "/consilium …" (XIO opens a consilium there; for the peers it is text like
 * any other).  An update is "made available" when the generator appends it
 * to the queue getUpdates serves (a waiting long poll is answered at once).
 * Its latency ends at the first sendMessage to its chat that arrives after
 * the bot has fetched it with getUpdates: replies are matched to the oldest
 * unanswered update of the chat, since XIO answers in the consilium's reply
 * chain (reply_to the "/consilium" message) and the peers reply to the
 * message itself.  A send to a chat whose oldest unanswered update the bot
 * has not fetched yet answers nothing (a bot that sends more than one
 * message per update cannot answer updates it has not read); the phase line
 * counts every send, so sends per update show the work done per update.
 *
 * Per phase it prints one line of key=value figures: updates/s end to end
 * (answered / time from the first update made available to the last
 * answer), p50/p99 latency, CPU µs per update (utime+stime of the bot from
 * /proc/PID/stat over the phase) and, after the phase, VmRSS.  At the end:
 * cold start, idle RSS (VmRSS half a second after the first getUpdates) and
 * peak RSS (VmHWM).  Then it stops the bot with SIGTERM.
 *
 * Usage: fake_tg [-t SECONDS_TIMEOUT] PHASE... -- COMMAND ARGS...
 *        PHASE = NAME:N:RATE:CHATS      e.g. r1000:3000:1000:150
 * Exit: 0 when every update of every phase was answered; 1 otherwise (a
 * phase timed out, the bot exited early or could not be started); 2 on bad
 * usage.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <uv.h>

#include "err.h"
#include "http_server.h"
#include "log.h"
#include "loop.h"

#define FAKE_MAX_PHASES 8
#define FAKE_CHAT_BASE 100000000LL
#define FAKE_CHAT_STRIDE 1000000LL
#define FAKE_BOT_ID 777000

struct fake_upd {
	int64_t chat;      /* index of the chat within the phase */
	int msg_id;
	double avail;      /* seconds, monotonic; 0 = not yet made available */
	double answered;   /* 0 = not yet */
	int fetched;       /* handed to the bot by a getUpdates answer */
	int next_in_chat;  /* index of the next unanswered update in its chat */
};

struct fake_chat {
	int msg_seq;
	int head, tail;    /* unanswered updates made available; -1 = none */
	int sent;          /* updates of this chat generated so far */
};

struct fake_phase {
	char name[32];
	int n, rate, chats;
};

struct fake_poll {
	struct xio_http_request *req;
	int64_t offset;
	int limit;
	double deadline;
};

struct fake {
	struct xio_loop loop;
	struct xio_log *log;
	struct xio_http_server *srv;
	uv_timer_t tick;
	uv_process_t proc;
	int proc_alive;
	char **cmd;

	struct fake_phase phases[FAKE_MAX_PHASES];
	int nphases, cur;          /* cur = -1 before the first phase */
	double timeout_s;

	double spawned, first_poll, idle_rss_at;
	long idle_rss_kib;

	/* the current phase */
	struct fake_upd *upd;
	struct fake_chat *chat;
	int made, answered;        /* updates made available / answered */
	int sends;                 /* sendMessage calls in the phase */
	int64_t base_update_id;    /* update_id of upd[0] */
	double t_start, t_last_answer, t_last_send, settle_until;
	long long cpu_start;
	int failed;
	int stopping;
	double kill_at;            /* SIGKILL the bot if SIGTERM has not ended it */

	struct fake_poll poll;     /* one long poll waiting, or req NULL */
	int64_t next_update_id;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime+stime of pid in clock ticks, or -1. */
static long long proc_cpu_ticks(int pid)
{
	char path[64], buf[1024];
	FILE *f = NULL;
	char *p = NULL;
	unsigned long long ut = 0, st = 0;
	long long r = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		goto out;
	p = strrchr(buf, ')');   /* comm may hold spaces */
	if (!p)
		goto out;
	/* after ") ": state(3) ... utime is field 14, stime 15 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) == 2)
		r = (long long)(ut + st);
out:
	fclose(f);
	return r;
}

/* A "VmRSS"/"VmHWM" line of /proc/PID/status in KiB, or -1. */
static long proc_status_kib(int pid, const char *key)
{
	char path[64], line[256];
	FILE *f = NULL;
	long v = -1;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int64_t chat_id_of(const struct fake *f, int64_t idx)
{
	return -(FAKE_CHAT_BASE + (int64_t)f->cur * FAKE_CHAT_STRIDE + idx);
}

/* ---- JSON helpers ---- */

static struct json_object *update_json(const struct fake *f, int i)
{
	const struct fake_upd *u = &f->upd[i];
	struct json_object *upd = json_object_new_object();
	struct json_object *msg = json_object_new_object();
	struct json_object *chat = json_object_new_object();
	struct json_object *from = json_object_new_object();
	char text[96];

	if (!upd || !msg || !chat || !from) {
		json_object_put(upd);
		json_object_put(msg);
		json_object_put(chat);
		json_object_put(from);
		return NULL;
	}
	if (u->msg_id == 1)
		snprintf(text, sizeof(text), "/consilium Which CRM do we pick for team %" PRId64 "?",
			 u->chat);
	else
		snprintf(text, sizeof(text), "Message %d: I think the price matters most.", u->msg_id);
	json_object_object_add(chat, "id", json_object_new_int64(chat_id_of(f, u->chat)));
	json_object_object_add(chat, "type", json_object_new_string("group"));
	json_object_object_add(chat, "title", json_object_new_string("Bench"));
	json_object_object_add(from, "id", json_object_new_int64(1000 + u->chat % 50));
	json_object_object_add(from, "is_bot", json_object_new_boolean(0));
	json_object_object_add(from, "first_name", json_object_new_string("Bench"));
	json_object_object_add(msg, "message_id", json_object_new_int(u->msg_id));
	json_object_object_add(msg, "date", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(msg, "chat", chat);
	json_object_object_add(msg, "from", from);
	json_object_object_add(msg, "text", json_object_new_string(text));
	json_object_object_add(upd, "update_id",
			       json_object_new_int64(f->base_update_id + i));
	json_object_object_add(upd, "message", msg);
	return upd;
}

static void reply_ok(struct xio_http_request *req, struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(result);
		xio_http_reply_json(req, 500, "{\"ok\":false}");
		return;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result", result);
	xio_http_reply_json(req, 200, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Answers the waiting long poll if there is something for it or its time
 * is up. */
static void serve_poll(struct fake *f, int force)
{
	struct json_object *arr = NULL;
	int64_t first;
	int i, n = 0;

	if (!f->poll.req)
		return;
	first = f->poll.offset > f->base_update_id ? f->poll.offset - f->base_update_id : 0;
	if (f->cur < 0 || first >= f->made) {
		if (!force && now_s() < f->poll.deadline)
			return;
		first = f->made;
	}
	arr = json_object_new_array();
	if (!arr)
		return;
	for (i = (int)first; i < f->made && n < f->poll.limit; i++, n++) {
		struct json_object *u = update_json(f, i);

		if (u)
			json_object_array_add(arr, u);
		if (f->cur >= 0)
			f->upd[i].fetched = 1;
	}
	reply_ok(f->poll.req, arr);
	f->poll.req = NULL;
}

/* ---- phases ---- */

static int cmp_cb(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_phase(struct fake *f)
{
	const struct fake_phase *ph = &f->phases[f->cur];
	double *lat = NULL;
	int i, k = 0;
	long long cpu = proc_cpu_ticks(f->proc.pid);
	double span = f->t_last_answer - f->t_start;
	double p50 = -1, p99 = -1, cpu_us = -1;

	lat = calloc((size_t)ph->n + 1, sizeof(*lat));
	if (lat) {
		for (i = 0; i < ph->n; i++)
			if (f->upd[i].answered > 0)
				lat[k++] = (f->upd[i].answered - f->upd[i].avail) * 1000.0;
	}
	if (lat && k > 0) {
		qsort(lat, (size_t)k, sizeof(*lat), cmp_cb);
		p50 = lat[k / 2];
		p99 = lat[(size_t)k * 99 / 100 < (size_t)k ? (size_t)k * 99 / 100 : (size_t)k - 1];
	}
	if (cpu >= 0 && f->cpu_start >= 0 && f->answered > 0)
		cpu_us = (double)(cpu - f->cpu_start) * 1e6 / (double)sysconf(_SC_CLK_TCK) /
			 (double)f->answered;
	printf("PHASE name=%s offered=%d n=%d chats=%d answered=%d sends=%d ups=%.1f p50_ms=%.3f "
	       "p99_ms=%.3f cpu_us=%.1f rss_kib=%ld\n",
	       ph->name, ph->rate, ph->n, ph->chats, f->answered, f->sends,
	       span > 0 ? f->answered / span : 0.0, p50, p99, cpu_us,
	       proc_status_kib(f->proc.pid, "VmRSS"));
	fflush(stdout);
	free(lat);
}

static void stop_all(struct fake *f);

static int start_phase(struct fake *f, int idx)
{
	const struct fake_phase *ph = &f->phases[idx];
	int i;

	/* a poll waiting across phases is answered from the old phase first,
	 * so the bot's offset reaches the new phase's base */
	serve_poll(f, 1);
	free(f->upd);
	free(f->chat);
	f->upd = calloc((size_t)ph->n, sizeof(*f->upd));
	f->chat = calloc((size_t)ph->chats, sizeof(*f->chat));
	f->made = 0;
	if (!f->upd || !f->chat)
		return -1;
	f->cur = idx;
	for (i = 0; i < ph->chats; i++)
		f->chat[i].head = f->chat[i].tail = -1;
	f->base_update_id = f->next_update_id;
	f->next_update_id += ph->n;
	f->made = f->answered = f->sends = 0;
	f->t_start = now_s();
	f->t_last_answer = f->t_start;
	f->settle_until = 0;
	f->cpu_start = proc_cpu_ticks(f->proc.pid);
	return 0;
}

static void generate(struct fake *f, double t)
{
	const struct fake_phase *ph = &f->phases[f->cur];
	int due = ph->rate > 0 ? (int)((t - f->t_start) * ph->rate) + 1 : ph->n;

	if (due > ph->n)
		due = ph->n;
	while (f->made < due) {
		int i = f->made++;
		int64_t c = i % ph->chats;
		struct fake_chat *ch = &f->chat[c];
		struct fake_upd *u = &f->upd[i];

		u->chat = c;
		u->msg_id = ++ch->msg_seq;
		u->avail = t;
		u->next_in_chat = -1;
		if (ch->tail >= 0)
			f->upd[ch->tail].next_in_chat = i;
		else
			ch->head = i;
		ch->tail = i;
	}
}

static void tick_cb(uv_timer_t *t)
{
	struct fake *f = t->data;
	double now = now_s();

	if (f->stopping) {
		if (f->proc_alive && f->kill_at > 0 && now > f->kill_at) {
			fprintf(stderr, "fake_tg: the bot ignored SIGTERM; killing it\n");
			uv_process_kill(&f->proc, SIGKILL);
			f->kill_at = 0;
		}
		return;
	}
	if (f->cur < 0) {
		/* idle: measure the idle RSS, then start the first phase */
		if (f->first_poll > 0 && now >= f->idle_rss_at) {
			f->idle_rss_kib = proc_status_kib(f->proc.pid, "VmRSS");
			if (start_phase(f, 0) < 0) {
				f->failed = 1;
				stop_all(f);
				return;
			}
		} else if (f->first_poll == 0 && now - f->spawned > f->timeout_s) {
			fprintf(stderr, "fake_tg: no getUpdates within %.0f s\n", f->timeout_s);
			f->failed = 1;
			stop_all(f);
			return;
		}
		serve_poll(f, 0);
		return;
	}
	generate(f, now);
	serve_poll(f, 0);
	/* the phase ends when every update is answered and the bot has been
	 * quiet for 0.3 s (its trailing replies have landed) */
	if (f->answered == f->phases[f->cur].n && f->settle_until == 0 &&
	    now - f->t_last_send >= 0.3)
		f->settle_until = now;
	if (f->settle_until == 0 && now - f->t_start > f->timeout_s) {
		if (f->answered < f->phases[f->cur].n) {
			fprintf(stderr, "fake_tg: phase %s: %d of %d answered within %.0f s\n",
				f->phases[f->cur].name, f->answered, f->phases[f->cur].n,
				f->timeout_s);
			f->failed = 1;
		}
		f->settle_until = now;
	}
	if (f->settle_until > 0 && now >= f->settle_until) {
		print_phase(f);
		if (f->cur + 1 < f->nphases && !f->failed) {
			if (start_phase(f, f->cur + 1) < 0) {
				f->failed = 1;
				stop_all(f);
			}
		} else {
			stop_all(f);
		}
	}
}

/* ---- the Bot API ---- */

static const char *param(struct xio_http_request *req, struct json_object *body,
			 const char *name, char *tmp, size_t tmplen)
{
	struct json_object *v = NULL;

	if (body && json_object_object_get_ex(body, name, &v)) {
		snprintf(tmp, tmplen, "%s", json_object_get_string(v));
		return tmp;
	}
	return xio_http_request_query_param(req, name);
}

static void on_send(struct fake *f, struct xio_http_request *req, struct json_object *body)
{
	char tmp[64];
	const char *s = param(req, body, "chat_id", tmp, sizeof(tmp));
	int64_t chat_id = s ? strtoll(s, NULL, 10) : 0;
	int64_t idx = -chat_id - FAKE_CHAT_BASE - (int64_t)f->cur * FAKE_CHAT_STRIDE;
	struct json_object *msg = NULL, *chat = NULL, *from = NULL, *text = NULL;
	int mid = 1;
	double t = now_s();

	f->t_last_send = t;
	if (f->cur >= 0 && idx >= 0 && idx < f->phases[f->cur].chats) {
		struct fake_chat *ch = &f->chat[idx];

		mid = ++ch->msg_seq;
		f->sends++;
		if (ch->head >= 0 && f->upd[ch->head].fetched) {
			struct fake_upd *u = &f->upd[ch->head];

			u->answered = t;
			ch->head = u->next_in_chat;
			if (ch->head < 0)
				ch->tail = -1;
			f->answered++;
			f->t_last_answer = t;
		}
	}
	msg = json_object_new_object();
	chat = json_object_new_object();
	from = json_object_new_object();
	if (!msg || !chat || !from) {
		json_object_put(msg);
		json_object_put(chat);
		json_object_put(from);
		xio_http_reply_json(req, 500, "{\"ok\":false}");
		return;
	}
	json_object_object_add(chat, "id", json_object_new_int64(chat_id));
	json_object_object_add(chat, "type", json_object_new_string("group"));
	json_object_object_add(from, "id", json_object_new_int(FAKE_BOT_ID));
	json_object_object_add(from, "is_bot", json_object_new_boolean(1));
	json_object_object_add(from, "first_name", json_object_new_string("bench_bot"));
	json_object_object_add(from, "username", json_object_new_string("bench_bot"));
	json_object_object_add(msg, "message_id", json_object_new_int(mid));
	json_object_object_add(msg, "date", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(msg, "chat", chat);
	json_object_object_add(msg, "from", from);
	if (body && json_object_object_get_ex(body, "text", &text))
		json_object_object_add(msg, "text", json_object_get(text));
	reply_ok(req, msg);
}

static void api_cb(struct xio_http_request *req, void *ud)
{
	struct fake *f = ud;
	const char *path = xio_http_request_path(req);
	const char *method = strrchr(path, '/');
	const char *raw = NULL;
	struct json_object *body = NULL;
	size_t len = 0;
	char tmp[64];

	if (strncmp(path, "/bot", 4) || !method) {
		xio_http_reply_json(req, 404, "{\"ok\":false,\"error_code\":404,"
				    "\"description\":\"Not Found\"}");
		return;
	}
	method++;
	raw = xio_http_request_body(req, &len);
	if (len > 0) {
		body = json_tokener_parse(raw);
		if (body && !json_object_is_type(body, json_type_object)) {
			json_object_put(body);
			body = NULL;
		}
	}
	if (!strcmp(method, "getUpdates")) {
		const char *s;

		if (f->first_poll == 0) {
			f->first_poll = now_s();
			f->idle_rss_at = f->first_poll + 0.5;
		}
		if (f->poll.req) {   /* a newer poll ends the older one, as Telegram does */
			xio_http_reply_json(f->poll.req, 409, "{\"ok\":false,\"error_code\":409,"
					    "\"description\":\"Conflict: terminated by other "
					    "getUpdates request\"}");
			f->poll.req = NULL;
		}
		f->poll.req = xio_http_request_defer(req);
		s = param(req, body, "offset", tmp, sizeof(tmp));
		f->poll.offset = s ? strtoll(s, NULL, 10) : 0;
		s = param(req, body, "limit", tmp, sizeof(tmp));
		f->poll.limit = s ? atoi(s) : 100;
		if (f->poll.limit < 1 || f->poll.limit > 100)
			f->poll.limit = 100;
		s = param(req, body, "timeout", tmp, sizeof(tmp));
		f->poll.deadline = now_s() + (s ? atof(s) : 0);
		serve_poll(f, f->stopping);
	} else if (!strcmp(method, "sendMessage")) {
		on_send(f, req, body);
	} else if (!strcmp(method, "getMe")) {
		struct json_object *me = json_object_new_object();

		if (me) {
			json_object_object_add(me, "id", json_object_new_int(FAKE_BOT_ID));
			json_object_object_add(me, "is_bot", json_object_new_boolean(1));
			json_object_object_add(me, "first_name", json_object_new_string("bench_bot"));
			json_object_object_add(me, "username", json_object_new_string("bench_bot"));
			json_object_object_add(me, "can_join_groups", json_object_new_boolean(1));
			json_object_object_add(me, "can_read_all_group_messages",
					       json_object_new_boolean(1));
			json_object_object_add(me, "supports_inline_queries",
					       json_object_new_boolean(0));
		}
		reply_ok(req, me);
	} else {
		/* deleteWebhook, setMyCommands, ...: accepted */
		reply_ok(req, json_object_new_boolean(1));
	}
	json_object_put(body);
}

/* ---- the bot process ---- */

static void exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct fake *f = p->data;

	if (!f->stopping) {
		fprintf(stderr, "fake_tg: the bot exited early (status %" PRId64 ", signal %d)\n",
			status, sig);
		f->failed = 1;
	}
	f->proc_alive = 0;
	uv_close((uv_handle_t *)p, NULL);
	if (!f->stopping)
		stop_all(f);
	xio_loop_request_stop(&f->loop);
}

static void stop_all(struct fake *f)
{
	if (f->stopping)
		return;
	f->stopping = 1;
	if (f->proc_alive) {
		long cold = -1;

		if (f->first_poll > 0)
			cold = (long)((f->first_poll - f->spawned) * 1e6);
		printf("BOT cold_start_ms=%.2f idle_rss_kib=%ld peak_rss_kib=%ld\n",
		       cold >= 0 ? cold / 1000.0 : -1.0, f->idle_rss_kib,
		       proc_status_kib(f->proc.pid, "VmHWM"));
		fflush(stdout);
		serve_poll(f, 1);
		uv_process_kill(&f->proc, SIGTERM);
		f->kill_at = now_s() + 10;
	} else {
		xio_loop_request_stop(&f->loop);
	}
}

static void loop_stop_cb(struct xio_loop *loop, void *ud)
{
	struct fake *f = ud;

	(void)loop;
	stop_all(f);
	serve_poll(f, 1);
	uv_timer_stop(&f->tick);
	uv_close((uv_handle_t *)&f->tick, NULL);
	if (f->proc_alive)
		uv_process_kill(&f->proc, SIGKILL);
	xio_loop_unhandle_signals(&f->loop);
	xio_http_server_free(f->srv);
	f->srv = NULL;
}

static int parse_phase(struct fake_phase *ph, const char *s)
{
	const char *c = strchr(s, ':');

	if (!c || (size_t)(c - s) >= sizeof(ph->name))
		return -1;
	memcpy(ph->name, s, (size_t)(c - s));
	ph->name[c - s] = '\0';
	if (sscanf(c + 1, "%d:%d:%d", &ph->n, &ph->rate, &ph->chats) != 3 ||
	    ph->n < 1 || ph->rate < 0 || ph->chats < 1 || ph->chats > ph->n ||
	    (int64_t)ph->chats >= FAKE_CHAT_STRIDE)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct fake f;
	struct xio_err err = {0};
	struct xio_http_server_opts opts = {0};
	uv_process_options_t po = {0};
	uv_stdio_container_t stdio[3];
	char url[64], url_env[96], url_env2[96];
	char **env = NULL;
	extern char **environ;
	int i, n = 0, rc = 2;

	memset(&f, 0, sizeof(f));
	f.cur = -1;
	f.timeout_s = 60;
	f.next_update_id = 1;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			f.timeout_s = atof(argv[++i]);
		} else if (f.nphases < FAKE_MAX_PHASES &&
			   !parse_phase(&f.phases[f.nphases], argv[i])) {
			f.nphases++;
		} else {
			fprintf(stderr, "fake_tg: bad argument %s\n"
				"usage: fake_tg [-t SECONDS] NAME:N:RATE:CHATS... -- COMMAND...\n",
				argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc || f.nphases == 0) {
		fprintf(stderr, "usage: fake_tg [-t SECONDS] NAME:N:RATE:CHATS... -- COMMAND...\n");
		return 2;
	}
	f.cmd = argv + i + 1;
	signal(SIGPIPE, SIG_IGN);
	f.log = xio_log_new(2, XIO_LOG_HUMAN, XIO_LOG_WARN);
	if (!f.log || xio_loop_init(&f.loop, f.log, &err) < 0) {
		fprintf(stderr, "fake_tg: %s\n", err.msg);
		goto out;
	}
	opts.max_body_bytes = 64 * 1024;
	opts.keepalive_timeout_s = 120;
	if (xio_http_server_new(&f.srv, &f.loop, "127.0.0.1", 0, &opts, &err) < 0 ||
	    xio_http_server_route(f.srv, "POST", "/*", 0, api_cb, &f, &err) < 0 ||
	    xio_http_server_route(f.srv, "GET", "/*", 0, api_cb, &f, &err) < 0) {
		fprintf(stderr, "fake_tg: %s\n", err.msg);
		goto out;
	}
	xio_loop_handle_signals(&f.loop, loop_stop_cb, &f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", xio_http_server_port(f.srv));
	snprintf(url_env, sizeof(url_env), "FAKE_TG_URL=%s", url);
	snprintf(url_env2, sizeof(url_env2), "XIO_TELEGRAM_API_URL=%s", url);
	while (environ[n])
		n++;
	env = calloc((size_t)n + 3, sizeof(*env));
	if (!env)
		goto out;
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	env[n] = url_env;
	env[n + 1] = url_env2;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2;   /* the bot's stdout must not mix with the figures */
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	po.file = f.cmd[0];
	po.args = f.cmd;
	po.env = env;
	po.exit_cb = exit_cb;
	po.stdio_count = 3;
	po.stdio = stdio;
	f.proc.data = &f;
	uv_timer_init(&f.loop.uv, &f.tick);
	f.tick.data = &f;
	f.spawned = now_s();
	i = uv_spawn(&f.loop.uv, &f.proc, &po);
	if (i < 0) {
		fprintf(stderr, "fake_tg: cannot start %s: %s\n", f.cmd[0], uv_strerror(i));
		f.failed = 1;
		uv_close((uv_handle_t *)&f.proc, NULL);
		xio_loop_request_stop(&f.loop);
	} else {
		f.proc_alive = 1;
		printf("BOT pid=%d url=%s\n", f.proc.pid, url);
		fflush(stdout);
		uv_timer_start(&f.tick, tick_cb, 1, 1);
	}
	xio_loop_run(&f.loop);
	rc = f.failed ? 1 : 0;
out:
	xio_http_server_free(f.srv);
	xio_loop_release(&f.loop);
	xio_log_free(f.log);
	free(env);
	free(f.upd);
	free(f.chat);
	return rc;
}
