/*
 * store_ckpt.h — WAL checkpoints on a thread of their own, for the SQLite
 * store (core/store_sqlite.c; nothing else uses it).
 *
 * A checkpoint syncs the WAL, copies it into the database file and syncs
 * that: two fdatasyncs of 1-3 ms each on an ext4 disk, which the loop would
 * otherwise spend with every update behind them waiting.  The thread runs
 * them on a connection of its own; the store asks for one when it is idle
 * and reads the result at a later idle moment (no wake-up of the loop: the
 * result only decides what the next idle moment does).
 */
#ifndef XIO_STORE_CKPT_H
#define XIO_STORE_CKPT_H

struct xio_ckpt;

/* Makes a checkpointer for the database at path (copied).  The thread and
 * its connection start with the first request.  Returns NULL when out of
 * memory. */
struct xio_ckpt *xio_ckpt_new(const char *path);

/* Asks for one PASSIVE checkpoint.  Returns 0 when queued (or one is
 * already queued or running), -1 when the thread cannot be started (the
 * caller checkpoints inline instead). */
int xio_ckpt_request(struct xio_ckpt *k);

/* 1 while a requested checkpoint has not finished. */
int xio_ckpt_running(struct xio_ckpt *k);

/* Blocks until a requested checkpoint has finished (at once when none
 * runs). */
void xio_ckpt_wait(struct xio_ckpt *k);

/* Takes the result of the last finished checkpoint: 1 and *nlog (frames in
 * the WAL it saw) and *ncopied (frames copied into the database, all of the
 * WAL when equal) when there is one not yet taken; 0 otherwise.  A failed
 * checkpoint reports nlog = ncopied = -1. */
int xio_ckpt_take(struct xio_ckpt *k, int *nlog, int *ncopied);

/* Stops the thread (waiting for a checkpoint in progress), closes its
 * connection and frees k.  NULL is allowed. */
void xio_ckpt_free(struct xio_ckpt *k);

#endif
