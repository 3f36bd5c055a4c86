/*
 * test_telegram.c — the Telegram adapter's pure parts: reading updates,
 * HTML rendering and escaping, splitting long text, the secret compare, and
 * the store ops the adapter added (kv, open consiliums by prefix, rekey).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telegram/tg.h"

static int parse(const char *json, struct xio_tg_update *u, struct xio_err *err)
{
	json_object *o = json_tokener_parse(json);
	int rc = xio_tg_update_parse(o, u, err);

	json_object_put(o);
	return rc;
}

static void test_parse_topic_command(void **state)
{
	struct xio_tg_update u;
	struct xio_err err;

	(void)state;
	assert_int_equal(parse("{\"update_id\":7,\"message\":{\"message_id\":3,\"date\":1,"
			       "\"chat\":{\"id\":-1001234567890123,\"type\":\"supergroup\",\"is_forum\":true},"
			       "\"from\":{\"id\":5,\"first_name\":\"Alice\",\"last_name\":\"B\",\"language_code\":\"ru\"},"
			       "\"message_thread_id\":42,\"is_topic_message\":true,"
			       "\"text\":\"/consilium@xio_bot Which CRM?\","
			       "\"entities\":[{\"type\":\"bot_command\",\"offset\":0,\"length\":18}]}}",
			       &u, &err), 0);
	assert_int_equal(u.kind, XIO_TG_UPD_MESSAGE);
	assert_true(u.chat_id == -1001234567890123LL); /* 64-bit chat ids */
	assert_int_equal(u.thread_id, 42);
	assert_true(u.is_forum && u.is_topic_message);
	assert_string_equal(u.author, "Alice B");
	assert_string_equal(u.command_bot, "xio_bot");
	assert_string_equal(u.lang, "ru");
	xio_tg_update_release(&u);
}

static void test_parse_kinds(void **state)
{
	struct xio_tg_update u;
	struct xio_err err;

	(void)state;
	assert_int_equal(parse("{\"update_id\":1,\"edited_message\":{\"message_id\":2,\"chat\":{\"id\":1},"
			       "\"from\":{\"id\":1,\"username\":\"bob\"},\"text\":\"/decide@other now\"}}",
			       &u, &err), 0);
	assert_int_equal(u.kind, XIO_TG_UPD_EDITED);
	assert_string_equal(u.author, "@bob");
	assert_string_equal(u.command_bot, "other"); /* from the text: no entity */
	xio_tg_update_release(&u);
	assert_int_equal(parse("{\"update_id\":2,\"message\":{\"message_id\":2,\"chat\":{\"id\":-5},"
			       "\"migrate_to_chat_id\":-1005}}", &u, &err), 0);
	assert_int_equal(u.kind, XIO_TG_UPD_MIGRATE);
	assert_true(u.migrate_to == -1005);
	xio_tg_update_release(&u);
	assert_int_equal(parse("{\"update_id\":3,\"message_reaction\":{}}", &u, &err), 0);
	assert_int_equal(u.kind, XIO_TG_UPD_OTHER);
	xio_tg_update_release(&u);
	/* malformed */
	assert_int_equal(parse("{\"message\":{}}", &u, &err), XIO_EINVAL);
	xio_tg_update_release(&u);
	assert_int_equal(parse("{\"update_id\":4,\"message\":{\"message_id\":1,\"chat\":{\"id\":\"x\"}}}", &u, &err),
			 XIO_EINVAL);
	assert_non_null(strstr(err.msg, "chat.id"));
	xio_tg_update_release(&u);
	assert_int_equal(parse("[1]", &u, &err), XIO_EINVAL);
	xio_tg_update_release(&u);
	assert_int_equal(xio_tg_update_parse(NULL, &u, &err), XIO_EINVAL);
	xio_tg_update_release(&u);
}

static void test_html(void **state)
{
	char *h;

	(void)state;
	h = xio_tg_html("*Decision log*\nif a < b && c > d then <script>", "Moderator");
	assert_string_equal(h, "<b>Moderator:</b>\n<b>Decision log</b>\n"
			       "if a &lt; b &amp;&amp; c &gt; d then &lt;script&gt;");
	free(h);
	h = xio_tg_html("2*3*4 and * stray and a*b", NULL);
	assert_string_equal(h, "2*3*4 and * stray and a*b");
	free(h);
	h = xio_tg_html("one line", "A <&> B");
	assert_string_equal(h, "<b>A &lt;&amp;&gt; B:</b> one line");
	free(h);
}

