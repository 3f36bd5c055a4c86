/*
 * post.h — the outbox handler of "post" rows: delivers a persona's message
 * through the chat adapter named in the row's payload.
 */
#ifndef XIO_POST_H
#define XIO_POST_H

#include "chat.h"
#include "log.h"
#include "outbox.h"

#define XIO_POST_MAX_CHATS 8

struct xio_poster {
	struct xio_outbox_handler handler; /* register this with the outbox */
	struct xio_chat chats[XIO_POST_MAX_CHATS];
	size_t nchats;
	struct xio_log *log;
};

/* Prepares the poster (handler.kind = "post"). */
void xio_poster_init(struct xio_poster *p, struct xio_log *log);

/* Adds a chat adapter; rows whose payload names chat.ops->name go to it.
 * Returns 0 or XIO_ETOOBIG past XIO_POST_MAX_CHATS. */
int xio_poster_add(struct xio_poster *p, struct xio_chat chat);

#endif
