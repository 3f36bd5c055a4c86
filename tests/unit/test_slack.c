/*
 * test_slack.c — the Slack adapter's pure parts: request signatures (Slack's
 * documented example), Socket Mode envelopes, events, slash-command forms,
 * mrkdwn escaping, splitting, command mapping, mentions; and the store's
 * thread aliases and kept inbound events the adapter relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slack/slack_event.h"
#include "slack/slack_sig.h"
#include "store.h"

static const char *doc_secret = "8f742231b10e8888abcd99yyyzzz85a5";
static const char *doc_body =
	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
	"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
	"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmi"
	"bIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char *doc_sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

static void test_signature(void **state)
{
	struct xio_err err = { 0 };
	char forged[80];
	size_t n = strlen(doc_body);

	(void)state;
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", doc_sig, doc_body, n,
					      1531420618 + 10, &err), 0);
	/* one changed byte of body, signature or secret */
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", doc_sig, doc_body, n - 1,
					      1531420618, &err), XIO_EAUTH);
	assert_string_equal(err.msg, "signature mismatch");
	snprintf(forged, sizeof(forged), "%s", doc_sig);
	forged[10] = forged[10] == 'a' ? 'b' : 'a';
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", forged, doc_body, n,
					      1531420618, &err), XIO_EAUTH);
	assert_int_equal(xio_slack_sig_verify("other", "1531420618", doc_sig, doc_body, n,
					      1531420618, &err), XIO_EAUTH);
	/* stale or future timestamps, missing or malformed headers */
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", doc_sig, doc_body, n,
					      1531420618 + 301, &err), XIO_EAUTH);
	assert_non_null(strstr(err.msg, "stale"));
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", doc_sig, doc_body, n,
					      1531420618 - 301, &err), XIO_EAUTH);
	assert_int_equal(xio_slack_sig_verify(doc_secret, "", doc_sig, doc_body, n, 1531420618, &err),
			 XIO_EAUTH);
	assert_int_equal(xio_slack_sig_verify(doc_secret, "15314x", doc_sig, doc_body, n, 1531420618,
					      &err), XIO_EAUTH);
	assert_int_equal(xio_slack_sig_verify(doc_secret, "1531420618", "v0=short", doc_body, n,
					      1531420618, &err), XIO_EAUTH);
	assert_int_equal(xio_slack_sig_verify("", "1531420618", doc_sig, doc_body, n, 1531420618, &err),
			 XIO_EINVAL);
}

static void test_envelope(void **state)
{
	struct xio_slack_envelope env;
	struct xio_err err = { 0 };
	const char *hello = "{\"type\":\"hello\",\"num_connections\":1,\"connection_info\":{\"app_id\":\"A1\"}}";
	const char *disc = "{\"type\":\"disconnect\",\"reason\":\"refresh_requested\"}";
	const char *ev = "{\"envelope_id\":\"e1\",\"type\":\"events_api\",\"retry_attempt\":2,"
			 "\"payload\":{\"type\":\"event_callback\"}}";

	(void)state;
	assert_int_equal(xio_slack_envelope_parse(hello, strlen(hello), &env, &err), 0);
	assert_string_equal(env.type, "hello");
	xio_slack_envelope_release(&env);
	assert_int_equal(xio_slack_envelope_parse(disc, strlen(disc), &env, &err), 0);
	assert_string_equal(env.reason, "refresh_requested");
	xio_slack_envelope_release(&env);
	assert_int_equal(xio_slack_envelope_parse(ev, strlen(ev), &env, &err), 0);
	assert_string_equal(env.envelope_id, "e1");
	assert_int_equal(env.retry_attempt, 2);
	assert_non_null(env.payload);
	xio_slack_envelope_release(&env);
	/* an envelope that must be acked needs its id; junk and trailing bytes */
	assert_int_equal(xio_slack_envelope_parse("{\"type\":\"events_api\"}", 21, &env, &err), XIO_EINVAL);
	assert_int_equal(xio_slack_envelope_parse("{\"type\":", 8, &env, &err), XIO_EINVAL);
	assert_int_equal(xio_slack_envelope_parse("{\"type\":\"hello\"} x", 18, &env, &err), XIO_EINVAL);
	assert_int_equal(xio_slack_envelope_parse("[1]", 3, &env, &err), XIO_EINVAL);
	assert_int_equal(xio_slack_envelope_parse("{\"type\":\"\xff\"}", 11, &env, &err), XIO_EINVAL);
}

