/*
 * test_notion.c — the Notion exporter against the fake Notion
 * (tests/fakes/fake_notion.py, one per test group, started with fork/exec).
 *
 * Each test seeds a real SQLite store with approved decisions and their
 * "export" outbox rows, runs the real outbox dispatcher with the Notion
 * handler and a recording chat adapter on a uv loop until no row is left,
 * then reads the fake's state (/_fake/state) and checks every page, row and
 * block.  Faults are injected by the fake (500, 429, timeouts, answers lost
 * after the create happened); the assertions are about the end state only,
 * never about timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notion/notion.h"
#include "outbox.h"
#include "persona.h"
#include "post.h"

/* ---- the fake ---------------------------------------------------------------- */

struct fake {
	pid_t pid;
	int port;
	char dir[64];
	char port_file[128];
};

static struct fake *fake_spawn(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *src = getenv("XIO_SOURCE_DIR");
	char script[1024];
	int i;

	if (!f)
		return NULL;
	snprintf(script, sizeof(script), "%s/tests/fakes/fake_notion.py", src ? src : ".");
	snprintf(f->dir, sizeof(f->dir), "/tmp/xio-notion-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return NULL;
	}
	snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
	f->pid = fork();
	if (f->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execlp("python3", "python3", script, "--port-file", f->port_file, "--rate", "1000",
		       "--burst", "1000", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000 && f->pid > 0; i++) {
		FILE *pf = fopen(f->port_file, "r");

		if (pf) {
			if (fscanf(pf, "%d", &f->port) != 1)
				f->port = 0;
			fclose(pf);
			if (f->port > 0)
				return f;
		}
		usleep(10000);
	}
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	free(f);
	return NULL;
}

static int group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	*state = fake_spawn();
	return *state ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct fake *f = *state;

	if (f) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		unlink(f->port_file);
		rmdir(f->dir);
		free(f);
	}
	curl_global_cleanup();
	return 0;
}

static size_t collect_cb(char *p, size_t sz, size_t n, void *ud)
{
	struct xio_buf *b = ud;

	return xio_buf_append(b, p, sz * n) ? 0 : sz * n;
}