static void test_split(void **state)
{
	char big[10000], **parts;
	size_t n, i, total = 0;

	(void)state;
	/* paragraphs of 900 bytes: cut at paragraph breaks, below the limit */
	memset(big, 0, sizeof(big));
	for (i = 0; i < 9; i++) {
		memset(big + i * 902, 'a' + (int)i, 900);
		if (i < 8)
			memcpy(big + i * 902 + 900, "\n\n", 2);
	}
	assert_int_equal(xio_tg_split(big, 4000, &parts, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_true(xio_tg_utf16_len(parts[i], strlen(parts[i])) <= 4000);
		assert_true(parts[i][strlen(parts[i]) - 1] != '\n');
		total += strlen(parts[i]);
	}
	assert_int_equal(total, 9 * 900 + 2 * 6); /* only the cut breaks dropped */
	xio_tg_parts_free(parts, n);
	/* no break at all: cut between UTF-8 characters (2 bytes each) */
	for (i = 0; i + 2 <= 9000; i += 2)
		memcpy(big + i, "\xd0\xb6", 2);
	big[9000] = '\0';
	assert_int_equal(xio_tg_split(big, 4000, &parts, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(parts[0]), 8000);
	assert_int_equal(strlen(parts[1]), 1000);
	xio_tg_parts_free(parts, n);
	/* an emoji counts two UTF-16 units */
	assert_int_equal(xio_tg_utf16_len("\xf0\x9f\xa7\xad" "a", 5), 3);
	assert_int_equal(xio_tg_split("", 4000, &parts, &n), 0);
	assert_int_equal(n, 1);
	xio_tg_parts_free(parts, n);
}

static void test_secret(void **state)
{
	(void)state;
	assert_true(xio_tg_secret_equal("s3cret", "s3cret"));
	assert_false(xio_tg_secret_equal("s3creT", "s3cret"));
	assert_false(xio_tg_secret_equal("s3cre", "s3cret"));
	assert_false(xio_tg_secret_equal("", "s3cret"));
	assert_false(xio_tg_secret_equal("s3cret-longer", "s3cret"));
}

static void test_store_ops(void **state)
{
	struct xio_store s;
	struct xio_err err;
	struct xio_consilium_row r = { 0 };
	int64_t *ids;
	char **keys, *v;
	size_t n, i;
	const char *tk[] = { "telegram:-5:m1", "telegram:-5:m9", "telegram:-50:m1", "telegram:-5" };

	(void)state;
	assert_int_equal(xio_store_open_sqlite(&s, ":memory:", 1000, 0, &err), 0);
	assert_int_equal(s.ops->kv_get(s.impl, "k", &v, &err), XIO_ENOTFOUND);
	assert_int_equal(s.ops->kv_put(s.impl, "k", "1", &err), 0);
	assert_int_equal(s.ops->kv_put(s.impl, "k", "2", &err), 0);
	assert_int_equal(s.ops->kv_get(s.impl, "k", &v, &err), 0);
	assert_string_equal(v, "2");
	free(v);
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.thread_key = (char *)tk[i];
		r.phase = "discussion";
		r.question = "q";
		assert_int_equal(s.ops->consilium_insert(s.impl, &r, &err), 0);
	}
	assert_int_equal(s.ops->consilium_open_prefix(s.impl, "telegram:-5:m", &ids, &keys, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0], "telegram:-5:m1");
	assert_string_equal(keys[1], "telegram:-5:m9");
	assert_int_equal(s.ops->consilium_rekey(s.impl, ids[0], "telegram:-77:m1", &err), 0);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(ids);
	assert_int_equal(s.ops->consilium_open_prefix(s.impl, "telegram:-5:m", &ids, &keys, &n, &err), 0);
	assert_int_equal(n, 1);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(ids);
	assert_int_equal(s.ops->consilium_find_open(s.impl, "telegram:-77:m1", &r, &err), 0);
	xio_consilium_row_release(&r);
	xio_store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_topic_command),
		cmocka_unit_test(test_parse_kinds),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_store_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
