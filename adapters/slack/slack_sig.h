/*
 * slack_sig.h — verification of Slack's request signatures (Events API and
 * slash commands over HTTP).
 *
 * X-Slack-Signature is "v0=" + hex HMAC-SHA256 of "v0:<timestamp>:<body>"
 * keyed with the app's signing secret (OpenSSL's HMAC); the comparison is in
 * constant time, and a timestamp more than five minutes from now is refused
 * so a captured request cannot be replayed later.
 */
#ifndef XIO_SLACK_SIG_H
#define XIO_SLACK_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define XIO_SLACK_SIG_MAX_SKEW_S 300

/*
 * Checks a request.  Returns 0 when the signature is right and fresh;
 * XIO_EAUTH with err ("signature mismatch", "stale timestamp", "missing
 * timestamp") otherwise; XIO_EINVAL when secret is empty.
 */
int xio_slack_sig_verify(const char *secret, const char *timestamp, const char *signature,
			 const void *body, size_t len, int64_t now_s, struct xio_err *err);

/* Writes the signature of body at timestamp into out (at least 68 bytes):
 * "v0=" + 64 hex digits.  Returns 0 or XIO_EIO. */
int xio_slack_sig_make(const char *secret, const char *timestamp, const void *body, size_t len,
		       char *out, size_t outlen);

#endif