/* A blocking call to the fake's control API (test code only). */
static json_object *control(struct fake *f, const char *method, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	struct xio_buf b;
	char url[256];
	json_object *j;

	xio_buf_init(&b, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	j = json_tokener_parse(b.data ? b.data : "");
	xio_buf_release(&b);
	assert_non_null(j);
	return j;
}

static void control_ok(struct fake *f, const char *path, const char *body)
{
	json_object_put(control(f, "POST", path, body));
}

/* ---- the world around the exporter ---------------------------------------------------- */

struct posted {
	char *key, *text;
};

struct env {
	struct fake *f;
	char dir[64];
	struct xio_loop loop;
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_outbox *ob;
	struct xio_poster poster;
	struct xio_notion *n;
	struct xio_log *log;
	uv_timer_t watch;
	struct posted posts[512];
	size_t nposts;
	int64_t deadline;
};

static void chat_post(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct env *e = impl;

	if (e->nposts < XIO_ARRAY_LEN(e->posts)) {
		e->posts[e->nposts].key = strdup(p->key);
		e->posts[e->nposts].text = strdup(p->text);
		e->nposts++;
	}
	cb(ud, 0, -1, "{}", NULL);
}

static const struct xio_chat_ops test_chat = { "slack", chat_post, NULL };

static const char *version_of = "2022-06-28";

static void env_init(struct env *e, struct fake *f, const char *version, const char *const *people,
		     size_t npeople)
{
	struct xio_outbox_opts oo = { 0 };
	struct xio_notion_opts no = { 0 };
	struct xio_err err;
	char db[128], url[128];

	memset(e, 0, sizeof(*e));
	e->f = f;
	control_ok(f, "/_fake/reset", "{}");
	control_ok(f, "/_fake/faults", "{\"rate\":0}");
	snprintf(e->dir, sizeof(e->dir), "/tmp/xio-notion-db-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(db, sizeof(db), "%s/x.db", e->dir);
	e->log = xio_log_new(2, XIO_LOG_JSON, getenv("NOTION_TEST_DEBUG") ? XIO_LOG_DEBUG : XIO_LOG_OFF);
	assert_non_null(e->log);
	assert_int_equal(uv_loop_init(&e->loop.uv), 0);
	assert_int_equal(xio_store_open_sqlite(&e->store, db, 5000, 0, &err), 0);
	assert_int_equal(xio_personas_load(&e->personas, "", &err), 0);
	assert_int_equal(xio_i18n_load(&e->i18n, "", &err), 0);
	e->eng.personas = &e->personas;
	e->eng.i18n = &e->i18n;
	oo.max_attempts = 30;
	oo.backoff_base_ms = 20;
	oo.backoff_max_ms = 200;
	assert_int_equal(xio_outbox_new(&e->ob, &e->loop.uv, &e->store, &xio_clock_system, e->log, &oo), 0);
	xio_poster_init(&e->poster, e->log);
	xio_poster_add(&e->poster, (struct xio_chat){ &test_chat, e });
	xio_outbox_register(e->ob, &e->poster.handler);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/", f->port);
	no.token = "secret_fake_token";
	no.api_url = url;
	no.version = version;
	no.decisions_db = "dec-db";
	no.tasks_db = "task-db";
	no.people = people;
	no.npeople = npeople;
	no.rate_per_sec = 400;
	no.timeout_ms = getenv("NT_TO") ? atoi(getenv("NT_TO")) : 400;
	no.backoff_base_ms = 10;
	no.store = &e->store;
	no.eng = &e->eng;
	assert_int_equal(xio_notion_new(&e->n, &e->loop, &no, e->log, &err), 0);
	assert_int_equal(xio_outbox_register(e->ob, xio_notion_handler(e->n)), 0);
	uv_timer_init(&e->loop.uv, &e->watch);
	e->watch.data = e;
}

static void env_release(struct env *e)
{
	size_t i;

	xio_notion_free(e->n);
	xio_outbox_free(e->ob);
	uv_close((uv_handle_t *)&e->watch, NULL);
	uv_run(&e->loop.uv, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop.uv), 0);
	xio_store_close(&e->store);
	xio_i18n_release(&e->i18n);
	xio_personas_release(&e->personas);
	xio_log_free(e->log);
	for (i = 0; i < e->nposts; i++) {
		free(e->posts[i].key);
		free(e->posts[i].text);
	}
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* Stores consilium + approved decision + export row; returns the id. */
static int64_t seed(struct env *e, const char *log_json, const char *tasks_json, const char *lang)
{
	struct xio_consilium *c = xio_consilium_new();
	struct xio_consilium_row row = { 0 };
	struct xio_outbox_row o = { 0 };
	struct xio_err err;
	char tk[64], key[64];
	int64_t id;

	assert_non_null(c);
	snprintf(tk, sizeof(tk), "slack:C1:1712.%06zu", (size_t)rand());
	c->thread_key = strdup(tk);
	c->workspace = strdup("T1");
	c->platform = strdup("slack");
	c->chat = strdup("C1");
	c->thread = strdup(tk + 9);
	c->question = strdup("q");
	snprintf(c->lang, sizeof(c->lang), "%s", lang);
	c->phase = XIO_PHASE_CLOSED;
	c->outcome = strdup("approved");
	row.thread_key = c->thread_key;
	row.workspace = c->workspace;
	row.question = c->question;
	row.phase = "closed";
	row.state_json = "{}";
	assert_int_equal(e->store.ops->consilium_insert(e->store.impl, &row, &err), 0);
	id = row.id;
	c->id = id;
	row.state_json = xio_consilium_to_json(c);
	row.step = 5;
	assert_int_equal(e->store.ops->consilium_update(e->store.impl, &row, &err), 0);
	free(row.state_json);
	xio_consilium_free(c);
	assert_int_equal(e->store.ops->decision_put(e->store.impl, id, "T1", "approved", log_json,
						   tasks_json, 1, &err), 0);
	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	o.key = key;
	o.consilium_id = id;
	o.kind = "export";
	o.payload = "{}";
	assert_int_equal(e->store.ops->outbox_put(e->store.impl, &o, &err), 0);
	return id;
}

static void add_export_row(struct env *e, int64_t id, const char *key)
{
	struct xio_outbox_row o = { 0 };
	struct xio_err err;

	o.key = (char *)key;
	o.consilium_id = id;
	o.kind = "export";
	o.payload = "{}";
	assert_int_equal(e->store.ops->outbox_put(e->store.impl, &o, &err), 0);
}

static void watch_cb(uv_timer_t *t)
{
	struct env *e = t->data;
	struct xio_outbox_row *rows = NULL;
	struct xio_err err;
	size_t n = 0;

	if (e->store.ops->outbox_due(e->store.impl, INT64_MAX, 10, &rows, &n, &err) == 0 && n == 0) {
		xio_outbox_rows_free(rows, n);
		uv_stop(&e->loop.uv);
		return;
	}
	xio_outbox_rows_free(rows, n);
	if (xio_clock_mono_ms() > e->deadline)
		uv_stop(&e->loop.uv);
}

/* Runs until every outbox row is done or failed (or 60 s passed). */
static void run_all(struct env *e)
{
	e->deadline = xio_clock_mono_ms() + 60000;
	xio_outbox_kick(e->ob);
	uv_timer_start(&e->watch, watch_cb, 20, 20);
	uv_run(&e->loop.uv, UV_RUN_DEFAULT);
	uv_timer_stop(&e->watch);
}

static int row_state(struct env *e, const char *key, char **last_error)
{
	struct xio_outbox_row *rows = NULL;
	struct xio_err err;
	size_t n = 0, i;
	int st = -1;

	assert_int_equal(e->store.ops->outbox_list(e->store.impl, 0, &rows, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].key, key)) {
			st = rows[i].state;
			if (last_error)
				*last_error = rows[i].last_error ? strdup(rows[i].last_error) : NULL;
		}
	xio_outbox_rows_free(rows, n);
	return st;
}

/* ---- reading the fake's state -------------------------------------------------------- */

static json_object *prop(json_object *page, const char *name)
{
	json_object *props, *p;

	assert_true(json_object_object_get_ex(page, "properties", &props));
	if (!json_object_object_get_ex(props, name, &p))
		return NULL;
	return p;
}

static char *plain(json_object *page, const char *name)
{
	json_object *p = prop(page, name), *arr;
	struct xio_buf b;
	size_t i;

	xio_buf_init(&b, 0);
	if (!p)
		return strdup("");
	if (!json_object_object_get_ex(p, "rich_text", &arr))
		json_object_object_get_ex(p, "title", &arr);
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *t;

		json_object_object_get_ex(json_object_array_get_idx(arr, i), "plain_text", &t);
		xio_buf_puts(&b, json_object_get_string(t));
	}
	return b.data ? xio_buf_detach(&b) : strdup("");
}

