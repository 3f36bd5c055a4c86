/*
 * console.c — terminal / pipe / file input, journaled output.
 */
#include "console.h"
#include "buf.h"
#include "extract.h"
#include "resource.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES (64 * 1024)
#define QUEUE_HIGH 256

struct line {
	char *text;
	long no;
};

struct xio_console {
	uv_loop_t *loop;
	struct xio_runner *runner;
	struct xio_log *log;
	char *user, *session, *lang;
	int in_fd, out_fd, journal_fd;
	char *journal_path;
	void (*idle_cb)(void *ud);
	void *idle_ud;
	int kind;                 /* uv_handle_type of input */
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
	} h;
	int handle_open;
	uv_fs_t fsreq;
	char rbuf[16384];
	int reading, eof, stopped, busy, fs_pending, freeing;
	struct xio_buf partial;
	struct line *q;
	size_t qhead, qlen, qcap;
	long lineno;
};

static void feed_line(struct xio_console *c, const struct line *l);

/* ---- output ------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void console_post(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_console *c = impl;
	struct xio_buf out;
	const char *s;

	if (c->journal_fd >= 0) {
		json_object *rec = json_object_new_object();
		const char *line;
		int rc;

		json_object_object_add(rec, "key", json_object_new_string(p->key));
		json_object_object_add(rec, "persona", json_object_new_string(p->persona_name));
		json_object_object_add(rec, "text", json_object_new_string(p->text));
		line = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
		xio_buf_init(&out, 0);
		rc = xio_buf_printf(&out, "%s\n", line);
		json_object_put(rec);
		/* one write() per record: O_APPEND makes it land whole */
		if (rc || write_all(c->journal_fd, out.data, out.len)) {
			xio_buf_release(&out);
			cb(ud, XIO_EAGAIN, -1, NULL, "console journal: write failed");
			return;
		}
		xio_buf_release(&out);
	}
	xio_buf_init(&out, 0);
	xio_buf_printf(&out, "[%s] ", p->persona_name);
	for (s = p->text; *s; s++) {
		xio_buf_append(&out, s, 1);
		if (*s == '\n' && s[1])
			xio_buf_puts(&out, "    ");
	}
	xio_buf_puts(&out, "\n");
	write_all(c->out_fd, out.data, out.len);
	xio_buf_release(&out);
	cb(ud, 0, -1, NULL, NULL);
}

/* Looks for the key in the journal: the journal is the console's record of
 * what was delivered. */
static void console_check(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_console *c = impl;
	char needle[256], *text;
	struct xio_err err;
	int found;

	if (!c->journal_path) {
		cb(ud, 0, -1, NULL, NULL);
		return;
	}
	snprintf(needle, sizeof(needle), "{\"key\":\"%s\",", p->key);
	text = xio_file_read(c->journal_path, 1u << 30, NULL, &err);
	found = text && strstr(text, needle) != NULL;
	free(text);
	cb(ud, found ? 1 : 0, -1, NULL, NULL);
}

static const struct xio_chat_ops console_ops = {
	.name = "console",
	.post = console_post,
	.check = console_check,
};

struct xio_chat xio_console_chat(struct xio_console *c)
{
	struct xio_chat chat = { &console_ops, c };

	return chat;
}

/* ---- input ------------------------------------------------------------- */

static int queue_push(struct xio_console *c, const char *text, size_t len)
{
	struct line *l;

	if (c->qhead + c->qlen == c->qcap) {
		if (c->qhead) {
			memmove(c->q, c->q + c->qhead, c->qlen * sizeof(*c->q));
			c->qhead = 0;
		} else {
			size_t ncap = c->qcap ? c->qcap * 2 : 64;
			struct line *nq = realloc(c->q, ncap * sizeof(*nq));

			if (!nq)
				return XIO_ENOMEM;
			c->q = nq;
			c->qcap = ncap;
		}
	}
	l = &c->q[c->qhead + c->qlen];
	l->text = malloc(len + 1);
	if (!l->text)
		return XIO_ENOMEM;
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->no = ++c->lineno;
	c->qlen++;
	return 0;
}

static void split_lines(struct xio_console *c, const char *data, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (data[i] != '\n')
			continue;
		if (c->partial.len) {
			if (xio_buf_append(&c->partial, data + start, i - start) == 0)
				queue_push(c, c->partial.data, c->partial.len);
			else
				xio_log_warn(c->log, "console", "line %ld too long; ignored",
					     c->lineno + 1);
			xio_buf_reset(&c->partial);
		} else {
			queue_push(c, data + start, i - start);
		}
		start = i + 1;
	}
	if (start < n && xio_buf_append(&c->partial, data + start, n - start)) {
		xio_log_warn(c->log, "console", "line %ld too long; ignored", c->lineno + 1);
		xio_buf_reset(&c->partial);
	}
}

