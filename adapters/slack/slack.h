/*
 * slack.h — the Slack chat adapter: consiliums in Slack threads.
 *
 * Inbound, over Socket Mode (a libwebsockets client on the shared loop; the
 * default, no public URL needed) or the Events API (POST /slack/events and
 * /slack/commands on the app's HTTP server, signatures checked): the /xio
 * slash command, @xio mentions and human messages in threads the bot owns
 * become struct xio_inbound for the runner, deduplicated by event id or
 * trigger id.  A consilium's thread is channel + thread_ts; one opened by the
 * slash command has no thread yet, so it gets a placeholder thread ("new:…")
 * whose first post goes to the channel and whose ts, recorded in the store
 * as a thread alias, is the thread for everything after.
 *
 * Outbound, the chat port posts persona messages with chat.postMessage
 * (persona name and icon, mrkdwn escaping, long text split, the Scribe's
 * output as Block Kit sections, the outbox key in message metadata), paced
 * per channel, 429 reported as XIO_EAGAIN with Retry-After; check() looks
 * for the key with conversations.replies / conversations.history.
 */
#ifndef XIO_SLACK_H
#define XIO_SLACK_H

#include <stdint.h>

#include "chat.h"
#include "clock.h"
#include "http_server.h"
#include "i18n.h"
#include "log.h"
#include "loop.h"
#include "persona.h"
#include "runner.h"
#include "store.h"

struct xio_slack;

struct xio_slack_opts {
	const char *mode;           /* "socket" or "events" */
	const char *app_token;      /* xapp-…, Socket Mode */
	const char *bot_token;      /* xoxb-…, Web API */
	const char *signing_secret; /* Events API */
	const char *api_url;        /* "https://slack.com/api" */
	const char *lang;           /* language hint for idle answers */
	int64_t post_interval_ms;   /* per-channel pacing [1000] */
	int post_burst;             /* posts allowed at once per channel [3] */
	size_t max_body_bytes;      /* Events API body cap [256 KiB] */
	const struct xio_clock *clock; /* [system] */
	struct xio_metrics *metrics;   /* borrowed, may be NULL: api="slack" series */
};

/*
 * Creates the adapter (copies opts' strings).  runner, store, i18n and
 * personas are borrowed; srv (borrowed, may be NULL in socket mode) receives
 * the Events API routes in events mode.  Returns 0, or XIO_EINVAL naming the
 * missing token for the mode, XIO_EIO when lws refuses the client vhost,
 * XIO_ENOMEM.  Free with xio_slack_free.
 */
int xio_slack_new(struct xio_slack **out, struct xio_loop *loop, struct xio_runner *runner,
		  struct xio_store *store, const struct xio_i18n *i18n,
		  const struct xio_personas *personas, struct xio_http_server *srv,
		  const struct xio_slack_opts *opts, struct xio_log *log, struct xio_err *err);

/* Starts: auth.test for the bot's user id, then (socket mode) the first
 * connection.  Failures after this are logged and retried with backoff. */
int xio_slack_start(struct xio_slack *s, struct xio_err *err);

/* 1 once the adapter can receive (socket: a connection said hello). */
int xio_slack_ready(const struct xio_slack *s);

/*
 * Stops and frees: closes the WebSocket connections, cancels Web API calls
 * (a post cut short is marked so the next attempt checks before it sends)
 * and drops inbound work not yet applied (acknowledged events were already
 * claimed or will be redelivered by Slack).  Run the loop afterwards.  NULL
 * is a no-op.
 */
void xio_slack_free(struct xio_slack *s);

/* The chat port of this adapter (ops name "slack"). */
struct xio_chat xio_slack_chat(struct xio_slack *s);

#endif