static const char *sel(json_object *page, const char *name)
{
	json_object *p = prop(page, name), *s, *nm;

	if (!p || !json_object_object_get_ex(p, "select", &s) || !s ||
	    !json_object_object_get_ex(s, "name", &nm))
		return NULL;
	return json_object_get_string(nm);
}

static const char *pdb(json_object *page)
{
	json_object *d;

	json_object_object_get_ex(page, "db", &d);
	return json_object_get_string(d);
}

static const char *pid(json_object *page)
{
	json_object *d;

	json_object_object_get_ex(page, "id", &d);
	return json_object_get_string(d);
}

static size_t count_db(json_object *state, const char *db)
{
	json_object *pages;
	size_t i, n = 0;

	json_object_object_get_ex(state, "pages", &pages);
	for (i = 0; i < json_object_array_length(pages); i++)
		if (!strcmp(pdb(json_object_array_get_idx(pages, i)), db))
			n++;
	return n;
}

static json_object *page_by_key(json_object *state, const char *db, const char *key)
{
	json_object *pages, *found = NULL;
	size_t i;

	json_object_object_get_ex(state, "pages", &pages);
	for (i = 0; i < json_object_array_length(pages); i++) {
		json_object *p = json_object_array_get_idx(pages, i);
		char *k;

		if (strcmp(pdb(p), db))
			continue;
		k = plain(p, "XIO key");
		if (!strcmp(k, key)) {
			assert_null(found); /* never twice */
			found = p;
		}
		free(k);
	}
	return found;
}

static const char *DECISION =
	"{\"question\":\"Move billing to Postgres?\",\"decision\":\"Dual-write for a month, then switch.\","
	"\"rationale\":\"Safer cutover with a rollback path.\","
	"\"alternatives\":[{\"title\":\"Big bang\",\"pros\":[\"fast\"],\"cons\":[\"risky\"]},"
	"{\"title\":\"Dual-write\",\"pros\":[\"safe\"],\"cons\":[\"two code paths\"]}],"
	"\"risks\":[{\"description\":\"Lost invoices\",\"impact\":5,\"probability\":3,\"mitigation\":\"Rollback runbook\"},"
	"{\"description\":\"Slow queries\",\"impact\":2,\"probability\":2}],"
	"\"participants\":[\"Alice\",\"Bob\",\"Carol, PhD\"],"
	"\"status\":\"approved\",\"created_at\":\"2025-03-01T09:00:00Z\",\"updated_at\":\"2025-03-01T09:30:00Z\"}";

static const char *TASKS =
	"[{\"title\":\"Write the rollback runbook\",\"owner\":\"Carol\",\"due\":\"2025-03-07\",\"priority\":\"high\","
	"\"confidence\":0.9,\"status\":\"open\",\"source_message\":\"Carol: I'll write the rollback runbook by Friday.\"},"
	"{\"title\":\"Set up the replica\",\"owner\":\"Bob\",\"due\":\"2025-12-15\",\"priority\":\"medium\",\"confidence\":0.75},"
	"{\"title\":\"Check invoice exports\",\"owner\":\"\",\"due\":null,\"priority\":\"low\",\"confidence\":0.5}]";