static json_object *J(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static void test_events(void **state)
{
	struct xio_slack_event e;
	struct xio_err err = { 0 };
	json_object *o;

	(void)state;
	o = J("{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"team_id\":\"T1\",\"event\":{\"type\":"
	      "\"app_mention\",\"user\":\"U1\",\"text\":\"<@UBOT> decide\",\"ts\":\"1.2\",\"channel\":\"C1\","
	      "\"thread_ts\":\"1.0\"}}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_MENTION);
	assert_string_equal(e.event_id, "Ev1");
	assert_string_equal(e.thread_ts, "1.0");
	json_object_put(o);

	o = J("{\"type\":\"event_callback\",\"event_id\":\"Ev2\",\"event\":{\"type\":\"message\","
	      "\"bot_id\":\"B1\",\"text\":\"x\",\"ts\":\"1.3\",\"channel\":\"C1\"}}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_IGNORE);
	json_object_put(o);

	o = J("{\"type\":\"event_callback\",\"event_id\":\"Ev3\",\"event\":{\"type\":\"message\","
	      "\"subtype\":\"message_changed\",\"channel\":\"C1\",\"message\":{}}}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_IGNORE);
	assert_string_equal(e.why, "an edit");
	json_object_put(o);

	o = J("{\"type\":\"event_callback\",\"event_id\":\"Ev4\",\"event\":{\"type\":\"message\","
	      "\"user\":\"U2\",\"text\":\"hi\",\"ts\":\"1.4\",\"channel\":\"C1\",\"thread_ts\":\"1.0\"}}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_MESSAGE);
	json_object_put(o);

	o = J("{\"type\":\"url_verification\",\"challenge\":\"abc\"}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_URL_VERIFICATION);
	assert_string_equal(e.challenge, "abc");
	json_object_put(o);

	o = J("{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), XIO_EINVAL);
	json_object_put(o);
	o = J("{\"type\":\"event_callback\",\"event_id\":7,\"event\":[]}");
	assert_int_equal(xio_slack_event_parse(o, 0, &e, &err), XIO_EINVAL);
	json_object_put(o);
}

static void test_form(void **state)
{
	struct xio_err err = { 0 };
	struct xio_slack_event e;
	json_object *o = xio_slack_form_parse(doc_body, strlen(doc_body), &err);

	(void)state;
	assert_non_null(o);
	assert_int_equal(xio_slack_event_parse(o, 1, &e, &err), 0);
	assert_int_equal(e.kind, XIO_SLACK_COMMAND);
	assert_string_equal(e.command, "/webhook-collect");
	assert_string_equal(e.channel, "G8PSS9T3V");
	assert_string_equal(e.response_url,
			    "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
	json_object_put(o);
	o = xio_slack_form_parse("text=a+b%2Bc&text=second&x", 26, &err);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "text")), "a b+c");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "x")), "");
	json_object_put(o);
	assert_null(xio_slack_form_parse("text=%00", 8, &err));
	/* required fields */
	o = xio_slack_form_parse("text=hi&user_id=U1", 18, &err);
	assert_int_equal(xio_slack_event_parse(o, 1, &e, &err), XIO_EINVAL);
	json_object_put(o);
}

static void test_text(void **state)
{
	char *s, **parts = NULL;
	int n, i;
	char big[10000];

	(void)state;
	s = xio_slack_escape("a & b <c> d");
	assert_string_equal(s, "a &amp; b &lt;c&gt; d");
	free(s);
	n = xio_slack_split("short", 3000, &parts);
	assert_int_equal(n, 1);
	assert_string_equal(parts[0], "short");
	xio_slack_parts_free(parts, n);
	/* paragraphs are kept whole when they fit */
	memset(big, 'x', sizeof(big));
	big[1999] = '\n';
	big[2000] = '\n';
	big[sizeof(big) - 1] = '\0';
	n = xio_slack_split(big, 3000, &parts);
	assert_true(n >= 4);
	assert_int_equal(strlen(parts[0]), 1999);
	for (i = 0; i < n; i++)
		assert_true(strlen(parts[i]) <= 3000);
	xio_slack_parts_free(parts, n);
	/* no break at all: cut at a UTF-8 boundary */
	for (i = 0; i + 2 < 9000; i += 2) {
		big[i] = (char)0xd0;
		big[i + 1] = (char)0x96; /* Ж */
	}
	big[i] = '\0';
	n = xio_slack_split(big, 3001, &parts);
	for (i = 0; i < n; i++)
		assert_int_equal(strlen(parts[i]) % 2, 0);
	xio_slack_parts_free(parts, n);
}

static void test_commands(void **state)
{
	char *s;

	(void)state;
	s = xio_slack_command_line("decide", 1);
	assert_string_equal(s, "/decide");
	free(s);
	s = xio_slack_command_line("  ", 1);
	assert_string_equal(s, "/help");
	free(s);
	s = xio_slack_command_line("Should we move billing?", 1);
	assert_string_equal(s, "/consilium Should we move billing?");
	free(s);
	s = xio_slack_command_line("consilium Why?", 0);
	assert_string_equal(s, "/consilium Why?");
	free(s);
	s = xio_slack_command_line("what do you think", 0);
	assert_string_equal(s, "what do you think");
	free(s);
	s = xio_slack_command_line("amend rationale Safer.", 1);
	assert_string_equal(s, "/amend rationale Safer.");
	free(s);
}

static const char *names_cb(void *ud, const char *id)
{
	(void)ud;
	return strcmp(id, "UCAROL") == 0 ? "Carol" : NULL;
}

static void test_mentions(void **state)
{
	char *s, *ids[4];
	size_t n;

	(void)state;
	s = xio_slack_untag("<@UBOT> ask <@UCAROL> and <@UX|x> about a &lt; b &amp; c", "UBOT", names_cb, NULL);
	assert_string_equal(s, "ask @Carol and @UX about a < b & c");
	free(s);
	n = xio_slack_mentions("<@UA> <@UB> <@UA> <@ broken <@UC|c>", ids, 4);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "UA");
	assert_string_equal(ids[2], "UC");
	while (n--)
		free(ids[n]);
}

static void test_store_ops(void **state)
{
	struct xio_store st;
	struct xio_err err = { 0 };
	char *t = NULL, **keys = NULL, **payloads = NULL;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(xio_store_open_sqlite(&st, ":memory:", 1000, 0, &err), 0);
	assert_int_equal(st.ops->thread_alias_put(st.impl, "slack:first:C1:new:t1", "1.5", 1, &err), 0);
	assert_int_equal(st.ops->thread_alias_put(st.impl, "slack:first:C1:new:t1", "9.9", 2, &err), XIO_EDUP);
	assert_int_equal(st.ops->thread_alias_get(st.impl, "slack:first:C1:new:t1", &t, &err), 0);
	assert_string_equal(t, "1.5");
	free(t);
	assert_int_equal(st.ops->thread_alias_get(st.impl, "nope", &t, &err), XIO_ENOTFOUND);
	assert_int_equal(st.ops->pending_put(st.impl, "slack:ev:1", "{\"a\":1}", 1, &err), 0);
	assert_int_equal(st.ops->pending_put(st.impl, "slack:ev:1", "{}", 1, &err), XIO_EDUP);
	assert_int_equal(st.ops->pending_put(st.impl, "tg:2", "{}", 1, &err), 0);
	assert_int_equal(st.ops->pending_put(st.impl, "slack:ev:3", "{}", 1, &err), 0);
	assert_int_equal(st.ops->pending_list(st.impl, "slack:", &keys, &payloads, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "slack:ev:1");
	assert_string_equal(payloads[0], "{\"a\":1}");
	for (i = 0; i < n; i++) {
		free(keys[i]);
		free(payloads[i]);
	}
	free(keys);
	free(payloads);
	assert_int_equal(st.ops->pending_del(st.impl, "slack:ev:1", &err), 0);
	assert_int_equal(st.ops->pending_list(st.impl, "slack%", &keys, &payloads, &n, &err), 0);
	assert_int_equal(n, 0); /* % is literal in a prefix */
	free(keys);
	free(payloads);
	xio_store_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature), cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_events),    cmocka_unit_test(test_form),
		cmocka_unit_test(test_text),      cmocka_unit_test(test_commands),
		cmocka_unit_test(test_mentions),  cmocka_unit_test(test_store_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