static void on_eof(struct xio_console *c)
{
	if (c->partial.len) {
		queue_push(c, c->partial.data, c->partial.len);
		xio_buf_reset(&c->partial);
	}
	c->eof = 1;
}

static void pause_reading(struct xio_console *c);
static void resume_reading(struct xio_console *c);

static void after_read(struct xio_console *c)
{
	if (c->qlen >= QUEUE_HIGH)
		pause_reading(c);
	if (!c->busy)
		xio_console_next(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct xio_console *c = h->data;

	(void)suggested;
	buf->base = c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct xio_console *c = s->data;

	if (n > 0)
		split_lines(c, buf->base, (size_t)n);
	else if (n < 0) {
		uv_read_stop(s);
		c->reading = 0;
		on_eof(c);
	}
	after_read(c);
}

static void fs_read_cb(uv_fs_t *req)
{
	struct xio_console *c = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	c->fs_pending = 0;
	if (c->freeing) {
		xio_buf_release(&c->partial);
		free(c);
		return;
	}
	if (n > 0)
		split_lines(c, c->rbuf, (size_t)n);
	else
		on_eof(c);
	if (n > 0 && c->qlen < QUEUE_HIGH && !c->stopped)
		resume_reading(c);
	else if (n > 0)
		c->reading = 0;
	after_read(c);
}

static void resume_reading(struct xio_console *c)
{
	uv_buf_t b;

	if (c->eof || c->stopped)
		return;
	c->reading = 1;
	if (c->kind == UV_FILE) {
		if (c->fs_pending)
			return;
		b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
		c->fsreq.data = c;
		c->fs_pending = 1;
		if (uv_fs_read(c->loop, &c->fsreq, c->in_fd, &b, 1, -1, fs_read_cb) < 0) {
			c->fs_pending = 0;
			on_eof(c);
		}
	} else {
		uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
	}
}

static void pause_reading(struct xio_console *c)
{
	if (!c->reading)
		return;
	if (c->kind != UV_FILE)
		uv_read_stop((uv_stream_t *)&c->h);
	c->reading = 0;
}

/*
 * "Name: text" speaks as Name when Name looks like a person's name: starts
 * with a letter, at most three words and 40 bytes, no URL-like colon use,
 * and is no marker the extractor reads ("Decision:", "Action item:", "Итог:"),
 * which stays in the line of whoever typed it.
 */
static size_t speaker_prefix(const char *s)
{
	size_t i, words = 1;

	if (!*s || !(isalpha((unsigned char)*s) || (unsigned char)*s >= 0x80))
		return 0;
	for (i = 0; s[i] && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ':')
			return (s[i + 1] == ' ' || s[i + 1] == '\0') && !xio_extract_is_marker(s, i)
				       ? i
				       : 0;
		if (ch == ' ' && ++words > 3)
			return 0;
		if (!(isalnum(ch) || ch >= 0x80 || ch == ' ' || ch == '.' || ch == '-' ||
		      ch == '_' || ch == '\''))
			return 0;
	}
	return 0;
}

int xio_console_parse_line(char *line, const char *user, char *author, size_t author_size,
			   const char **text)
{
	char *t = line;
	size_t nl, len;

	*text = NULL;
	if (author_size)
		author[0] = '\0';
	len = strlen(t);
	while (len && isspace((unsigned char)t[len - 1]))
		t[--len] = '\0';
	while (*t && isspace((unsigned char)*t))
		t++;
	if (!*t)
		return 0;
	nl = speaker_prefix(t);
	if (nl) {
		snprintf(author, author_size, "%.*s", (int)nl, t);
		t += nl + 1;
		while (*t == ' ')
			t++;
		if (!*t)
			return 0;
	} else {
		snprintf(author, author_size, "%s", user ? user : "");
	}
	*text = t;
	return 1;
}

static void feed_line(struct xio_console *c, const struct line *l)
{
	char author[64], id[128];
	const char *text;
	struct xio_inbound in = { 0 };
	struct xio_err err;
	int rc;

	if (!xio_console_parse_line(l->text, c->user, author, sizeof(author), &text))
		return;
	snprintf(id, sizeof(id), "console:%s:%ld", c->session, l->no);
	in.platform = "console";
	in.chat = "local";
	in.thread = "";
	in.thread_key = "console:local";
	in.workspace = "console";
	in.author = author;
	in.text = text;
	in.msg_id = id;
	in.hint_when_idle = 1;
	in.lang = c->lang;
	rc = xio_runner_input(c->runner, &in, &err);
	if (rc == XIO_EDUP)
		xio_log_debug(c->log, "console", "line %ld already handled", l->no);
	else if (rc)
		xio_logf(c->log, XIO_LOG_ERROR, "console", "line %ld not handled: %s", l->no,
			 err.msg);
	else
		c->busy = 1;
}