/* ---- tests ------------------------------------------------------------------------------ */

static void check_three_tasks(struct env *e, int64_t id)
{
	json_object *st = control(e->f, "GET", "/_fake/state", NULL), *page, *p, *v, *blocks, *bl;
	char key[64], tkey[80], *s;
	int i;

	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	assert_int_equal(count_db(st, "dec-db"), 1);
	assert_int_equal(count_db(st, "task-db"), 3);
	page = page_by_key(st, "dec-db", key);
	assert_non_null(page);
	s = plain(page, "Name");
	assert_string_equal(s, "Move billing to Postgres?");
	free(s);
	s = plain(page, "Decision");
	assert_string_equal(s, "Dual-write for a month, then switch.");
	free(s);
	assert_string_equal(sel(page, "Status"), "approved");
	assert_string_equal(sel(page, "Risk priority"), "high"); /* 5 x 3 = 15 */
	p = prop(page, "Date");
	assert_true(json_object_object_get_ex(p, "date", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(v, "start")), "2025-03-01T09:30:00Z");
	p = prop(page, "Participants");
	assert_true(json_object_object_get_ex(p, "multi_select", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 2), "name")),
			    "Carol  PhD");
	p = prop(page, "Thread");
	assert_true(json_object_object_get_ex(p, "url", &v));
	assert_non_null(strstr(json_object_get_string(v), "https://slack.com/archives/C1/p1712"));
	/* body: headings and the risk line */
	json_object_object_get_ex(st, "blocks", &blocks);
	assert_true(json_object_object_get_ex(blocks, pid(page), &bl));
	assert_true(json_object_array_length(bl) >= 10);
	{
		const char *all = json_object_to_json_string(bl);

		assert_non_null(strstr(all, "Rationale"));
		assert_non_null(strstr(all, "Safer cutover with a rollback path."));
		assert_non_null(strstr(all, "Pro: safe"));
		assert_non_null(strstr(all, "Con: two code paths"));
		assert_non_null(strstr(all, "impact 5 × probability 3 = 15"));
		assert_non_null(strstr(all, "Mitigation: Rollback runbook"));
	}
	for (i = 1; i <= 3; i++) {
		json_object *t, *rel;

		xio_notion_task_key(tkey, sizeof(tkey), key, i);
		t = page_by_key(st, "task-db", tkey);
		assert_non_null(t);
		rel = prop(t, "Decision");
		assert_true(json_object_object_get_ex(rel, "relation", &v));
		assert_int_equal(json_object_array_length(v), 1);
		assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 0), "id")),
				    pid(page));
		if (i == 1) {
			s = plain(t, "Name");
			assert_string_equal(s, "Write the rollback runbook");
			free(s);
			/* Carol is in the people map: a person, no text */
			p = prop(t, "Owner");
			assert_non_null(p);
			v = json_object_object_get(p, "people");
			assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(v, 0), "id")),
					    "user-carol");
			assert_null(prop(t, "Owner name"));
			p = prop(t, "Due");
			assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(p, "date"), "start")),
					    "2025-03-07");
			assert_string_equal(sel(t, "Priority"), "high");
			assert_string_equal(sel(t, "Status"), "open");
			p = prop(t, "Confidence");
			assert_true(json_object_get_double(json_object_object_get(p, "number")) > 0.89);
			s = plain(t, "Source");
			assert_string_equal(s, "Carol: I'll write the rollback runbook by Friday.");
			free(s);
		} else if (i == 2) {
			/* Bob is not: his name goes to the text property */
			assert_null(prop(t, "Owner"));
			s = plain(t, "Owner name");
			assert_string_equal(s, "Bob");
			free(s);
			assert_string_equal(sel(t, "Priority"), "medium");
		} else {
			assert_null(prop(t, "Owner"));
			assert_null(prop(t, "Owner name"));
			assert_null(prop(t, "Due"));
		}
	}
	json_object_put(st);
}

static const char *const PEOPLE[] = { "Carol=user-carol" };

/* The detail (JSON text) of the newest audit line with action, or NULL;
 * caller frees. */
static char *audit_detail(struct env *e, int64_t consilium_id, const char *action)
{
	struct xio_list_filter f = { .consilium_id = consilium_id, .limit = 100 };
	struct xio_audit_row *rows = NULL;
	struct xio_err err;
	char *d = NULL;
	size_t n = 0, i;

	assert_int_equal(e->store.ops->audit_list(e->store.impl, &f, &rows, &n, &err), 0);
	for (i = 0; i < n && !d; i++)
		if (!strcmp(rows[i].action, action))
			d = strdup(rows[i].detail);
	xio_audit_rows_free(rows, n);
	return d;
}

