/*
 * tg_format.c — engine text as Telegram HTML, and long text split into
 * messages Telegram accepts.
 *
 * The engine writes plain text with light markup ("*Decision log*" lines).
 * Telegram's HTML parse mode needs exactly three characters escaped (<, >,
 * &) and rejects a message whose tags do not balance, so the markup is
 * turned into tags only where a span opens and closes on the same line.
 * Telegram limits a message to 4096 characters counted in UTF-16 units after
 * entity parsing, i.e. of the visible text: the split works on the plain
 * text, before escaping, so an entity or a tag is never cut.
 */
#include "tg.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int escape_into(struct xio_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const char *rep = s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : s[i] == '&' ? "&amp;" : NULL;

		if (!rep)
			continue;
		rc = xio_buf_append(b, s + start, i - start);
		if (!rc)
			rc = xio_buf_puts(b, rep);
		start = i + 1;
	}
	if (!rc)
		rc = xio_buf_append(b, s + start, n - start);
	return rc;
}

static int word_char(char c)
{
	return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* One line: "*x*" spans (opening after a non-word character and before a
 * non-space, closing after a non-space and before a non-word) become bold. */
static int render_line(struct xio_buf *b, const char *s, size_t n)
{
	size_t i = 0, start = 0;
	int rc = 0;

	while (i < n && !rc) {
		size_t j;

		if (s[i] != '*' || (i > 0 && word_char(s[i - 1])) || i + 1 >= n ||
		    isspace((unsigned char)s[i + 1]) || s[i + 1] == '*') {
			i++;
			continue;
		}
		for (j = i + 1; j < n; j++)
			if (s[j] == '*' && !isspace((unsigned char)s[j - 1]) &&
			    (j + 1 == n || !word_char(s[j + 1])))
				break;
		if (j >= n) {
			i++;
			continue;
		}
		rc = escape_into(b, s + start, i - start);
		if (!rc)
			rc = xio_buf_puts(b, "<b>");
		if (!rc)
			rc = escape_into(b, s + i + 1, j - i - 1);
		if (!rc)
			rc = xio_buf_puts(b, "</b>");
		i = start = j + 1;
	}
	if (!rc)
		rc = escape_into(b, s + start, n - start);
	return rc;
}

char *xio_tg_html(const char *text, const char *prefix)
{
	struct xio_buf b;
	const char *p = text ? text : "";
	int rc = 0;

	xio_buf_init(&b, 0);
	if (prefix && *prefix) {
		rc = xio_buf_puts(&b, "<b>");
		if (!rc)
			rc = escape_into(&b, prefix, strlen(prefix));
		if (!rc)
			rc = xio_buf_puts(&b, strchr(p, '\n') ? ":</b>\n" : ":</b> ");
	}
	while (!rc) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		rc = render_line(&b, p, n);
		if (!nl)
			break;
		if (!rc)
			rc = xio_buf_puts(&b, "\n");
		p = nl + 1;
	}
	if (rc || xio_buf_puts(&b, "")) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}

/* Bytes of the UTF-8 sequence starting with c (1 for a stray byte). */
static size_t seq_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

size_t xio_tg_utf16_len(const char *s, size_t n)
{
	size_t i = 0, units = 0;

	while (i < n) {
		size_t l = seq_len((unsigned char)s[i]);

		units += l == 4 ? 2 : 1;
		i += l;
	}
	return units;
}

/* The longest prefix of s (at most n bytes) within max UTF-16 units, ending
 * on a character boundary. */
static size_t fit_bytes(const char *s, size_t n, size_t max)
{
	size_t i = 0, units = 0;

	while (i < n) {
		size_t l = seq_len((unsigned char)s[i]), u = l == 4 ? 2 : 1;

		if (units + u > max || i + l > n)
			break;
		units += u;
		i += l;
	}
	return i;
}

/* Where to cut s[0..fit): after the last "\n\n", else "\n", else " " in the
 * second half of the window; else at fit. */
static size_t cut_at(const char *s, size_t fit)
{
	static const char *const seps[] = { "\n\n", "\n", " " };
	size_t k, i;

	for (k = 0; k < 3; k++) {
		size_t sl = strlen(seps[k]);

		for (i = fit; i >= sl && i > fit / 2; i--)
			if (memcmp(s + i - sl, seps[k], sl) == 0)
				return i;
	}
	return fit;
}

void xio_tg_parts_free(char **parts, size_t n)
{
	while (parts && n)
		free(parts[--n]);
	free(parts);
}

int xio_tg_split(const char *text, size_t max, char ***parts, size_t *n)
{
	const char *s = text ? text : "";
	size_t len = strlen(s), cnt = 0, cap = 0;
	char **v = NULL;

	*parts = NULL;
	*n = 0;
	if (max < 4)
		max = 4;
	do {
		size_t fit = fit_bytes(s, len, max), cut = fit < len ? cut_at(s, fit) : len, keep = cut;
		char *part;

		if (cut == 0)
			cut = keep = seq_len((unsigned char)*s) <= len ? seq_len((unsigned char)*s) : len;
		/* drop the separator's trailing newlines from the part */
		while (keep > 0 && keep < len && s[keep - 1] == '\n')
			keep--;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 2;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (!nv)
				goto oom;
			v = nv;
			cap = ncap;
		}
		part = malloc(keep + 1);
		if (!part)
			goto oom;
		memcpy(part, s, keep);
		part[keep] = '\0';
		v[cnt++] = part;
		s += cut;
		len -= cut;
		while (len && *s == '\n') {
			s++;
			len--;
		}
	} while (len);
	*parts = v;
	*n = cnt;
	return 0;
oom:
	xio_tg_parts_free(v, cnt);
	return XIO_ENOMEM;
}

int xio_tg_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	/* compare over b's length whatever a is, so the time says nothing of
	 * where they differ */
	for (i = 0; i < lb; i++)
		d |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return d == 0;
}
