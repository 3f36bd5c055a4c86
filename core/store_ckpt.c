/*
 * store_ckpt.c — WAL checkpoints on a thread of their own (store_ckpt.h).
 *
 * One thread, one SQLite connection, one request at a time: the store asks
 * again only after it has taken the previous result, so a flag is the whole
 * queue.  The connection is opened by the thread itself and used by no one
 * else (SQLITE_OPEN_NOMUTEX is then safe); it runs with synchronous=NORMAL
 * like the store's, since a checkpoint syncs as its connection says.
 */
#include "store_ckpt.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct xio_ckpt {
	char *path;
	uv_thread_t tid;
	uv_mutex_t mu;
	uv_cond_t cv;     /* to the thread: a request, or quit */
	uv_cond_t done;   /* from the thread: a checkpoint finished */
	int started;      /* the thread exists */
	int cannot_start; /* creating it failed once: the caller works inline */
	/* under mu */
	int want;         /* a request the thread has not picked up */
	int running;      /* requested and not finished */
	int quit;
	int have;         /* a result not yet taken */
	int nlog, ncopied;
};

static sqlite3 *open_conn(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void ckpt_main(void *arg)
{
	struct xio_ckpt *k = arg;
	sqlite3 *db = open_conn(k->path);

	uv_mutex_lock(&k->mu);
	for (;;) {
		int nlog = -1, ncopied = -1;

		while (!k->want && !k->quit)
			uv_cond_wait(&k->cv, &k->mu);
		if (k->quit)
			break;
		k->want = 0;
		uv_mutex_unlock(&k->mu);
		/* A failed open is retried: the file may have been busy. */
		if (!db)
			db = open_conn(k->path);
		if (!db || sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
						     &ncopied) != SQLITE_OK)
			nlog = ncopied = -1;
		uv_mutex_lock(&k->mu);
		k->nlog = nlog;
		k->ncopied = ncopied;
		k->have = 1;
		k->running = 0;
		uv_cond_signal(&k->done);
	}
	uv_mutex_unlock(&k->mu);
	sqlite3_close(db);
}

struct xio_ckpt *xio_ckpt_new(const char *path)
{
	struct xio_ckpt *k = calloc(1, sizeof(*k));
	int inited = 0; /* of mu, cv, done, in that order */

	if (!k || !(k->path = strdup(path)) || uv_mutex_init(&k->mu) != 0)
		goto fail;
	inited = 1;
	if (uv_cond_init(&k->cv) != 0)
		goto fail;
	inited = 2;
	if (uv_cond_init(&k->done) != 0)
		goto fail;
	return k;
fail:
	if (inited > 1)
		uv_cond_destroy(&k->cv);
	if (inited > 0)
		uv_mutex_destroy(&k->mu);
	if (k)
		free(k->path);
	free(k);
	return NULL;
}

int xio_ckpt_request(struct xio_ckpt *k)
{
	if (!k->started) {
		if (k->cannot_start || uv_thread_create(&k->tid, ckpt_main, k) != 0) {
			k->cannot_start = 1;
			return -1;
		}
		k->started = 1;
	}
	uv_mutex_lock(&k->mu);
	if (!k->running) {
		k->running = 1;
		k->want = 1;
		uv_cond_signal(&k->cv);
	}
	uv_mutex_unlock(&k->mu);
	return 0;
}

int xio_ckpt_running(struct xio_ckpt *k)
{
	int running;

	if (!k->started)
		return 0;
	uv_mutex_lock(&k->mu);
	running = k->running;
	uv_mutex_unlock(&k->mu);
	return running;
}

void xio_ckpt_wait(struct xio_ckpt *k)
{
	if (!k->started)
		return;
	uv_mutex_lock(&k->mu);
	while (k->running)
		uv_cond_wait(&k->done, &k->mu);
	uv_mutex_unlock(&k->mu);
}

int xio_ckpt_take(struct xio_ckpt *k, int *nlog, int *ncopied)
{
	int have;

	if (!k->started)
		return 0;
	uv_mutex_lock(&k->mu);
	have = k->have;
	if (have) {
		*nlog = k->nlog;
		*ncopied = k->ncopied;
		k->have = 0;
	}
	uv_mutex_unlock(&k->mu);
	return have;
}

void xio_ckpt_free(struct xio_ckpt *k)
{
	if (!k)
		return;
	if (k->started) {
		uv_mutex_lock(&k->mu);
		k->quit = 1;
		uv_cond_signal(&k->cv);
		uv_mutex_unlock(&k->mu);
		uv_thread_join(&k->tid);
	}
	uv_cond_destroy(&k->done);
	uv_cond_destroy(&k->cv);
	uv_mutex_destroy(&k->mu);
	free(k->path);
	free(k);
}