static void test_export_three_tasks(void **state)
{
	struct env e;
	int64_t id;
	char key[64];

	env_init(&e, *state, version_of, PEOPLE, 1);
	id = seed(&e, DECISION, TASKS, "en");
	run_all(&e);
	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	assert_int_equal(row_state(&e, key, NULL), XIO_OUTBOX_DONE);
	check_three_tasks(&e, id);
	/* the link went to the thread */
	assert_int_equal(e.nposts, 1);
	assert_non_null(strstr(e.posts[0].text, "https://www.notion.so/"));
	assert_non_null(strstr(e.posts[0].text, "3 task rows"));
	/* and the audit log says what went where */
	{
		char *d = audit_detail(&e, id, "export.done");

		assert_non_null(d);
		assert_non_null(strstr(d, "\"destination\":\"notion\""));
		assert_non_null(strstr(d, "https://www.notion.so/"));
		assert_non_null(strstr(d, "\"tasks\":3"));
		assert_non_null(strstr(d, key));
		free(d);
	}
	env_release(&e);
}

static void test_export_data_sources(void **state)
{
	struct env e;
	int64_t id;

	env_init(&e, *state, "2025-09-03", PEOPLE, 1);
	id = seed(&e, DECISION, TASKS, "en");
	run_all(&e);
	check_three_tasks(&e, id);
	env_release(&e);
}

static void test_faults_exactly_once(void **state)
{
	struct env e;
	json_object *st;
	struct xio_notion_stats ns;
	int64_t ids[100];
	char key[64], tkey[80];
	int i, k;

	env_init(&e, *state, version_of, PEOPLE, 1);
	for (i = 0; i < 100; i++)
		ids[i] = seed(&e, DECISION, TASKS, i % 2 ? "en" : "ru");
	control_ok(e.f, "/_fake/faults",
		   "{\"rate\":0.3,\"kinds\":[\"500\",\"429\",\"timeout\",\"lost\"],\"seed\":7,\"stall_ms\":700}");
	run_all(&e);
	control_ok(e.f, "/_fake/faults", "{\"rate\":0}");
	st = control(e.f, "GET", "/_fake/state", NULL);
	assert_true(json_object_get_int(json_object_object_get(st, "faults")) > 100);
	assert_int_equal(count_db(st, "dec-db"), 100);
	assert_int_equal(count_db(st, "task-db"), 300);
	for (i = 0; i < 100; i++) {
		json_object *page, *blocks, *bl;

		snprintf(key, sizeof(key), "c%lld:s5:1", (long long)ids[i]);
		assert_int_equal(row_state(&e, key, NULL), XIO_OUTBOX_DONE);
		page = page_by_key(st, "dec-db", key); /* asserts: exactly one */
		assert_non_null(page);
		json_object_object_get_ex(st, "blocks", &blocks);
		json_object_object_get_ex(blocks, pid(page), &bl);
		for (k = 1; k <= 3; k++) {
			xio_notion_task_key(tkey, sizeof(tkey), key, k);
			assert_non_null(page_by_key(st, "task-db", tkey));
		}
	}
	xio_notion_stats(e.n, &ns);
	assert_true(ns.recoveries > 0);
	json_object_put(st);
	env_release(&e);
}

static void test_long_decision(void **state)
{
	struct env e;
	struct xio_buf log, rat;
	json_object *st, *page, *blocks, *bl;
	char key[64];
	size_t i, nblocks;
	int64_t id;

	xio_buf_init(&rat, 0);
	for (i = 0; i < 3000; i++) /* 3000 x 11 chars, 2-byte and 4-byte ones among them */
		xio_buf_puts(&rat, i % 3 ? "abcdé ghij " : "tést 😀 ok ");
	xio_buf_init(&log, 0);
	xio_buf_printf(&log, "{\"question\":\"Long one\",\"decision\":\"Yes\",\"rationale\":\"%s\",\"alternatives\":[",
		       rat.data);
	for (i = 0; i < 150; i++)
		xio_buf_printf(&log, "%s{\"title\":\"Alt %zu\",\"pros\":[\"p%zu\"],\"cons\":[\"c%zu\"]}", i ? "," : "",
			       i, i, i);
	xio_buf_puts(&log, "],\"risks\":[");
	for (i = 0; i < 150; i++)
		xio_buf_printf(&log, "%s{\"description\":\"Risk %zu\",\"impact\":%zu,\"probability\":2,\"mitigation\":\"m%zu\"}",
			       i ? "," : "", i, 1 + i % 5, i);
	xio_buf_puts(&log, "]}");
	env_init(&e, *state, version_of, NULL, 0);
	id = seed(&e, log.data, "[]", "en");
	run_all(&e);
	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	assert_int_equal(row_state(&e, key, NULL), XIO_OUTBOX_DONE);
	st = control(e.f, "GET", "/_fake/state", NULL);
	page = page_by_key(st, "dec-db", key);
	assert_non_null(page);
	json_object_object_get_ex(st, "blocks", &blocks);
	assert_true(json_object_object_get_ex(blocks, pid(page), &bl));
	nblocks = json_object_array_length(bl);
	/* 2 headings + decision + rationale (1 block, 17 items) + heading +
	 * 150 x (title, pro, con) + heading + 150 x (risk, mitigation) */
	assert_int_equal(nblocks, 4 + 1 + 450 + 1 + 300);
	{
		/* the rationale arrives whole, in order */
		json_object *b = json_object_array_get_idx(bl, 3), *para, *rt;
		struct xio_buf got;

		xio_buf_init(&got, 0);
		json_object_object_get_ex(b, "paragraph", &para);
		json_object_object_get_ex(para, "rich_text", &rt);
		assert_true(json_object_array_length(rt) > 16);
		for (i = 0; i < json_object_array_length(rt); i++)
			xio_buf_puts(&got, json_object_get_string(
				json_object_object_get(json_object_array_get_idx(rt, i), "plain_text")));
		assert_string_equal(got.data, rat.data);
		xio_buf_release(&got);
	}
	json_object_put(st);
	xio_buf_release(&log);
	xio_buf_release(&rat);
	env_release(&e);
}

