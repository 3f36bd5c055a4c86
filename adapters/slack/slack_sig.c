/*
 * slack_sig.c — HMAC-SHA256 request signatures, with OpenSSL.
 */
#include "slack_sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xio_slack_sig_make(const char *secret, const char *timestamp, const void *body, size_t len,
		       char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t tslen = strlen(timestamp);
	unsigned char *msg;

	if (outlen < 68)
		return XIO_EINVAL;
	msg = malloc(3 + tslen + 1 + len + 1);
	if (!msg)
		return XIO_ENOMEM;
	memcpy(msg, "v0:", 3);
	memcpy(msg + 3, timestamp, tslen);
	msg[3 + tslen] = ':';
	if (len)
		memcpy(msg + 4 + tslen, body, len);
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, 4 + tslen + len, md, &mdlen) ||
	    mdlen != 32) {
		free(msg);
		return XIO_EIO;
	}
	free(msg);
	memcpy(out, "v0=", 3);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int xio_slack_sig_verify(const char *secret, const char *timestamp, const char *signature,
			 const void *body, size_t len, int64_t now_s, struct xio_err *err)
{
	char want[80], *end = NULL;
	long long ts;
	int rc;

	if (!secret || !*secret)
		return xio_err_set(err, XIO_EINVAL, "slack: slack.signing_secret is not set");
	if (!timestamp || !*timestamp)
		return xio_err_set(err, XIO_EAUTH, "missing X-Slack-Request-Timestamp");
	ts = strtoll(timestamp, &end, 10);
	if (*end || end == timestamp)
		return xio_err_set(err, XIO_EAUTH, "malformed X-Slack-Request-Timestamp");
	if (ts < now_s - XIO_SLACK_SIG_MAX_SKEW_S || ts > now_s + XIO_SLACK_SIG_MAX_SKEW_S)
		return xio_err_set(err, XIO_EAUTH, "stale timestamp (%lld s from now)",
				   ts - (long long)now_s);
	if (!signature || strlen(signature) != 67)
		return xio_err_set(err, XIO_EAUTH, "signature mismatch");
	rc = xio_slack_sig_make(secret, timestamp, body, len, want, sizeof(want));
	if (rc)
		return xio_err_set(err, rc, "cannot compute the signature");
	if (CRYPTO_memcmp(want, signature, 67) != 0)
		return xio_err_set(err, XIO_EAUTH, "signature mismatch");
	return 0;
}