void xio_console_next(struct xio_console *c)
{
	c->busy = 0; /* the bot has finished with the last line */
	while (!c->stopped && c->qlen) {
		struct line l = c->q[c->qhead];

		c->qhead++;
		c->qlen--;
		c->busy = 0;
		feed_line(c, &l);
		free(l.text);
		if (c->busy)
			break; /* wait until the bot has answered */
	}
	if (!c->reading && !c->eof && !c->stopped && c->qlen < QUEUE_HIGH / 2)
		resume_reading(c);
	if (!c->busy && !c->qlen && !c->stopped && c->idle_cb)
		c->idle_cb(c->idle_ud);
}

int xio_console_drained(const struct xio_console *c)
{
	return c->eof && c->qlen == 0;
}

int xio_console_busy(const struct xio_console *c)
{
	return c->busy;
}


int xio_console_new(struct xio_console **out, uv_loop_t *loop, struct xio_runner *runner,
		    const struct xio_console_opts *o, struct xio_log *log, struct xio_err *err)
{
	struct xio_console *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return xio_err_set(err, XIO_ENOMEM, "console: out of memory");
	c->loop = loop;
	c->runner = runner;
	c->log = log;
	c->in_fd = o->in_fd;
	c->idle_cb = o->idle_cb;
	c->idle_ud = o->idle_ud;
	c->out_fd = o->out_fd;
	c->journal_fd = -1;
	c->user = strdup(o->user && *o->user ? o->user : "you");
	c->session = strdup(o->session && *o->session ? o->session : "default");
	c->lang = strdup(o->lang ? o->lang : "auto");
	xio_buf_init(&c->partial, LINE_MAX_BYTES);
	if (!c->user || !c->session || !c->lang)
		goto oom;
	if (o->journal && *o->journal) {
		c->journal_path = strdup(o->journal);
		if (!c->journal_path)
			goto oom;
		c->journal_fd = open(o->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (c->journal_fd < 0) {
			xio_err_set(err, XIO_EIO, "console journal %s: %s", o->journal, strerror(errno));
			xio_console_free(c);
			return XIO_EIO;
		}
	}
	*out = c;
	return 0;
oom:
	xio_console_free(c);
	return xio_err_set(err, XIO_ENOMEM, "console: out of memory");
}

int xio_console_start(struct xio_console *c, struct xio_err *err)
{
	int rc;

	/* Work the last process left (an AI turn, a post) finishes before the
	 * first line is fed, or a line could overtake a reply it followed: the
	 * app's idle check feeds the first line (xio_console_next). */
	c->busy = 1;
	c->kind = uv_guess_handle(c->in_fd);
	switch (c->kind) {
	case UV_TTY:
		rc = uv_tty_init(c->loop, &c->h.tty, c->in_fd, 1);
		break;
	case UV_NAMED_PIPE:
		rc = uv_pipe_init(c->loop, &c->h.pipe, 0);
		if (!rc)
			rc = uv_pipe_open(&c->h.pipe, c->in_fd);
		break;
	case UV_FILE:
		rc = 0;
		break;
	default:
		/* /dev/null and other odd inputs: treat as empty */
		c->eof = 1;
		return 0;
	}
	if (rc)
		return xio_err_set(err, XIO_EIO, "console input: %s", uv_strerror(rc));
	if (c->kind != UV_FILE) {
		c->h.tty.data = c;
		c->handle_open = 1;
	}
	resume_reading(c);
	return 0;
}

void xio_console_stop(struct xio_console *c)
{
	c->stopped = 1;
	pause_reading(c);
}

static void close_cb(uv_handle_t *h)
{
	struct xio_console *c = h->data;

	xio_buf_release(&c->partial);
	free(c);
}

void xio_console_free(struct xio_console *c)
{
	size_t i;

	if (!c)
		return;
	c->stopped = 1;
	for (i = 0; i < c->qlen; i++)
		free(c->q[c->qhead + i].text);
	free(c->q);
	c->q = NULL;
	c->qlen = 0;
	if (c->journal_fd >= 0)
		close(c->journal_fd);
	free(c->user);
	free(c->session);
	free(c->lang);
	free(c->journal_path);
	if (c->handle_open) {
		uv_read_stop((uv_stream_t *)&c->h);
		uv_close((uv_handle_t *)&c->h, close_cb);
		return;
	}
	if (c->fs_pending) {
		/* the read in flight frees us when it completes */
		c->freeing = 1;
		uv_cancel((uv_req_t *)&c->fsreq);
		return;
	}
	xio_buf_release(&c->partial);
	free(c);
}