static const char *BROKEN_SCHEMA =
	"{\"databases\":{\"dec-db\":{\"title\":\"Decisions\",\"data_source_id\":\"dec-ds\",\"properties\":"
	"{\"Name\":\"title\",\"Status\":\"select\",\"Date\":\"date\",\"Decision\":\"rich_text\","
	"\"Participants\":\"multi_select\",\"Risk priority\":\"select\",\"Thread\":\"url\",\"XIO key\":\"rich_text\"}},"
	"\"task-db\":{\"title\":\"Tasks\",\"data_source_id\":\"task-ds\",\"properties\":"
	"{\"Name\":\"title\",\"Owner\":\"people\",\"Owner name\":\"rich_text\",\"Priority\":\"select\","
	"\"Status\":\"select\",\"Confidence\":\"rich_text\",\"Source\":\"rich_text\",\"Decision\":\"relation\","
	"\"XIO key\":\"rich_text\"}}}}";

static void test_permanent_error_then_export(void **state)
{
	struct env e;
	char key[64], key2[64], *last = NULL;
	int64_t id;

	env_init(&e, *state, version_of, PEOPLE, 1);
	control_ok(e.f, "/_fake/schema", BROKEN_SCHEMA);
	id = seed(&e, DECISION, TASKS, "en");
	run_all(&e);
	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	assert_int_equal(row_state(&e, key, &last), XIO_OUTBOX_FAILED);
	assert_non_null(last);
	assert_non_null(strstr(last, "'Due' is missing"));
	assert_non_null(strstr(last, "'Confidence' is of type Text"));
	free(last);
	last = audit_detail(&e, id, "export.failed");
	assert_non_null(last);
	assert_non_null(strstr(last, "'Due' is missing"));
	free(last);
	last = NULL;
	/* the thread was told, with the way out */
	assert_int_equal(e.nposts, 1);
	assert_non_null(strstr(e.posts[0].text, "/export"));
	assert_non_null(strstr(e.posts[0].text, "Due"));
	/* fixed: the default schema again, and /export queues a new row */
	control_ok(e.f, "/_fake/reset", "{}");
	json_object_put(control(e.f, "POST", "/_fake/schema",
				"{\"databases\":{\"dec-db\":{\"title\":\"Decisions\",\"data_source_id\":\"dec-ds\",\"properties\":"
				"{\"Name\":\"title\",\"Status\":\"select\",\"Date\":\"date\",\"Decision\":\"rich_text\","
				"\"Participants\":\"multi_select\",\"Risk priority\":\"select\",\"Thread\":\"url\",\"XIO key\":\"rich_text\"}},"
				"\"task-db\":{\"title\":\"Tasks\",\"data_source_id\":\"task-ds\",\"properties\":"
				"{\"Name\":\"title\",\"Owner\":\"people\",\"Owner name\":\"rich_text\",\"Due\":\"date\",\"Priority\":\"select\","
				"\"Status\":\"select\",\"Confidence\":\"number\",\"Source\":\"rich_text\",\"Decision\":\"relation\","
				"\"XIO key\":\"rich_text\"}}}}"));
	snprintf(key2, sizeof(key2), "c%lld:s9:1", (long long)id);
	add_export_row(&e, id, key2);
	run_all(&e);
	assert_int_equal(row_state(&e, key2, NULL), XIO_OUTBOX_DONE);
	/* written under the first export's key */
	check_three_tasks(&e, id);
	/* and a second /export finds everything: nothing new */
	snprintf(key2, sizeof(key2), "c%lld:s11:1", (long long)id);
	add_export_row(&e, id, key2);
	run_all(&e);
	assert_int_equal(row_state(&e, key2, NULL), XIO_OUTBOX_DONE);
	check_three_tasks(&e, id);
	env_release(&e);
}

struct done_rec {
	int done, rc;
	char msg[512];
	uv_loop_t *uv;
};

static void rec_cb(void *ud, int rc, const char *msg)
{
	struct done_rec *d = ud;

	d->done = 1;
	d->rc = rc;
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	uv_stop(d->uv);
}

static void wait_rec(struct env *e, struct done_rec *d)
{
	while (!d->done)
		uv_run(&e->loop.uv, UV_RUN_DEFAULT);
}

static void test_check_and_status(void **state)
{
	struct env e;
	struct done_rec d = { 0 };
	struct xio_buf report;
	json_object *st, *t;
	char key[64], tkey[80];
	int64_t id;

	env_init(&e, *state, version_of, PEOPLE, 1);
	d.uv = &e.loop.uv;
	xio_buf_init(&report, 0);
	assert_int_equal(xio_notion_check(e.n, &report, rec_cb, &d), 0);
	wait_rec(&e, &d);
	assert_int_equal(d.rc, 0);
	assert_int_equal(report.len, 0);
	control_ok(e.f, "/_fake/schema", BROKEN_SCHEMA);
	memset(&d, 0, sizeof(d));
	d.uv = &e.loop.uv;
	assert_int_equal(xio_notion_check(e.n, &report, rec_cb, &d), 0);
	wait_rec(&e, &d);
	assert_int_equal(d.rc, XIO_EINVAL);
	assert_non_null(strstr(report.data, "property 'Due' is missing: add a Date property named 'Due'"));
	assert_non_null(strstr(report.data, "notion.properties.task.confidence"));
	xio_buf_release(&report);
	control_ok(e.f, "/_fake/reset", "{}");
	json_object_put(control(e.f, "POST", "/_fake/schema",
				"{\"databases\":{\"dec-db\":{\"title\":\"Decisions\",\"data_source_id\":\"dec-ds\",\"properties\":"
				"{\"Name\":\"title\",\"Status\":\"select\",\"Date\":\"date\",\"Decision\":\"rich_text\","
				"\"Participants\":\"multi_select\",\"Risk priority\":\"select\",\"Thread\":\"url\",\"XIO key\":\"rich_text\"}},"
				"\"task-db\":{\"title\":\"Tasks\",\"data_source_id\":\"task-ds\",\"properties\":"
				"{\"Name\":\"title\",\"Owner\":\"people\",\"Owner name\":\"rich_text\",\"Due\":\"date\",\"Priority\":\"select\","
				"\"Status\":\"status\",\"Confidence\":\"number\",\"Source\":\"rich_text\",\"Decision\":\"relation\","
				"\"XIO key\":\"rich_text\"}}}}"));
	/* the schema is read again for the export; Status is now a status property */
	memset(&d, 0, sizeof(d));
	d.uv = &e.loop.uv;
	xio_buf_init(&report, 0);
	assert_int_equal(xio_notion_check(e.n, &report, rec_cb, &d), 0);
	wait_rec(&e, &d);
	assert_int_equal(d.rc, 0);
	xio_buf_release(&report);
	id = seed(&e, DECISION, TASKS, "en");
	run_all(&e);
	snprintf(key, sizeof(key), "c%lld:s5:1", (long long)id);
	xio_notion_task_key(tkey, sizeof(tkey), key, 2);
	memset(&d, 0, sizeof(d));
	d.uv = &e.loop.uv;
	assert_int_equal(xio_notion_update_task_status(e.n, tkey, "done", rec_cb, &d), 0);
	wait_rec(&e, &d);
	assert_int_equal(d.rc, 0);
	st = control(e.f, "GET", "/_fake/state", NULL);
	t = page_by_key(st, "task-db", tkey);
	assert_non_null(t);
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(prop(t, "Status"), "status"), "name")), "Done");
	json_object_put(st);
	memset(&d, 0, sizeof(d));
	d.uv = &e.loop.uv;
	assert_int_equal(xio_notion_update_task_status(e.n, "c999:s1:1:task:1", "done", rec_cb, &d), 0);
	wait_rec(&e, &d);
	assert_int_equal(d.rc, XIO_ENOTFOUND);
	assert_int_equal(xio_notion_update_task_status(e.n, tkey, "finished", rec_cb, &d), XIO_EINVAL);
	env_release(&e);
}

static void test_rate_limited(void **state)
{
	struct env e;
	json_object *st;
	int i;

	env_init(&e, *state, version_of, PEOPLE, 1);
	/* the fake allows 40/s with bursts of 5; the client sends up to 400/s */
	control_ok(e.f, "/_fake/limits", "{\"rate\":40,\"burst\":5}");
	for (i = 0; i < 10; i++)
		seed(&e, DECISION, TASKS, "en");
	run_all(&e);
	control_ok(e.f, "/_fake/limits", "{\"rate\":1000,\"burst\":1000}");
	st = control(e.f, "GET", "/_fake/state", NULL);
	assert_true(json_object_get_int(json_object_object_get(st, "rate_limited")) > 0);
	assert_int_equal(count_db(st, "dec-db"), 10);
	assert_int_equal(count_db(st, "task-db"), 30);
	json_object_put(st);
	env_release(&e);
}

static void test_rich_text_split(void **state)
{
	json_object *arr = json_object_new_array();
	struct xio_buf b;
	int trunc = 0;
	size_t i;

	(void)state;
	xio_buf_init(&b, 0);
	/* 1999 ASCII then an emoji (2 UTF-16 units): it must start item 2 */
	for (i = 0; i < 1999; i++)
		xio_buf_puts(&b, "a");
	xio_buf_puts(&b, "😀é");
	assert_int_equal(xio_notion_rich_text(arr, b.data, 100, &trunc), 0);
	assert_int_equal(json_object_array_length(arr), 2);
	assert_int_equal(json_object_get_string_len(json_object_object_get(
		json_object_object_get(json_object_array_get_idx(arr, 0), "text"), "content")), 1999);
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(json_object_array_get_idx(arr, 1), "text"), "content")), "😀é");
	json_object_put(arr);
	/* 2000 x 'é' is one item, 2001 two; the item cap truncates */
	arr = json_object_new_array();
	xio_buf_reset(&b);
	for (i = 0; i < 2001; i++)
		xio_buf_puts(&b, "é");
	assert_int_equal(xio_notion_rich_text(arr, b.data, 1, &trunc), 0);
	assert_int_equal(json_object_array_length(arr), 1);
	assert_int_equal(trunc, 1);
	json_object_put(arr);
	xio_buf_release(&b);
}

static void test_parse_response(void **state)
{
	json_object *j;
	int64_t ra;
	char msg[256];
	const char *e429 = "{\"object\":\"error\",\"status\":429,\"code\":\"rate_limited\",\"message\":\"slow down\"}";
	const char *e400 = "{\"object\":\"error\",\"status\":400,\"code\":\"validation_error\",\"message\":\"Due is not a property that exists.\"}";

	(void)state;
	assert_int_equal(xio_notion_parse_response(200, "{\"id\":\"x\"}", 10, NULL, &j, &ra, msg, sizeof(msg)), 0);
	json_object_put(j);
	assert_int_equal(xio_notion_parse_response(429, e429, strlen(e429), "3", NULL, &ra, msg, sizeof(msg)),
			 XIO_EAGAIN);
	assert_int_equal(ra, 3000);
	assert_string_equal(msg, "HTTP 429 rate_limited: slow down");
	assert_int_equal(xio_notion_parse_response(400, e400, strlen(e400), NULL, NULL, &ra, msg, sizeof(msg)),
			 XIO_EINVAL);
	assert_non_null(strstr(msg, "validation_error: Due is not"));
	assert_int_equal(xio_notion_parse_response(401, "{}", 2, NULL, NULL, &ra, msg, sizeof(msg)), XIO_EAUTH);
	assert_int_equal(xio_notion_parse_response(404, "", 0, NULL, NULL, &ra, msg, sizeof(msg)), XIO_ENOTFOUND);
	assert_int_equal(xio_notion_parse_response(503, "<html>", 6, NULL, NULL, &ra, msg, sizeof(msg)), XIO_EAGAIN);
	assert_int_equal(xio_notion_parse_response(200, "[1]", 3, NULL, &j, &ra, msg, sizeof(msg)), XIO_EPROTO);
	assert_int_equal(xio_notion_parse_response(200, "{} x", 4, NULL, &j, &ra, msg, sizeof(msg)), XIO_EPROTO);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_rich_text_split),
		cmocka_unit_test(test_parse_response),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_three_tasks),
		cmocka_unit_test(test_export_data_sources),
		cmocka_unit_test(test_long_decision),
		cmocka_unit_test(test_permanent_error_then_export),
		cmocka_unit_test(test_check_and_status),
		cmocka_unit_test(test_rate_limited),
		cmocka_unit_test(test_faults_exactly_once),
	};
	int rc = cmocka_run_group_tests(pure, NULL, NULL);

	return rc + cmocka_run_group_tests(tests, group_setup, group_teardown);
}
