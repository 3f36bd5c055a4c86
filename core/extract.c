/*
 * extract.c — the rule-based extractor (see extract.h for the contract).
 *
 * Each message is folded to lower case (offsets preserved, so a phrase found
 * in the folded copy is cut from the original), split into sentences and
 * sentences into clauses.  A sentence is first tested for the record-level
 * items — a decision, an alternative with its pros and cons, a risk with its
 * mitigation — and then each clause for an action item.  A clause passes
 * through gates in a fixed order, because later messages refine earlier
 * ones: a cancellation, a handoff ("Carol will do it instead"), a claim
 * ("I'll take it"), a moved deadline or a refusal changes a task already
 * found instead of creating one; a report of work done, or a hypothetical,
 * creates nothing.  Only then is the clause tested for a trigger (a label, a
 * self-commitment, an assignment, a request, a need) that makes it a task,
 * whose title is the clause with the owner, the date and the modal words
 * cut away.  A restatement of a known task updates it, so every task ends
 * with its final owner and due date.
 */
#include "extract.h"
#include "extract_int.h"
#include "decision.h"
#include "buf.h"
#include "dates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_MSGS 4 /* how far back "it"/"that" may point */
#define NAME_MAX_BYTES 64

enum prio { PRIO_NONE = -1, PRIO_LOW = 0, PRIO_MEDIUM = 1, PRIO_HIGH = 2 };

enum role { ROLE_NONE = 0, ROLE_MENTION, ROLE_ADDRESS, ROLE_AGENT };

enum lang_filter { LANG_ANY = 0, LANG_EN, LANG_RU };

struct task {
	char *title;
	const char *owner; /* a person's name, or owner_own */
	char *owner_own;   /* an @handle that names no participant */
	struct xio_due due;
	int has_due;
	int prio;          /* enum prio; PRIO_NONE = not said */
	int strong;        /* an explicit trigger (label, "I'll", assignment) */
	int tentative;     /* "we need to …" with nobody on it yet */
	int acked;         /* the owner said "ok"/"сделаю" */
	int committed;     /* the owner took it on themselves: "I'll", "I'll take it" */
	int guessed;       /* the owner is a word taken for a name (see unknown_agent) */
	int removed;       /* cancelled, refused or reported done later */
	size_t msg;
};

struct person {
	const char *name; /* as written; borrowed */
	char *full;       /* folded full name */
	char *first;      /* folded first word */
	size_t first_len;
	size_t stem_len;  /* for Cyrillic names: the part before a case ending */
	int cyrillic;
};

/* A person mentioned in a clause. */
struct mention {
	const struct person *who; /* NULL for an unknown @handle */
	size_t pos, len;          /* the name (with '@') in the text */
	size_t cut_start, cut_end; /* what to cut from a title with it */
	enum role role;
	int guessed;              /* a capitalised word taken for a name */
	char handle[NAME_MAX_BYTES];
};

struct ex {
	const struct xio_extract_msg *msgs;
	size_t n;
	const struct xio_extract_opts *opts;
	enum lang_filter lang;
	struct xio_tz *tz;
	struct person *people;
	size_t npeople;
	struct task *tasks;
	size_t ntasks, cap;
	json_object *decisions, *alts, *risks;
	json_object *last_alt;  /* borrowed from alts */
	size_t last_alt_msg;    /* the message that named it */
	json_object *last_risk; /* borrowed from risks */
	size_t last_risk_msg;   /* the message that named it */
	/* the message being read */
	size_t mi;
	const char *orig;
	char *f;
	size_t len;
	int64_t now;
	const char *author;
	size_t msg_first_task;
};

/* ---- small text helpers ---- */

static int is_wc(unsigned char c)
{
	return xio_extract_is_wc(c);
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether phrase w is in the language --lang asked for: "en" skips phrases
 * with Cyrillic, "ru" phrases with Latin letters. */
static int lang_ok(const struct ex *x, const char *w)
{
	const unsigned char *c;
	int latin = 0, cyr = 0;

	if (x->lang == LANG_ANY)
		return 1;
	for (c = (const unsigned char *)w; *c; c++) {
		if (*c >= 'a' && *c <= 'z')
			latin = 1;
		else if (*c >= 0x80)
			cyr = 1;
	}
	return !((x->lang == LANG_EN && cyr) || (x->lang == LANG_RU && latin));
}

/* Lexicon search in the folded message, honouring --lang. */
static int find(const struct ex *x, size_t s, size_t e, const char *const *lex,
		size_t *pos, size_t *len)
{
	size_t p, l;
	const char *const *w;

	for (p = s; p < e; p++)
		for (w = lex; *w; w++)
			if ((l = xio_extract_pat_match(x->f, e, p, *w)) && lang_ok(x, *w)) {
				if (pos)
					*pos = p;
				if (len)
					*len = l;
				return 1;
			}
	return 0;
}

/* The longest phrase of lex at exactly p (within e): its length, or 0. */
static size_t match_at(const struct ex *x, size_t p, size_t e, const char *const *lex)
{
	size_t l, best = 0;
	const char *const *w;

	for (w = lex; *w; w++)
		if ((l = xio_extract_pat_match(x->f, e, p, *w)) > best && lang_ok(x, *w))
			best = l;
	return best;
}

static size_t skip_spaces(const struct ex *x, size_t p, size_t e)
{
	while (p < e && is_space((unsigned char)x->f[p]))
		p++;
	return p;
}

static char *dup_range(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Folds like xio_dates_fold and also maps "ё" to "е". */
static void fold(char *dst, const char *src, size_t n)
{
	size_t i;

	xio_dates_fold(dst, src, n);
	for (i = 0; i + 1 < n; i++)
		if ((unsigned char)dst[i] == 0xD1 && (unsigned char)dst[i + 1] == 0x91) {
			dst[i] = (char)0xD0;
			dst[i + 1] = (char)0xB5;
		}
}

static int is_cyr_lead(unsigned char c)
{
	return c == 0xD0 || c == 0xD1;
}

/* Number of letters (not bytes) in the word [s,e). */
static size_t letters(const char *t, size_t s, size_t e)
{
	size_t k = 0;

	for (; s < e; s++)
		if (((unsigned char)t[s] & 0xC0) != 0x80)
			k++;
	return k;
}

/* ---- people ---- */

static int add_person(struct ex *x, const char *name)
{
	struct person *p;
	size_t i, n, fl;
	const char *sp;

	if (!name)
		return 0;
	while (is_space((unsigned char)*name) || *name == '@')
		name++;
	n = strlen(name);
	if (!n || n > NAME_MAX_BYTES)
		return 0;
	for (i = 0; i < x->npeople; i++) {
		char tmp[NAME_MAX_BYTES + 1];

		fold(tmp, name, n);
		if (strcmp(tmp, x->people[i].full) == 0)
			return 0;
	}
	p = &x->people[x->npeople];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->full = malloc(n + 1);
	if (!p->full)
		return XIO_ENOMEM;
	fold(p->full, name, n);
	sp = strchr(p->full, ' ');
	fl = sp ? (size_t)(sp - p->full) : n;
	p->first = dup_range(p->full, fl);
	if (!p->first) {
		free(p->full);
		return XIO_ENOMEM;
	}
	p->first_len = fl;
	p->cyrillic = fl >= 2 && is_cyr_lead((unsigned char)p->first[0]);
	p->stem_len = fl;
	if (p->cyrillic && fl >= 6) {
		/* Drop a final vowel, й or ь: "катя" → "кат", so "кате", "катю" match. */
		static const char *const endings[] = { "а", "я", "й", "ь", "о", "е", "и", "ы", "у", "ю", NULL };
		const char *const *en;

		for (en = endings; *en; en++)
			if (memcmp(p->first + fl - 2, *en, 2) == 0)
				p->stem_len = fl - 2;
	}
	x->npeople++;
	return 0;
}

/* Does the word at p (folded) name person h?  Returns the word's length. */
static size_t person_at(const struct ex *x, const struct person *h, size_t p, size_t e)
{
	const char *t = x->f;
	size_t q, l;

	if (p > 0 && is_wc((unsigned char)t[p - 1]))
		return 0;
	l = strlen(h->full);
	if (l > h->first_len && p + l <= e && memcmp(t + p, h->full, l) == 0 &&
	    (p + l == e || !is_wc((unsigned char)t[p + l])))
		return l;
	if (!h->cyrillic) {
		l = h->first_len;
		if (p + l > e || memcmp(t + p, h->first, l) != 0)
			return 0;
		/* Latin names only when capitalised: "Will", "May" are words. */
		if (!(x->orig[p] >= 'A' && x->orig[p] <= 'Z'))
			return 0;
		if (p + l + 2 <= e && t[p + l] == '\'' && t[p + l + 1] == 's')
			l += 2;
		return p + l == e || !is_wc((unsigned char)t[p + l]) ? l : 0;
	}
	if (h->stem_len < 4 || p + h->stem_len > e || memcmp(t + p, h->first, h->stem_len) != 0)
		return 0;
	q = p + h->stem_len;
	while (q < e && is_wc((unsigned char)t[q]))
		q++;
	if (letters(t, p + h->stem_len, q) > 2)
		return 0;
	return q - p;
}

/*
 * A Russian third-person future after a name ("Борис поднимет реплику",
 * "Вера починит деплой"): the lexicon cannot list every verb, so a word is
 * taken as one when it has a perfective prefix and a 3rd-person singular
 * ending, and is not an imperfective in -ывает/-ивает/-яет nor a verb of
 * speech or thought ("Борис понимает, что ...").  Returns its length or 0.
 */
static size_t ru_future_verb(const struct ex *x, size_t q, size_t e)
{
	static const char *const prefixes[] = { "по", "под", "при", "за", "вы", "до", "пере",
		"от", "на", "раз", "рас", "про", "об", "со", "вз", NULL };
	static const char *const imperfective[] = { "ывает", "ивает", "яет", NULL };
	static const char *const not_tasks[] = { "понимает", "полагает", "предлагает",
		"отвечает", "помнит", "просит", "получает", "попадает", "подходит",
		"зависит", "находит", "происходит", "относит", "подразумевает", "значит",
		"напоминает", "забывает", "называет", "думает", "говорит", "хочет", NULL };
	const char *t = x->f;
	size_t end = q, i, pl;
	int pref = 0;

	while (end < e && is_wc((unsigned char)t[end]))
		end++;
	if (end - q < 10 || (unsigned char)t[q] < 0x80) /* 5+ Cyrillic letters */
		return 0;
	for (i = 0; prefixes[i]; i++) {
		pl = strlen(prefixes[i]);
		if (end - q > pl + 6 && !memcmp(t + q, prefixes[i], pl))
			pref = 1;
	}
	if (!pref)
		return 0;
	if (!((end - q >= 4 && (!memcmp(t + end - 4, "ит", 4) || !memcmp(t + end - 4, "ет", 4))) ||
	      (end - q >= 4 && !memcmp(t + end - 4, "ёт", 4))))
		return 0;
	for (i = 0; imperfective[i]; i++) {
		pl = strlen(imperfective[i]);
		if (end - q > pl && !memcmp(t + end - pl, imperfective[i], pl))
			return 0;
	}
	for (i = 0; not_tasks[i]; i++)
		if (strlen(not_tasks[i]) == end - q && !memcmp(t + q, not_tasks[i], end - q))
			return 0;
	return end - q;
}

/* The first person named in [s,e), with the role the wording gives them. */
static int find_mention(const struct ex *x, size_t s, size_t e, size_t cs, struct mention *m)
{
	const char *t = x->f;
	size_t p, i, l = 0, q;

	memset(m, 0, sizeof(*m));
	for (p = s; p < e; p++) {
		if (t[p] == '@' && p + 1 < e && is_wc((unsigned char)t[p + 1]) &&
		    (p == 0 || !is_wc((unsigned char)t[p - 1]))) {
			size_t h = p + 1, hl;

			while (h < e && (is_wc((unsigned char)t[h]) || t[h] == '.' || t[h] == '_' ||
					 t[h] == '-'))
				h++;
			while (h > p + 1 && (t[h - 1] == '.' || t[h - 1] == '-'))
				h--;
			hl = h - p - 1;
			for (i = 0; i < x->npeople; i++) {
				const struct person *pp = &x->people[i];
				char flat[NAME_MAX_BYTES + 1];
				size_t k, fl = 0;

				for (k = 0; pp->full[k] && fl < NAME_MAX_BYTES; k++)
					if (pp->full[k] != ' ')
						flat[fl++] = pp->full[k];
				if ((hl == pp->first_len && memcmp(t + p + 1, pp->first, hl) == 0) ||
				    (hl == fl && memcmp(t + p + 1, flat, hl) == 0)) {
					m->who = pp;
					break;
				}
			}
			if (!m->who) {
				size_t cl = hl < sizeof(m->handle) - 1 ? hl : sizeof(m->handle) - 1;

				memcpy(m->handle, x->orig + p + 1, cl);
				m->handle[cl] = '\0';
			}
			l = h - p;
			break;
		}
		for (i = 0; i < x->npeople; i++)
			if ((l = person_at(x, &x->people[i], p, e))) {
				m->who = &x->people[i];
				break;
			}
		if (m->who)
			break;
	}
	if (p >= e || l == 0)
		return 0;
	m->pos = p;
	m->len = l;
	m->cut_start = p;
	m->cut_end = p + l;
	m->role = ROLE_MENTION;
	/* "Bob, …" / "Bob: …" at the start of the clause addresses Bob. */
	q = skip_spaces(x, p + l, e);
	if (q < e && (t[q] == ',' || t[q] == ':' || t[q] == '-' ||
		      (q + 3 <= e && !memcmp(t + q, "\xe2\x80\x94", 3)))) {
		size_t lead = cs;

		while (lead < p && !is_wc((unsigned char)t[lead]))
			lead++;
		if (lead == p || skip_spaces(x, lead, p) == p) {
			m->role = ROLE_ADDRESS;
			m->cut_end = q + (t[q] == (char)0xE2 ? 3 : 1);
			return 1;
		}
	}
	if ((l = match_at(x, q, e, xio_extract_lex_agent_after))) {
		static const char *const modal[] = { "will", "'ll", "to", "is going to",
			"is gonna", "should", "needs to", "need to", "must", "is on",
			"is responsible for", "please", "can you", "could you", "would you",
			"должен", "должна", "пожалуйста", "можешь", "сможешь", "надо",
			"нужно", NULL };

		m->role = ROLE_AGENT;
		if (match_at(x, q, q + l, modal) == l)
			m->cut_end = q + l;
		return 1;
	}
	if (ru_future_verb(x, q, e)) {
		m->role = ROLE_AGENT;
		return 1;
	}
	/* "assign to Bob", "пусть Катя", "поручим Кате" */
	{
		size_t b = p;

		while (b > cs && is_space((unsigned char)t[b - 1]))
			b--;
		for (i = b; i-- > cs && b - i <= 24;) {
			size_t ml = match_at(x, i, b, xio_extract_lex_agent_before);

			if (ml && i + ml == b) {
				m->role = ROLE_AGENT;
				m->cut_start = i;
				break;
			}
		}
	}
	return 1;
}

/* ---- content words, for matching a clause to a known task ---- */

/* Whether the folded word [p,q) of t is, as a whole, a phrase of lex. */
static int is_lex_word(const char *t, size_t p, size_t q, const char *const *lex)
{
	const char *const *w;

	for (w = lex; *w; w++)
		if (xio_extract_pat_match(t, q, p, *w) == q - p)
			return 1;
	return 0;
}

struct words {
	size_t n;
	struct { size_t s, l; const char *t; } w[48];
};

static void words_of(const char *t, size_t s, size_t e, struct words *out)
{
	size_t p = s, q;

	out->n = 0;
	while (p < e && out->n < XIO_ARRAY_LEN(out->w)) {
		while (p < e && !is_wc((unsigned char)t[p]))
			p++;
		q = p;
		while (q < e && is_wc((unsigned char)t[q]))
			q++;
		if (q > p && letters(t, p, q) >= 3 &&
		    !(t[p] >= '0' && t[p] <= '9') &&
		    !xio_extract_find(t, p, q, xio_extract_lex_stop, NULL, NULL)) {
			out->w[out->n].s = p;
			out->w[out->n].l = q - p;
			out->w[out->n].t = t;
			out->n++;
		}
		p = q;
	}
}

static int word_eq(const char *a, size_t al, const char *b, size_t bl)
{
	size_t k = al < bl ? al : bl;

	if (k > 8)
		k = 8; /* a shared stem: "отчет"/"отчета", "update"/"updated" */
	if (al > bl + 4 || bl > al + 4)
		return 0;
	return memcmp(a, b, k) == 0;
}

/* Share of b's words found in a (0..1). */
static double overlap(const struct words *a, const struct words *b)
{
	size_t i, j, common = 0;

	if (!a->n || !b->n)
		return 0;
	for (i = 0; i < b->n; i++)
		for (j = 0; j < a->n; j++)
			if (word_eq(b->w[i].t + b->w[i].s, b->w[i].l, a->w[j].t + a->w[j].s,
				    a->w[j].l)) {
				common++;
				break;
			}
	return (double)common / (double)(a->n < b->n ? a->n : b->n);
}

static double task_overlap(const struct task *tk, const char *t, size_t s, size_t e)
{
	struct words a, b;
	char *ft;
	size_t n;
	double r;

	n = strlen(tk->title);
	ft = malloc(n + 1);
	if (!ft)
		return 0;
	fold(ft, tk->title, n);
	words_of(ft, 0, n, &a);
	words_of(t, s, e, &b);
	r = overlap(&a, &b);
	free(ft);
	return r;
}

/* Whether "I'll take it" by claimer may take tk: not when someone else
 * committed to it themselves, whatever was said since. */
static int claimable(const struct task *tk, const char *claimer)
{
	return !claimer || !tk->committed || !tk->owner || strcmp(tk->owner, claimer) == 0;
}

/* The live task the clause [s,e) speaks of: the best title match, else (when
 * allow_last) the most recent one from the last few messages that claimer
 * (NULL = nobody) may take. */
static struct task *target_task(struct ex *x, size_t s, size_t e, double min, int allow_last,
				const char *owner_filter, const char *claimer)
{
	struct task *best = NULL;
	double bs = 0, o;
	size_t i;

	for (i = x->ntasks; i-- > 0;) {
		struct task *tk = &x->tasks[i];

		if (tk->removed)
			continue;
		if (owner_filter && tk->owner && strcmp(tk->owner, owner_filter) != 0)
			continue;
		o = task_overlap(tk, x->f, s, e);
		if (o > bs) {
			bs = o;
			best = tk;
		}
	}
	if (best && bs >= min)
		return best;
	if (!allow_last)
		return NULL;
	for (i = x->ntasks; i-- > 0;) {
		struct task *tk = &x->tasks[i];

		if (tk->removed || tk->msg + RECENT_MSGS < x->mi || !claimable(tk, claimer))
			continue;
		if (owner_filter && tk->owner && strcmp(tk->owner, owner_filter) != 0)
			continue;
		return tk;
	}
	return NULL;
}

/* ---- titles ---- */

static int trim_punct(const unsigned char *t, size_t *s, size_t *e)
{
	int changed = 0;

	for (;;) {
		if (*s < *e && (is_space(t[*s]) || strchr(",.;:!?-()\"'*", t[*s]))) {
			(*s)++;
		} else if (*e - *s >= 3 && t[*s] == 0xE2 && t[*s + 1] == 0x80 &&
			   (t[*s + 2] == 0x94 || t[*s + 2] == 0x93)) {
			*s += 3;
		} else {
			break;
		}
		changed = 1;
	}
	while (*e > *s && (is_space(t[*e - 1]) || strchr(",.;:!?-()\"*", t[*e - 1]))) {
		(*e)--;
		changed = 1;
	}
	return changed;
}

/*
 * Builds a title from the original clause [s,e) without the bytes in cut[]
 * (the date, the owner phrase), then strips leading modal/subject words and
 * fillers.  Returns a malloc'd string (maybe empty) or NULL when out of memory.
 */
/* "миграцию схемы, сделаю": a last part that only says "I'll do it" is not
 * the work; moves *fe before it. */
static void trim_tail_pronoun(const char *f, size_t fs, size_t *fe)
{
	const char *const *w;
	size_t c, p;

	for (c = *fe; c > fs && f[c - 1] != ','; c--)
		;
	if (c <= fs + 1)
		return;
	for (p = c; p < *fe && f[p] == ' '; p++)
		;
	for (w = xio_extract_lex_pronoun_obj; *w; w++)
		if (xio_extract_pat_match(f, *fe, p, *w) == *fe - p) {
			*fe = c - 1;
			return;
		}
}

/* The title text[fs,fe) (folded as f), its Russian verb in the infinitive:
 * "напишу план" -> "написать план", as an English title starts with the
 * bare verb.  Caller frees; NULL when out of memory. */
static char *ru_infinitive_title(const char *f, const char *text, size_t fs, size_t fe)
{
	size_t i, l;
	char *out;

	for (i = 0; xio_extract_lex_ru_infinitive[i][0]; i++) {
		l = strlen(xio_extract_lex_ru_infinitive[i][0]);
		if (fe - fs >= l && !memcmp(f + fs, xio_extract_lex_ru_infinitive[i][0], l) &&
		    (fs + l == fe || !is_wc((unsigned char)f[fs + l]))) {
			const char *inf = xio_extract_lex_ru_infinitive[i][1];
			size_t il = strlen(inf), rest = fe - fs - l;

			out = malloc(il + rest + 1);
			if (out) {
				memcpy(out, inf, il);
				memcpy(out + il, text + fs + l, rest);
				out[il + rest] = '\0';
			}
			return out;
		}
	}
	return dup_range(text + fs, fe - fs);
}

static char *make_title(const struct ex *x, size_t s, size_t e, const size_t (*cut)[2],
			size_t ncut)
{
	struct xio_buf b;
	char *out = NULL, *fb = NULL;
	size_t p, k, fs, fe, l;
	int gap = 0, progress, skip_comma = 0;

	xio_buf_init(&b, 0);
	for (p = s; p < e; p++) {
		int drop = 0;
		size_t fl;

		for (k = 0; k < ncut; k++)
			if (p >= cut[k][0] && p < cut[k][1])
				drop = 1;
		if (!drop && (fl = match_at(x, p, e, xio_extract_lex_filler))) {
			/* "подготовь, пожалуйста, отчёт": the commas go with it. */
			if (b.len && b.data[b.len - 1] == ',')
				b.data[--b.len] = '\0';
			p += fl - 1;
			gap = 1;
			skip_comma = 1;
			continue;
		}
		if (skip_comma && !is_space((unsigned char)x->orig[p])) {
			skip_comma = 0;
			if (x->orig[p] == ',')
				continue;
		}
		if (drop || is_space((unsigned char)x->orig[p])) {
			gap = 1;
			continue;
		}
		if (x->orig[p] == ',' && b.len && b.data[b.len - 1] == ',')
			continue;
		if (gap && b.len && !strchr(",.;:!?)", x->orig[p]) && xio_buf_append(&b, " ", 1))
			goto out;
		gap = 0;
		if (xio_buf_append(&b, x->orig + p, 1))
			goto out;
	}
	if (!b.data) {
		out = calloc(1, 1);
		goto out;
	}
	fb = malloc(b.len + 1);
	if (!fb)
		goto out;
	fold(fb, b.data, b.len);
	fs = 0;
	fe = b.len;
	do {
		progress = trim_punct((const unsigned char *)fb, &fs, &fe);
		{
			const char *const *w;

			for (w = xio_extract_lex_title_cut; *w; w++) {
				l = xio_extract_pat_match(fb, fe, fs, *w);
				if (l) {
					fs += l;
					progress = 1;
					break;
				}
			}
		}
	} while (progress && fs < fe);
	trim_tail_pronoun(fb, fs, &fe);
	if (letters(fb, fs, fe) < 2)
		fs = fe;
	out = ru_infinitive_title(fb, b.data, fs, fe);
out:
	free(fb);
	xio_buf_release(&b);
	return out;
}

/* ---- priority ---- */

static int prio_in(const struct ex *x, size_t s, size_t e)
{
	if (find(x, s, e, xio_extract_lex_prio_low, NULL, NULL))
		return PRIO_LOW;
	if (find(x, s, e, xio_extract_lex_prio_high, NULL, NULL))
		return PRIO_HIGH;
	return PRIO_NONE;
}

/* ---- decisions, alternatives, risks ---- */

static json_object *jstr(const char *s, size_t n)
{
	return json_object_new_string_len(s, (int)n);
}

/* A confidence printed with two decimals, not as 0.65000000000000002. */
static int push(json_object *arr, json_object *o)
{
	if (!o || json_object_array_add(arr, o)) {
		json_object_put(o);
		return XIO_ENOMEM;
	}
	return 0;
}

/* A decision's text, and the reason it gives ("..., because it lets us roll
 * back") as its rationale. */
static int add_decision(struct ex *x, size_t s, size_t e, const char *orig, double conf)
{
	const unsigned char *t = (const unsigned char *)orig;
	json_object *o;
	size_t l, rs = e, re = e, pos, len;

	if ((l = match_at(x, skip_spaces(x, s, e), e, xio_extract_lex_decision_label)) &&
	    orig == x->orig)
		s = skip_spaces(x, s, e) + l;
	/* positions are the folded text's, which match orig's only when orig
	 * is the message itself */
	if (orig == x->orig && find(x, s, e, xio_extract_lex_because, &pos, &len)) {
		rs = pos + len;
		e = pos;
		trim_punct(t, &rs, &re);
	}
	trim_punct(t, &s, &e);
	if (e <= s)
		return 0;
	o = json_object_new_object();
	if (!o)
		return XIO_ENOMEM;
	if (json_object_object_add(o, "text", jstr(orig + s, e - s)) ||
	    json_object_object_add(o, "author", x->author ? json_object_new_string(x->author) : NULL) ||
	    json_object_object_add(o, "confidence", xio_confidence_json(conf)) ||
	    (re > rs && json_object_object_add(o, "rationale", jstr(orig + rs, re - rs)))) {
		json_object_put(o);
		return XIO_ENOMEM;
	}
	return push(x->decisions, o);
}

/* A bare "agreed"/"договорились" adopts the last proposal of the previous
 * message ("let's use Postgres"). */
static int agree_reply(struct ex *x, size_t s, size_t e)
{
	const struct xio_extract_msg *prev;
	char *pf = NULL;
	size_t pl, pos, plen, ps, pe;
	size_t l = match_at(x, skip_spaces(x, s, e), e, xio_extract_lex_agree_reply);
	struct ex tmp;
	int rc = 0;

	if (!l || x->mi == 0)
		return 0;
	s = skip_spaces(x, s, e) + l;
	trim_punct((const unsigned char *)x->f, &s, &e);
	if (e > s)
		return 0; /* more than a bare agreement */
	prev = &x->msgs[x->mi - 1];
	pl = strlen(prev->text);
	pf = malloc(pl + 1);
	if (!pf)
		return XIO_ENOMEM;
	fold(pf, prev->text, pl);
	tmp = *x;
	tmp.f = pf;
	tmp.orig = prev->text;
	if (find(&tmp, 0, pl, xio_extract_lex_proposal, &pos, &plen)) {
		ps = pos + plen;
		pe = ps;
		while (pe < pl && !strchr(".!?\n", prev->text[pe]))
			pe++;
		rc = add_decision(x, ps, pe, prev->text, 0.6);
		rc = rc ? rc : 1;
	}
	free(pf);
	return rc;
}

static int sentence_decision(struct ex *x, size_t s, size_t e, int question)
{
	size_t pos, len, b;
	double conf;

	if (find(x, s, e, xio_extract_lex_decision_strong, &pos, &len))
		conf = match_at(x, skip_spaces(x, s, e), e, xio_extract_lex_decision_label) ? 0.9 : 0.8;
	else if (find(x, s, e, xio_extract_lex_decision, &pos, &len))
		conf = 0.7;
	else
		return agree_reply(x, s, e);
	if (question)
		return 0;
	/* "Last year we decided to use MySQL, which was a mistake": history,
	 * not what this discussion decides. */
	if (find(x, s, e, xio_extract_lex_decision_past, NULL, NULL))
		return 0;
	/* "we haven't decided", "не договорились" */
	for (b = pos; b > s && b + 16 > pos; b--)
		if (match_at(x, b - 1, pos, xio_extract_lex_negation))
			return 0;
	if (find(x, s, pos, xio_extract_lex_negation, &b, NULL) && pos - b <= 12)
		return 0;
	return add_decision(x, s, e, x->orig, conf) ? XIO_ENOMEM : 1;
}

static int add_pro_con(struct ex *x, size_t s, size_t e)
{
	size_t p = s, pos, len, ppos, plen, cpos, clen, end;
	int rc = 0;

	while (p < e && !rc) {
		int hp = find(x, p, e, xio_extract_lex_pro, &ppos, &plen);
		int hc = find(x, p, e, xio_extract_lex_con, &cpos, &clen);
		const char *key;
		json_object *arr;

		if (!hp && !hc)
			break;
		if (hp && (!hc || ppos < cpos)) {
			pos = ppos;
			len = plen;
			key = "pros";
		} else {
			pos = cpos;
			len = clen;
			key = "cons";
		}
		p = pos + len;
		end = e;
		if (find(x, p, e, xio_extract_lex_pro, &ppos, NULL) && ppos < end)
			end = ppos;
		if (find(x, p, e, xio_extract_lex_con, &cpos, NULL) && cpos < end)
			end = cpos;
		{
			size_t ts = p, te = end;

			trim_punct((const unsigned char *)x->orig, &ts, &te);
			if (te > ts && x->last_alt &&
			    json_object_object_get_ex(x->last_alt, key, &arr))
				rc = push(arr, jstr(x->orig + ts, te - ts));
		}
		p = end;
	}
	return rc;
}

/* Adds the alternative titled orig[ts,te) as the one pros and cons now go
 * to.  Returns 0 or XIO_ENOMEM. */
static int new_alternative(struct ex *x, size_t ts, size_t te)
{
	json_object *o = json_object_new_object();

	if (!o || json_object_object_add(o, "title", jstr(x->orig + ts, te - ts)) ||
	    json_object_object_add(o, "pros", json_object_new_array()) ||
	    json_object_object_add(o, "cons", json_object_new_array())) {
		json_object_put(o);
		return XIO_ENOMEM;
	}
	if (push(x->alts, o))
		return XIO_ENOMEM;
	x->last_alt = o;
	x->last_alt_msg = x->mi;
	return 0;
}

/* "Options: Kafka or Pulsar": one alternative per item.  Returns 1 when the
 * sentence was such a list, 0 when not, or XIO_ENOMEM. */
static int alternative_list(struct ex *x, size_t s, size_t e)
{
	size_t pos, len, p, q, end, l, ts, te;
	int n = 0, rc;

	if (!find(x, s, e, xio_extract_lex_alternative_list, &pos, &len))
		return 0;
	for (p = pos + len; p < e; p = end + l) {
		l = 0;
		for (end = p; end < e && !(l = match_at(x, end, e, xio_extract_lex_list_sep)); end++)
			;
		for (q = p; q < end && x->orig[q] != '.' && x->orig[q] != ';'; q++)
			;
		ts = p;
		te = q;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
		if (te > ts && (rc = new_alternative(x, ts, te)))
			return rc;
		n += te > ts;
		if (q < end)
			break; /* the list ended with its sentence */
	}
	return n > 1;
}

static int sentence_alternative(struct ex *x, size_t s, size_t e)
{
	size_t pos, len, p = s, next, npos, nlen, ts, te;
	int found = 0, rc;

	if ((rc = alternative_list(x, s, e)))
		return rc;
	/* "Pulumi is another option; pro: real code" */
	if (find(x, s, e, xio_extract_lex_alternative_after, &pos, &len)) {
		static const char *const opinion[] = { "i think", "i guess", "i believe", "maybe",
						       "perhaps", "also", "я думаю", "мне кажется",
						       "по-моему", "наверное", NULL };
		size_t l;

		ts = s;
		te = pos;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
		if ((l = match_at(x, ts, te, opinion))) {
			ts += l;
			trim_punct((const unsigned char *)x->orig, &ts, &te);
		}
		if (te > ts) {
			if ((rc = new_alternative(x, ts, te)) || (rc = add_pro_con(x, pos + len, e)))
				return rc;
			return 1;
		}
	}

	while (find(x, p, e, xio_extract_lex_alternative, &pos, &len)) {
		found = 1;
		next = e;
		if (find(x, pos + len, e, xio_extract_lex_alternative, &npos, &nlen))
			next = npos;
		te = next;
		if (find(x, pos + len, next, xio_extract_lex_pro, &npos, NULL) && npos < te)
			te = npos;
		if (find(x, pos + len, next, xio_extract_lex_con, &npos, NULL) && npos < te)
			te = npos;
		ts = pos + len;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
		{
			/* "Option A is Postgres": the title is "Postgres" */
			static const char *const lead[] = { "is", "would be", "will be", "=", "это", NULL };
			size_t l = match_at(x, ts, te, lead);

			if (l && l < te - ts) {
				ts += l;
				trim_punct((const unsigned char *)x->orig, &ts, &te);
			}
		}
		if (te > ts && ((rc = new_alternative(x, ts, te)) || (rc = add_pro_con(x, te, next))))
			return rc;
		p = next;
	}
	return found;
}

/* "impact 4", "вероятность: 2" → 1..5, or 0. */
static int scale_after(const struct ex *x, size_t s, size_t e, const char *const *names)
{
	size_t pos, len, q;

	if (!find(x, s, e, names, &pos, &len))
		return 0;
	q = pos + len;
	while (q < e && (x->f[q] == ' ' || x->f[q] == ':' || x->f[q] == '=' || x->f[q] == '-'))
		q++;
	if (q < e && x->f[q] >= '1' && x->f[q] <= '5' && (q + 1 >= e || !is_wc((unsigned char)x->f[q + 1])))
		return x->f[q] - '0';
	return 0;
}

static const char *const impact_names[] = { "impact", "severity", "влияние", "ущерб", NULL };
static const char *const prob_names[] = { "probability", "likelihood", "вероятность", NULL };

/* Where in [s,e) a score begins ("high impact", "impact: 4", "вероятность
 * низкая"), or e.  Not the words that also rate a risk by what it is
 * ("data loss", "outage"): those are its description. */
static size_t score_at(const struct ex *x, size_t s, size_t e)
{
	static const char *const scores[] = {
		"high impact", "low impact", "medium impact", "impact", "severity", "high probability",
		"low probability", "probability", "likelihood", "высокое влияние", "низкое влияние",
		"влияние", "высокая вероятность", "низкая вероятность", "вероятность", NULL
	};
	size_t pos;

	return find(x, s, e, scores, &pos, NULL) ? pos : e;
}

/* "we can mitigate it with a cache": the measure is "a cache" */
static void mitigation_start(const struct ex *x, size_t *ms, size_t me)
{
	static const char *const lead[] = { "it with", "it by", "this with", "this by", "that with",
					    "that by", "them with", "with", "by", NULL };
	size_t l;

	*ms = skip_spaces(x, *ms, me);
	if ((l = match_at(x, *ms, me, lead)))
		*ms = skip_spaces(x, *ms + l, me);
}

/* The impact and probability said in [s,e), each 1..5, or 0 when not said. */
static void risk_scores(const struct ex *x, size_t s, size_t e, int *impact, int *prob)
{
	*impact = scale_after(x, s, e, impact_names);
	if (!*impact)
		*impact = find(x, s, e, xio_extract_lex_impact_high, NULL, NULL) ? 4 :
			  find(x, s, e, xio_extract_lex_impact_low, NULL, NULL) ? 2 : 0;
	*prob = scale_after(x, s, e, prob_names);
	if (!*prob)
		*prob = find(x, s, e, xio_extract_lex_prob_low, NULL, NULL) ? 2 :
			find(x, s, e, xio_extract_lex_prob_high, NULL, NULL) ? 4 : 0;
}

/* Sets risk's impact and probability from the scores said in [s,e);
 * returns 1 when there was one, 0 when none, XIO_ENOMEM when out of memory. */
static int rate_risk(const struct ex *x, size_t s, size_t e, json_object *risk)
{
	int impact, prob;

	risk_scores(x, s, e, &impact, &prob);
	if ((impact && json_object_object_add(risk, "impact", json_object_new_int(impact))) ||
	    (prob && json_object_object_add(risk, "probability", json_object_new_int(prob))))
		return XIO_ENOMEM;
	return impact || prob;
}

static int sentence_risk(struct ex *x, size_t s, size_t e)
{
	size_t pos, len, mpos, mlen, ts, te, ms, me, q;
	int impact, prob, rc;
	json_object *o;

	s = skip_spaces(x, s, e);
	/* "...; high impact, low probability": a sentence of scores alone
	 * rates the risk just named */
	if (x->last_risk && x->last_risk_msg == x->mi &&
	    !find(x, s, e, xio_extract_lex_risk, NULL, NULL) &&
	    (rc = rate_risk(x, s, e, x->last_risk)))
		return rc;
	if ((mlen = match_at(x, s, e, xio_extract_lex_mitigation)) && x->last_risk) {
		ms = s + mlen;
		me = e;
		mitigation_start(x, &ms, me);
		trim_punct((const unsigned char *)x->orig, &ms, &me);
		if (me > ms)
			json_object_object_add(x->last_risk, "mitigation", jstr(x->orig + ms, me - ms));
		return 1;
	}
	if (!find(x, s, e, xio_extract_lex_risk, &pos, &len))
		return 0;
	ts = pos + len;
	te = e;
	ms = me = 0;
	if (find(x, ts, e, xio_extract_lex_mitigation, &mpos, &mlen)) {
		te = mpos;
		ms = mpos + mlen;
		me = e;
		mitigation_start(x, &ms, me);
		trim_punct((const unsigned char *)x->orig, &ms, &me);
	}
	{
		static const char *const lead[] = { "is that", "is", "that", "в том, что", "что",
						    "of", NULL };
		size_t l;

		ts = skip_spaces(x, ts, te);
		trim_punct((const unsigned char *)x->orig, &ts, &te);
		if ((l = match_at(x, ts, te, lead)))
			ts += l;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
	}
	if (te <= ts) {
		ts = s;
		te = e;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
	}
	/* the scores are not part of what can go wrong */
	if ((q = score_at(x, ts, te)) > ts) {
		te = q;
		trim_punct((const unsigned char *)x->orig, &ts, &te);
	}
	risk_scores(x, s, e, &impact, &prob);
	/* not said: the middle of the scale */
	impact = impact ? impact : 3;
	prob = prob ? prob : 3;
	o = json_object_new_object();
	if (!o || json_object_object_add(o, "description", jstr(x->orig + ts, te - ts)) ||
	    json_object_object_add(o, "impact", json_object_new_int(impact)) ||
	    json_object_object_add(o, "probability", json_object_new_int(prob)) ||
	    json_object_object_add(o, "mitigation", me > ms ? jstr(x->orig + ms, me - ms) : NULL)) {
		json_object_put(o);
		return XIO_ENOMEM;
	}
	if (push(x->risks, o))
		return XIO_ENOMEM;
	x->last_risk = o;
	x->last_risk_msg = x->mi;
	return 1;
}

/* ---- tasks ---- */

static struct task *new_task(struct ex *x)
{
	struct task *tk;

	if (x->ntasks == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 16;
		struct task *nt = realloc(x->tasks, nc * sizeof(*nt));

		if (!nt)
			return NULL;
		x->tasks = nt;
		x->cap = nc;
	}
	tk = &x->tasks[x->ntasks++];
	memset(tk, 0, sizeof(*tk));
	tk->prio = PRIO_NONE;
	tk->msg = x->mi;
	return tk;
}

/* The name a mention makes the owner: a participant's, or the handle. */
static const char *owner_name(const struct mention *m)
{
	return m->who ? m->who->name : m->handle;
}

static int set_owner(struct task *tk, const struct mention *m, const char *author)
{
	free(tk->owner_own);
	tk->owner_own = NULL;
	tk->owner = NULL;
	tk->guessed = 0;
	if (!m) {
		tk->owner = author;
		return 0;
	}
	if (m->who) {
		tk->owner = m->who->name;
		return 0;
	}
	tk->owner_own = strdup(m->handle);
	if (!tk->owner_own)
		return XIO_ENOMEM;
	tk->owner = tk->owner_own;
	tk->guessed = m->guessed;
	return 0;
}

/* "I'll" and its Russian forms, including "я подготовлю" and a clause that
 * opens with a first-person future verb ("Сделаю к пятнице"). */
static int self_commit(const struct ex *x, size_t s, size_t e, size_t *pos, size_t *len)
{
	size_t p, q, l;

	if (find(x, s, e, xio_extract_lex_self_not, NULL, NULL))
		return 0;
	if (find(x, s, e, xio_extract_lex_self, pos, len))
		return 1;
	if (x->lang != LANG_EN) {
		if (find(x, s, e, xio_extract_lex_self_verb_ru, pos, len))
			return !(*pos >= s + 5 && !memcmp(x->f + *pos - 5, "не ", 5));
		for (p = s; p < e; p++) {
			if ((l = xio_extract_pat_match(x->f, e, p, "я")) == 0)
				continue;
			q = skip_spaces(x, p + l, e);
			l = q;
			while (l < e && is_wc((unsigned char)x->f[l]))
				l++;
			if (l - q >= 8 && ((unsigned char)x->f[l - 2] == 0xD1 &&
					   ((unsigned char)x->f[l - 1] == 0x83 || (unsigned char)x->f[l - 1] == 0x8E))) {
				*pos = p;
				*len = 2;
				return 1;
			}
		}
	}
	return 0;
}

/* A clause opening (after an address) with an imperative verb. */
static int imperative(const struct ex *x, size_t s, size_t e)
{
	size_t q, w;
	const unsigned char *t = (const unsigned char *)x->f;

	for (;;) {
		size_t l;

		s = skip_spaces(x, s, e);
		while (s < e && !is_wc(t[s]))
			s++;
		if ((l = match_at(x, s, e, xio_extract_lex_filler)) ||
		    (l = match_at(x, s, e, xio_extract_lex_prio_high)))
			s += l;
		else
			break;
	}
	if (x->lang != LANG_RU && match_at(x, s, e, xio_extract_lex_imperative_en))
		return 1;
	if (x->lang == LANG_EN)
		return 0;
	for (q = s; q < e && is_wc(t[q]); q++)
		;
	w = q - s;
	if (w < 8 || !is_cyr_lead(t[s]))
		return 0;
	/* -й, -ь, -и, -йте, -ьте, -ите: "сделай", "подготовь", "проверьте" */
	if (!memcmp(t + q - 4, "ли", 4))
		return 0; /* past plural: "решили" */
	if (!memcmp(t + q - 4, "ый", 4) || !memcmp(t + q - 4, "ий", 4) ||
	    (w == 10 && (!memcmp(t + s, "какой", 10) || !memcmp(t + s, "такой", 10) ||
			 !memcmp(t + s, "любой", 10))))
		return 0; /* adjectives and pronouns: "какой брокер" */
	if (!memcmp(t + q - 2, "й", 2) || !memcmp(t + q - 2, "ь", 2) || !memcmp(t + q - 2, "и", 2))
		return 1;
	if (w >= 10 && (!memcmp(t + q - 6, "йте", 6) || !memcmp(t + q - 6, "ьте", 6) ||
			!memcmp(t + q - 6, "ите", 6)))
		return 1;
	return 0;
}

/* The date in [s,e) of the original text, relative to the message time. */
static int date_in(struct ex *x, size_t s, size_t e, struct xio_due *due, size_t *ds, size_t *de)
{
	size_t a = 0, l = 0;
	int rc = xio_dates_find_tz(x->orig + s, e - s, x->now, x->tz, due, &a, &l);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		*ds = s + a;
		*de = s + a + l;
	}
	return rc;
}

static int is_pronoun_title(const char *title)
{
	const char *const *w;
	size_t n = strlen(title);
	char f[64];

	if (n == 0)
		return 1;
	if (n >= sizeof(f))
		return 0;
	fold(f, title, n);
	for (w = xio_extract_lex_pronoun_obj; *w; w++)
		if (xio_extract_pat_match(f, n, 0, *w) == n)
			return 1;
	return 0;
}

/* "I fixed", "we deployed", "я сделал", "мы обновили": a report, not a plan. */
static int past_tense(const struct ex *x, size_t s, size_t e)
{
	static const char *const subj[] = { "i", "we", "he", "she", "they", "я", "мы", "он",
					    "она", "они", NULL };
	const unsigned char *t = (const unsigned char *)x->f;
	size_t p, q, w, l;

	for (p = s; p < e; p++) {
		if (!(l = match_at(x, p, e, subj)))
			continue;
		q = skip_spaces(x, p + l, e);
		for (w = q; w < e && is_wc(t[w]); w++)
			;
		if (w - q >= 4 && t[w - 2] == 'e' && t[w - 1] == 'd' &&
		    !(w - q == 4 && !memcmp(t + q, "need", 4)))
			return 1;
		if (w - q >= 6 && is_cyr_lead(t[q]) &&
		    (!memcmp(t + w - 2, "л", 2) || (w - q >= 8 && (!memcmp(t + w - 4, "ла", 4) ||
								  !memcmp(t + w - 4, "ли", 4)))))
			return 1;
	}
	return 0;
}

/* "Борис, …" / "Dmitry, …" addressing someone who never spoke: a
 * capitalised first word before a comma that is not a greeting or a filler. */
static int unknown_addressee(const struct ex *x, size_t cs, size_t ce, struct mention *m)
{
	static const char *const not_names[] = { "ok", "okay", "so", "yes", "no", "well", "also",
		"thanks", "thank", "hi", "hey", "hello", "guys", "team", "all", "everyone",
		"folks", "sure", "great", "then", "actually", "please", "ок", "окей", "да", "нет",
		"так", "итак", "ну", "ладно", "хорошо", "коллеги", "ребята", "друзья", "спасибо",
		"привет", "тогда", "кстати", "пожалуйста", "отлично", "супер", "слушай",
		"слушайте", "смотри", "короче", "вообще", "frankly", "honestly", "seriously",
		"basically", "personally", "anyway", "again", "обсуждаем", "предлагаю", "думаю",
		"кстати", "честно", "в общем", NULL };
	const unsigned char *o = (const unsigned char *)x->orig;
	size_t p = skip_spaces(x, cs, ce), q;

	if (p >= ce || !((o[p] >= 'A' && o[p] <= 'Z') ||
			 (o[p] == 0xD0 && p + 1 < ce && (o[p + 1] == 0x81 || (o[p + 1] >= 0x90 && o[p + 1] <= 0xAF)))))
		return 0;
	for (q = p; q < ce && is_wc((unsigned char)x->f[q]); q++)
		;
	if (q >= ce || x->f[q] != ',' || q - p >= NAME_MAX_BYTES || letters(x->f, p, q) < 2 ||
	    match_at(x, p, q, not_names) == q - p)
		return 0;
	memset(m, 0, sizeof(*m));
	memcpy(m->handle, x->orig + p, q - p);
	m->handle[q - p] = '\0';
	m->pos = p;
	m->len = q - p;
	m->cut_start = p;
	m->cut_end = q + 1;
	m->role = ROLE_ADDRESS;
	return 1;
}

/* Whether byte p of the original starts with a capital letter, Latin or
 * Cyrillic (А-Я, Ё). */
static int capital_at(const struct ex *x, size_t p, size_t e)
{
	const unsigned char *o = (const unsigned char *)x->orig;

	return (o[p] >= 'A' && o[p] <= 'Z') ||
	       (o[p] == 0xD0 && p + 1 < e && (o[p + 1] == 0x81 || (o[p + 1] >= 0x90 && o[p + 1] <= 0xAF)));
}

/*
 * "Bob will prepare the plan", "Мария подготовит отчёт", "Поручаем Свете
 * настроить алерты": an assignment of someone who has not spoken.  Any
 * capitalised word could be a name, so the wording must be that of an
 * assignment: in English a modal and a verb of the imperative lexicon, in
 * Russian a third-person future the lexicon knows or a "поручаем" before
 * it; and the word must not be a pronoun, an opener or a product
 * (xio_extract_lex_not_agent), nor an acronym or CamelCase ("CI",
 * "RabbitMQ").  Verbs that things do as often as people ("Migration will
 * take a week") are not enough.  The name is written as found, a Russian
 * dative put back in the nominative ("Свете" → "Света").
 */
/* 1 when the folded dative f[0,n) ("кате") is that of a common name in -я
 * ("катя") rather than in -а ("света"). */
static int ya_name(const char *f, size_t n)
{
	static const char *const names[] = {
		"катя", "настя", "таня", "ваня", "оля", "юля", "валя", "галя", "коля", "толя", "митя",
		"петя", "вася", "соня", "маня", "леня", "женя", "саня", "аня", "ася", "надя", "зоя",
		"люся", "тося", "костя", "ксеня", "дуня", "веня", "сеня", NULL
	};
	const char *const *w;

	for (w = names; *w; w++)
		if (strlen(*w) == n && !memcmp(*w, f, n - 2))
			return 1;
	return 0;
}

static int unknown_agent(const struct ex *x, size_t cs, size_t ce, struct mention *m)
{
	static const char *const modal[] = { "will", "should", "needs to", "need to", "is going to",
		"is gonna", "has to", "must", "to", NULL };
	static const char *const thing_verbs[] = { "take", "make", "get", "do", "handle", "run",
		"move", "find", "test", "file", "open", "close", "ship", "build", "order", NULL };
	static const char *const assign_ru[] = { "поручаем", "поручим", "поручить", "поручаю",
		"попросим", "назначим", "назначаем", NULL };
	const char *t = x->f;
	size_t p, q, r, l, prev = cs, prevq = cs;
	int ok;

	for (p = cs; p < ce; p = q) {
		while (p < ce && !is_wc((unsigned char)t[p]))
			p++;
		for (q = p; q < ce && (is_wc((unsigned char)t[q]) || t[q] == '-'); q++)
			;
		if (q == p)
			break;
		ok = capital_at(x, p, ce) && letters(t, p, q) >= 2 && q - p < NAME_MAX_BYTES &&
		     !is_lex_word(t, p, q, xio_extract_lex_not_agent);
		if (ok && (unsigned char)t[p] < 0x80) {
			size_t k;

			for (k = p + 1; k < q; k++)
				if (!(x->orig[k] >= 'a' && x->orig[k] <= 'z'))
					ok = 0;
		}
		if (!ok) {
			prev = p;
			prevq = q;
			continue;
		}
		r = skip_spaces(x, q, ce);
		memset(m, 0, sizeof(*m));
		if ((unsigned char)t[p] < 0x80) {
			if ((l = match_at(x, r, ce, modal))) {
				size_t v = skip_spaces(x, r + l, ce), vl = match_at(x, v, ce, xio_extract_lex_imperative_en);

				if (vl && !(is_lex_word(t, v, v + vl, thing_verbs))) {
					m->cut_start = p;
					m->cut_end = r + l;
					break;
				}
			}
		} else {
			size_t v = r;

			while (v < ce && is_wc((unsigned char)t[v]))
				v++;
			if (v > r && is_lex_word(t, r, v, xio_extract_lex_agent_verb_ru)) {
				m->cut_start = p;
				m->cut_end = q;
				break;
			}
			if (prevq <= p && prev < p && is_lex_word(t, prev, prevq, assign_ru) &&
			    skip_spaces(x, prevq, p) == p) {
				m->cut_start = prev;
				m->cut_end = q;
				break;
			}
		}
		prev = p;
		prevq = q;
	}
	if (p >= ce || q == p)
		return 0;
	memcpy(m->handle, x->orig + p, q - p);
	m->handle[q - p] = '\0';
	if (m->cut_start < p) {
		/* the dative after "поручаем": -е → -а, -ии → -ия, -у → - */
		size_t hl = q - p;

		if (hl >= 6 && !memcmp(m->handle + hl - 4, "ии", 4))
			memcpy(m->handle + hl - 2, "я", 2);
		else if (hl >= 6 && !memcmp(m->handle + hl - 2, "е", 2))
			/* Кате is Катя's, Свете is Света's: the common -я names
			 * are known by name */
			memcpy(m->handle + hl - 2, ya_name(t + p, hl) ? "я" : "а", 2);
		else if (hl >= 6 && !memcmp(m->handle + hl - 2, "у", 2))
			m->handle[hl - 2] = '\0';
	}
	m->pos = p;
	m->len = q - p;
	m->role = ROLE_AGENT;
	m->guessed = 1;
	return 1;
}

static int best_mention(const struct ex *x, size_t cs, size_t ce, struct mention *m)
{
	static const char *const assign[] = { "assign*", "назнач*", "поруч*", NULL };
	struct mention c;
	size_t s = cs;
	int got = 0;

	while (s < ce && find_mention(x, s, ce, cs, &c)) {
		if (!got || c.role >= ROLE_ADDRESS) {
			*m = c;
			got = 1;
		}
		if (c.role >= ROLE_ADDRESS)
			return 1;
		s = c.pos + c.len;
	}
	if (got && find(x, cs, ce, assign, NULL, NULL))
		m->role = ROLE_AGENT;
	return got;
}

static int same_owner(const struct task *tk, const char *name)
{
	return tk->owner && name && strcmp(tk->owner, name) == 0;
}

/* The author's most recent live task from the last few messages. */
static struct task *last_task_of(struct ex *x, const char *owner)
{
	size_t i;

	for (i = x->ntasks; i-- > 0;) {
		struct task *tk = &x->tasks[i];

		if (tk->removed || tk->msg + RECENT_MSGS < x->mi)
			continue;
		if (!owner || same_owner(tk, owner))
			return tk;
	}
	return NULL;
}

static size_t content_words(const struct ex *x, size_t s, size_t e)
{
	struct words w;

	words_of(x->f, s, e, &w);
	return w.n;
}

/* Whether folded word [p,q) of t is a verb a title may open with: the
 * same work is often restated with another verb ("write"/"finish the plan"). */
static int is_lead_verb(const char *t, size_t p, size_t q)
{
	return is_lex_word(t, p, q, xio_extract_lex_imperative_en) ||
	       is_lex_word(t, p, q, xio_extract_lex_self_verb_ru) ||
	       is_lex_word(t, p, q, xio_extract_lex_agent_verb_ru);
}

/*
 * Whether folded title a names something b does not: a content word or a
 * number of a missing from b.  Numbers count although words_of skips them,
 * because "service 1" and "service 12" are different work; a leading verb
 * does not (see is_lead_verb).
 */
static int says_more(const char *a, size_t an, const char *b, size_t bn)
{
	struct words wb;
	size_t p = 0, q, i;
	int first = 1;

	words_of(b, 0, bn, &wb);
	while (p < an) {
		int num, found = 0;

		while (p < an && !is_wc((unsigned char)a[p]))
			p++;
		for (q = p; q < an && is_wc((unsigned char)a[q]); q++)
			;
		if (q == p)
			break;
		num = a[p] >= '0' && a[p] <= '9';
		if (first && is_lead_verb(a, p, q)) {
			first = 0;
			p = q;
			continue;
		}
		first = 0;
		if (num) {
			size_t r = 0, k;

			/* the same number somewhere in b, as a whole token */
			while (r + (q - p) <= bn && !found) {
				k = r + (q - p);
				found = !memcmp(b + r, a + p, q - p) && (r == 0 || !is_wc((unsigned char)b[r - 1])) &&
					(k == bn || !is_wc((unsigned char)b[k]));
				r++;
			}
			if (!found)
				return 1;
		} else if (letters(a, p, q) >= 3 && !xio_extract_find(a, p, q, xio_extract_lex_stop, NULL, NULL)) {
			for (i = 0; i < wb.n && !found; i++)
				found = word_eq(a + p, q - p, b + wb.w[i].s, wb.w[i].l);
			if (!found)
				return 1;
		}
		p = q;
	}
	return 0;
}

/*
 * A live task that title (owned by owner, NULL = nobody yet) restates.  The
 * titles must overlap, the owners must not contradict each other (Ann's and
 * Bob's "update the docs" are two tasks unless one of them has no owner
 * yet), and at most one of the titles may name something the other lacks:
 * "migration plan" restates "write the migration plan", but "update the API
 * docs" and "update the CLI docs" are different work.
 */
static struct task *same_task(struct ex *x, const char *title, const char *owner)
{
	size_t n = strlen(title), i;
	char *ft = malloc(n + 1), *fo = NULL;
	struct task *hit = NULL;

	if (!ft)
		return NULL;
	fold(ft, title, n);
	for (i = x->ntasks; i-- > 0 && !hit;) {
		struct task *tk = &x->tasks[i];
		size_t on;

		if (tk->removed || (owner && tk->owner && strcmp(owner, tk->owner) != 0) ||
		    task_overlap(tk, ft, 0, n) < 0.6)
			continue;
		on = strlen(tk->title);
		free(fo);
		fo = malloc(on + 1);
		if (!fo)
			break;
		fold(fo, tk->title, on);
		if (!(says_more(ft, n, fo, on) && says_more(fo, on, ft, n)))
			hit = tk;
	}
	free(fo);
	free(ft);
	return hit;
}

/*
 * "migration plan by Friday" after "I'll write the migration plan": a bare
 * restatement of the author's (or an unowned) task with a date sets its due.
 * The clause must name nothing the task lacks, so "the release review on
 * Friday" does not date "the release".  Returns 0 or XIO_ENOMEM.
 */
static int restated_due(struct ex *x, size_t cs, size_t ce, size_t ds, size_t de,
			const struct xio_due *due)
{
	size_t cut[1][2] = { { ds, de } }, n, on;
	char *title = make_title(x, cs, ce, (const size_t (*)[2])cut, 1), *ft = NULL, *fo = NULL;
	struct task *tk;
	int rc = XIO_ENOMEM;

	if (!title)
		return rc;
	n = strlen(title);
	tk = n ? same_task(x, title, x->author) : NULL;
	if (tk) {
		on = strlen(tk->title);
		ft = malloc(n + 1);
		fo = malloc(on + 1);
		if (!ft || !fo)
			goto out;
		fold(ft, title, n);
		fold(fo, tk->title, on);
		if (!says_more(ft, n, fo, on)) {
			tk->due = *due;
			tk->has_due = 1;
		}
	}
	rc = 0;
out:
	free(fo);
	free(ft);
	free(title);
	return rc;
}

/* One clause [cs,ce) of sentence [ss,se): at most one task. */
static int clause_task(struct ex *x, size_t ss, size_t se, size_t cs, size_t ce, int question,
		       int decision)
{
	struct xio_due due;
	struct mention m;
	struct task *tk;
	size_t ds = 0, de = 0, spos = 0, slen = 0, lpos = 0, llen = 0, tpos, tlen, opos, olen;
	size_t cut[5][2], ppos, plen;
	size_t ncut = 0;
	int has_due, has_m, prio, self, label, request, please, need, strong = 0, tentative = 0;
	const struct mention *owner_m = NULL;
	const char *owner_self = NULL;
	char *title = NULL;
	int rc = 0;

	memset(&due, 0, sizeof(due));
	has_due = date_in(x, cs, ce, &due, &ds, &de);
	if (has_due < 0)
		return has_due;
	prio = prio_in(x, cs, ce);
	has_m = best_mention(x, cs, ce, &m);
	self = self_commit(x, cs, ce, &spos, &slen);
	label = find(x, cs, ce, xio_extract_lex_label, &lpos, &llen);
	request = find(x, cs, ce, xio_extract_lex_request, NULL, NULL);
	please = find(x, cs, ce, xio_extract_lex_please, NULL, NULL);
	if (!has_m && !self && unknown_agent(x, cs, ce, &m))
		has_m = 1;
	else if (!has_m && !self && unknown_addressee(x, cs, ce, &m) &&
	    (request || please || imperative(x, m.cut_end, ce)))
		has_m = 1;

	/* 1. A cancellation removes the task it speaks of. */
	if (find(x, cs, ce, xio_extract_lex_cancel, NULL, NULL)) {
		if ((tk = target_task(x, cs, ce, 0.5, 1, NULL, NULL)))
			tk->removed = 1;
		return 0;
	}
	/* 2. A handoff to someone else: "Carol will do it instead", "передаю Кате". */
	if (has_m && !(m.who && x->author && strcmp(m.who->name, x->author) == 0) &&
	    find(x, cs, ce, xio_extract_lex_handoff, NULL, NULL) &&
	    (tk = target_task(x, cs, ce, 0.5, 1, NULL, NULL))) {
		if ((rc = set_owner(tk, &m, NULL)))
			return rc;
		tk->tentative = 0;
		tk->strong = 1;
		if (has_due) {
			tk->due = due;
			tk->has_due = 1;
		}
		if (prio != PRIO_NONE)
			tk->prio = prio;
		return 0;
	}
	/* 3. A claim: "I'll take it", "беру". */
	if (x->author && find(x, cs, ce, xio_extract_lex_take, &tpos, &tlen)) {
		size_t c2[2][2] = { { tpos, tpos + tlen }, { ds, de } };
		int pron;

		title = make_title(x, cs, ce, c2, has_due ? 2 : 1);
		if (!title)
			return XIO_ENOMEM;
		pron = is_pronoun_title(title);
		free(title);
		title = NULL;
		if (pron) {
			tk = target_task(x, cs, ce, 2.0, 1, NULL, x->author);
			if (tk) {
				set_owner(tk, NULL, x->author);
				tk->committed = 1;
				tk->tentative = 0;
				tk->strong = 1;
				tk->acked = 1;
				if (has_due) {
					tk->due = due;
					tk->has_due = 1;
				}
				if (prio != PRIO_NONE)
					tk->prio = prio;
			}
			return 0;
		}
	}
	/* 4. A moved deadline: "let's move the docs to Monday", "перенесем на среду". */
	if (has_due && find(x, cs, ce, xio_extract_lex_move, NULL, NULL)) {
		int fresh = self || label || request || (has_m && m.role >= ROLE_ADDRESS);

		if ((tk = target_task(x, cs, ce, 0.5, !fresh, NULL, NULL))) {
			tk->due = due;
			tk->has_due = 1;
			if (prio != PRIO_NONE)
				tk->prio = prio;
			return 0;
		}
	}
	/* 5. A refusal by the owner: the task goes, or moves to the date offered. */
	if (find(x, cs, ce, xio_extract_lex_reject, NULL, NULL)) {
		tk = x->author ? target_task(x, cs, ce, 0.5, 0, x->author, NULL) : NULL;
		if (!tk && x->author && content_words(x, cs, ce) <= 3)
			tk = last_task_of(x, x->author);
		if (tk && tk->msg < x->mi) {
			struct xio_due d2;
			size_t a, b;

			if (date_in(x, ce, se, &d2, &a, &b) == 1) {
				tk->due = d2;
				tk->has_due = 1;
			} else {
				tk->removed = 1;
			}
		}
		return 0;
	}
	/* 6. Work reported done is not a task, and closes the task it reports. */
	if ((find(x, cs, ce, xio_extract_lex_done, NULL, NULL) || past_tense(x, cs, ce)) &&
	    !find(x, cs, ce, xio_extract_lex_future, NULL, NULL) && !self && !label) {
		tk = x->author ? target_task(x, cs, ce, 0.6, 0, x->author, NULL) : NULL;
		if (!tk && x->author && content_words(x, cs, ce) <= 1)
			tk = last_task_of(x, x->author);
		if (tk && tk->msg < x->mi)
			tk->removed = 1;
		return 0;
	}
	/* 7. A hypothetical is not a task. */
	if (find(x, cs, ce, xio_extract_lex_hypothetical, NULL, NULL) && !request && !please &&
	    !label)
		return 0;

	/* 8. The trigger and the owner. */
	need = find(x, cs, ce, xio_extract_lex_need, NULL, NULL);
	if (label) {
		strong = 1;
		cut[ncut][0] = lpos;
		cut[ncut][1] = lpos + llen;
		ncut++;
		if (has_m && m.role >= ROLE_MENTION)
			owner_m = &m;
		else if (self)
			owner_self = x->author;
		else
			tentative = !has_due;
	} else if (self && !question) {
		owner_self = x->author;
		strong = 1;
	} else if (has_m && m.role == ROLE_AGENT && (!question || request)) {
		owner_m = &m;
		strong = 1;
	} else if (has_m && m.role == ROLE_ADDRESS && (!question || request) &&
		   (request || please || has_due || need || imperative(x, m.cut_end, ce))) {
		owner_m = &m;
		strong = request || please;
	} else if (question && find(x, cs, ce, xio_extract_lex_open_call, &opos, &olen)) {
		/* "Who can take the code review?": work with nobody on it yet, for
		 * the "I'll take it" that usually follows. */
		cut[ncut][0] = opos;
		cut[ncut][1] = opos + olen;
		ncut++;
		tentative = 1;
	} else if (decision) {
		/* "We decided to use Postgres" records a decision, not a task. */
		return 0;
	} else if ((request || please) && (!question || request)) {
		if (x->npeople == 2 && x->author) {
			owner_self = strcmp(x->people[0].name, x->author) == 0 ? x->people[1].name :
										   x->people[0].name;
		} else {
			tentative = 1;
		}
	} else if (need && !question) {
		tentative = 1;
	} else if (!question && has_due && imperative(x, cs, ce)) {
		tentative = 0;
	} else {
		/* No trigger: maybe "it's urgent" or "ok" about the last task. */
		size_t cw = content_words(x, cs, ce);

		if (prio != PRIO_NONE && cw <= 3 && (tk = last_task_of(x, NULL)))
			tk->prio = prio;
		else if (cw <= 2 && x->author && match_at(x, skip_spaces(x, cs, ce), ce, xio_extract_lex_ack) &&
			 (tk = last_task_of(x, x->author)))
			tk->acked = 1;
		else if (has_due && !question && x->author)
			return restated_due(x, cs, ce, ds, de, &due);
		return 0;
	}
	if (owner_m && owner_m->role >= ROLE_ADDRESS) {
		cut[ncut][0] = owner_m->cut_start;
		cut[ncut][1] = owner_m->cut_end;
		ncut++;
	}
	if (has_due) {
		cut[ncut][0] = ds;
		cut[ncut][1] = de;
		ncut++;
	}
	/* "..., high priority", "Low priority: ...": the priority is a field */
	if (find(x, cs, ce, xio_extract_lex_prio_low, &ppos, &plen) ||
	    find(x, cs, ce, xio_extract_lex_prio_high, &ppos, &plen)) {
		cut[ncut][0] = ppos;
		cut[ncut][1] = ppos + plen;
		ncut++;
	}
	/* "Note: I will order the hardware": what comes before the speaker's
	 * own commitment is not the work */
	if (owner_self && self && spos > cs && !label)
		cs = spos;
	title = make_title(x, cs, ce, (const size_t (*)[2])cut, ncut);
	if (!title)
		return XIO_ENOMEM;
	if (is_pronoun_title(title)) {
		/* "I'll do it by Friday", "Bob will handle it": about the last task. */
		free(title);
		tk = (owner_m || owner_self) ?
			     target_task(x, cs, ce, 2.0, 1, NULL, owner_m ? owner_name(owner_m) : owner_self) :
			     NULL;
		if (tk) {
			if (owner_m)
				rc = set_owner(tk, owner_m, NULL);
			else
				set_owner(tk, NULL, owner_self);
			tk->committed = owner_self && self;
			tk->strong |= strong;
			tk->tentative = 0;
			if (has_due) {
				tk->due = due;
				tk->has_due = 1;
			}
		}
		return rc;
	}
	if (prio == PRIO_NONE)
		prio = prio_in(x, ss, se);
	if ((tk = same_task(x, title, owner_m ? owner_name(owner_m) : owner_self))) {
		free(title);
		if (owner_m)
			rc = set_owner(tk, owner_m, NULL);
		else if (owner_self)
			set_owner(tk, NULL, owner_self);
		if (owner_m || owner_self) {
			tk->tentative = 0;
			tk->committed = owner_self && self;
		}
		if (has_due) {
			tk->due = due;
			tk->has_due = 1;
		}
		if (prio != PRIO_NONE)
			tk->prio = prio;
		tk->strong |= strong;
		return rc;
	}
	tk = new_task(x);
	if (!tk) {
		free(title);
		return XIO_ENOMEM;
	}
	tk->title = title;
	if (owner_m)
		rc = set_owner(tk, owner_m, NULL);
	else if (owner_self)
		set_owner(tk, NULL, owner_self);
	tk->committed = owner_self && self;
	tk->due = due;
	tk->has_due = has_due;
	tk->prio = prio;
	tk->strong = strong;
	tk->tentative = tentative && !tk->owner;
	return rc;
}

/* One sentence [ss,se) of the current message. */
static int do_sentence(struct ex *x, size_t ss, size_t se)
{
	size_t cs, pos, len;
	int question, rc, decision;

	ss = skip_spaces(x, ss, se);
	while (se > ss && is_space((unsigned char)x->f[se - 1]))
		se--;
	if (se <= ss)
		return 0;
	question = x->f[se - 1] == '?';
	if ((rc = sentence_risk(x, ss, se)))
		return rc < 0 ? rc : 0;
	/* A pro or con on its own weighs the alternative named in this message
	 * or the one before; further back, it is more likely about something
	 * named since in words the lexicon does not know, so it goes nowhere
	 * rather than to the wrong option. */
	if (match_at(x, ss, se, xio_extract_lex_pro) || match_at(x, ss, se, xio_extract_lex_con))
		return x->last_alt && x->last_alt_msg + 1 >= x->mi ? add_pro_con(x, ss, se) : 0;
	if ((decision = sentence_decision(x, ss, se, question)) < 0)
		return decision;
	if (!decision && (rc = sentence_alternative(x, ss, se)))
		return rc < 0 ? rc : 0;
	cs = ss;
	while (cs < se) {
		size_t ce = se;

		if (find(x, cs, se, xio_extract_lex_clause_split, &pos, &len)) {
			ce = pos;
			if ((rc = clause_task(x, ss, se, cs, ce, question, decision)))
				return rc;
			cs = pos + len;
			continue;
		}
		return clause_task(x, ss, se, cs, ce, question, decision);
	}
	return 0;
}

static int do_message(struct ex *x, size_t i)
{
	const struct xio_extract_msg *m = &x->msgs[i];
	size_t len, p, ss = 0, k, live = 0;
	struct task *only = NULL;
	int rc = 0;

	x->mi = i;
	x->orig = m->text ? m->text : "";
	len = strlen(x->orig);
	x->len = len;
	x->f = malloc(len + 1);
	if (!x->f)
		return XIO_ENOMEM;
	fold(x->f, x->orig, len);
	x->now = m->time_ms ? m->time_ms : x->opts->now_ms;
	x->author = m->author && *m->author ? m->author : NULL;
	x->msg_first_task = x->ntasks;
	for (p = 0; p <= len && !rc; p++) {
		char c = p < len ? x->f[p] : '\n';
		int end = c == '\n' || ((c == '.' || c == '!' || c == '?' || c == ';') &&
					(p + 1 >= len || is_space((unsigned char)x->f[p + 1])));

		if (!end)
			continue;
		rc = do_sentence(x, ss, c == '\n' ? p : p + 1);
		ss = p + 1;
	}
	/* A single task of this message takes a date or priority said elsewhere
	 * in it ("Bob, please update the docs. Friday at the latest."). */
	for (k = x->msg_first_task; k < x->ntasks; k++)
		if (!x->tasks[k].removed && x->tasks[k].msg == i) {
			live++;
			only = &x->tasks[k];
		}
	if (!rc && live == 1) {
		if (!only->has_due) {
			size_t a, b;

			rc = date_in(x, 0, len, &only->due, &a, &b);
			if (rc == 1)
				only->has_due = 1;
			rc = rc < 0 ? rc : 0;
		}
		if (only->prio == PRIO_NONE)
			only->prio = prio_in(x, 0, len);
	}
	free(x->f);
	x->f = NULL;
	return rc;
}

static json_object *task_json(const struct ex *x, const struct task *tk)
{
	static const char *const prio_names[] = { "low", "medium", "high" };
	json_object *o = json_object_new_object();
	char due[40], src[32];
	double conf = 0.35;
	int prio = tk->prio == PRIO_NONE ? PRIO_MEDIUM : tk->prio;
	const char *id = x->msgs[tk->msg].id;

	if (!o)
		return NULL;
	/* a name guessed from a capitalised word counts for less than a participant */
	conf += tk->owner ? (tk->guessed ? 0.1 : 0.2) : 0;
	conf += tk->has_due ? 0.2 : 0;
	conf += tk->prio != PRIO_NONE ? 0.1 : 0;
	conf += tk->strong ? 0.1 : 0;
	conf += tk->acked ? 0.05 : 0;
	if (conf > 0.95)
		conf = 0.95;
	conf = round(conf * 100) / 100;
	if (!id) {
		snprintf(src, sizeof(src), "%zu", tk->msg);
		id = src;
	}
	if (tk->has_due && xio_due_format(&tk->due, due, sizeof(due)) < 0)
		due[0] = '\0';
	if (json_object_object_add(o, "title", json_object_new_string(tk->title)) ||
	    json_object_object_add(o, "owner", tk->owner ? json_object_new_string(tk->owner) : NULL) ||
	    json_object_object_add(o, "due", tk->has_due && due[0] ? json_object_new_string(due) : NULL) ||
	    json_object_object_add(o, "priority", json_object_new_string(prio_names[prio])) ||
	    json_object_object_add(o, "confidence", xio_confidence_json(conf)) ||
	    json_object_object_add(o, "source", json_object_new_string(id))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *xio_extract_run(const struct xio_extract_msg *msgs, size_t n,
			     const struct xio_extract_opts *opts,
			     struct xio_err *err)
{
	static const struct xio_extract_opts defaults = { NULL, NULL, 0, NULL, 0 };
	struct ex x;
	json_object *out = NULL, *tasks = NULL;
	size_t i;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.msgs = msgs;
	x.n = n;
	x.opts = opts ? opts : &defaults;
	if (x.opts->lang && *x.opts->lang) {
		if (strcmp(x.opts->lang, "en") == 0)
			x.lang = LANG_EN;
		else if (strcmp(x.opts->lang, "ru") == 0)
			x.lang = LANG_RU;
		else {
			xio_err_set(err, XIO_EINVAL, "unknown language '%s' (use en or ru)", x.opts->lang);
			return NULL;
		}
	}
	x.tz = xio_tz_new(x.opts->tz, err);
	if (!x.tz)
		return NULL;
	x.people = calloc(n + x.opts->nparticipants + 1, sizeof(*x.people));
	x.decisions = json_object_new_array();
	x.alts = json_object_new_array();
	x.risks = json_object_new_array();
	tasks = json_object_new_array();
	if (!x.people || !x.decisions || !x.alts || !x.risks || !tasks) {
		rc = XIO_ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !rc; i++)
		rc = add_person(&x, msgs[i].author);
	for (i = 0; i < x.opts->nparticipants && !rc; i++)
		rc = add_person(&x, x.opts->participants[i]);
	for (i = 0; i < n && !rc; i++)
		rc = do_message(&x, i);
	for (i = 0; i < x.ntasks && !rc; i++) {
		const struct task *tk = &x.tasks[i];

		if (tk->removed || (tk->tentative && !tk->owner && !tk->has_due) || !tk->title[0])
			continue;
		rc = push(tasks, task_json(&x, tk));
	}
	if (rc)
		goto out;
	out = json_object_new_object();
	if (!out || json_object_object_add(out, "decisions", x.decisions) ||
	    (x.decisions = NULL, json_object_object_add(out, "alternatives", x.alts)) ||
	    (x.alts = NULL, json_object_object_add(out, "risks", x.risks)) ||
	    (x.risks = NULL, json_object_object_add(out, "tasks", tasks))) {
		rc = XIO_ENOMEM;
		goto out;
	}
	tasks = NULL;
out:
	if (rc) {
		json_object_put(out);
		out = NULL;
		xio_err_set(err, rc, "extract: %s", xio_strerror(rc));
	}
	json_object_put(tasks);
	json_object_put(x.risks);
	json_object_put(x.alts);
	json_object_put(x.decisions);
	for (i = 0; i < x.ntasks; i++) {
		free(x.tasks[i].title);
		free(x.tasks[i].owner_own);
	}
	free(x.tasks);
	for (i = 0; x.people && i < x.npeople; i++) {
		free(x.people[i].full);
		free(x.people[i].first);
	}
	free(x.people);
	free(x.f);
	xio_tz_free(x.tz);
	return out;
}

/* ---- markers ---- */

int xio_extract_is_marker(const char *word, size_t len)
{
	/* the lexicons' own "word:" phrases, so a marker the extractor learns
	 * is never mistaken for a speaker */
	static const char *const *const lexicons[] = {
		xio_extract_lex_decision_strong, xio_extract_lex_decision_label,
		xio_extract_lex_pro, xio_extract_lex_con, xio_extract_lex_risk,
		xio_extract_lex_mitigation, xio_extract_lex_label, xio_extract_lex_marker,
	};
	char folded[64];
	size_t i;
	const char *const *w;

	if (!len || len + 2 > sizeof(folded))
		return 0;
	xio_dates_fold(folded, word, len);
	folded[len] = ':';
	folded[len + 1] = '\0';
	for (i = 0; i < XIO_ARRAY_LEN(lexicons); i++)
		for (w = lexicons[i]; *w; w++)
			if (!strcmp(*w, folded))
				return 1;
	return 0;
}

int xio_extract_final_decision(json_object *decisions)
{
	size_t i, n = json_object_is_type(decisions, json_type_array) ?
			      json_object_array_length(decisions) : 0;
	int best = -1, best_strong = 0;

	for (i = 0; i < n; i++) {
		json_object *c = NULL;
		int strong;

		json_object_object_get_ex(json_object_array_get_idx(decisions, i), "confidence", &c);
		strong = c && json_object_get_double(c) >= 0.8 - 1e-9;
		if (strong >= best_strong) {
			best = (int)i;
			best_strong = strong;
		}
	}
	return best;
}

/* ---- transcripts ---- */

/* Length of "Name" when line starts "Name: ", else 0. */
static size_t speaker_len(const char *l, size_t n)
{
	size_t i, words = 1;

	if (!n || is_space((unsigned char)l[0]) || (l[0] >= '0' && l[0] <= '9') ||
	    strchr("-*>#[(", l[0]))
		return 0;
	for (i = 0; i < n && i <= NAME_MAX_BYTES; i++) {
		if (l[i] == ':')
			return i > 0 && (i + 1 >= n || l[i + 1] == ' ' || l[i + 1] == '\t') &&
					       words <= 4 ? i : 0;
		if (l[i] == ' ' && ++words > 4)
			return 0;
		if (strchr("/.,!?;\"", l[i]))
			return 0;
	}
	return 0;
}

/*
 * Length of a prefix that chat exports put before "Name:" — a time stamp
 * "[10:32] ", "10:35 " or "10:35:07 ", or a bullet "- ", "* ", "• " — or 0.
 * Only taken when a speaker follows: "15:00: still Bob" and "- an item"
 * stay text.
 */
static size_t line_prefix(const char *l, size_t n)
{
	static const char *const bullets[] = { "- ", "* ", "\xe2\x80\xa2 ", "\xe2\x80\x93 ",
					       "\xe2\x80\x94 ", NULL };
	size_t b = 0, i, k;

	if (n > 2 && l[0] == '[') {
		const char *rb = memchr(l, ']', n);

		if (rb && rb - l <= 32 && (size_t)(rb - l) + 1 < n && rb[1] == ' ')
			b = (size_t)(rb - l) + 2;
	} else if (n > 5 && l[0] >= '0' && l[0] <= '9') {
		/* H:MM or HH:MM, then maybe :SS */
		i = l[1] == ':' ? 1 : (l[1] >= '0' && l[1] <= '9' && l[2] == ':') ? 2 : 0;
		for (k = 0; i && k < 2; k++) {
			if (i + 3 <= n && l[i] == ':' && l[i + 1] >= '0' && l[i + 1] <= '5' &&
			    l[i + 2] >= '0' && l[i + 2] <= '9')
				i += 3;
			else if (k == 0)
				i = 0;
		}
		if (i && i < n && l[i] == ' ')
			b = i + 1;
	} else {
		for (k = 0; bullets[k]; k++)
			if (n > strlen(bullets[k]) && !memcmp(l, bullets[k], strlen(bullets[k])))
				b = strlen(bullets[k]);
	}
	while (b && b < n && l[b] == ' ')
		b++;
	return b && speaker_len(l + b, n - b) ? b : 0;
}

int xio_extract_parse_transcript(const char *text, size_t len, int64_t time_ms,
				 struct xio_extract_transcript *out,
				 struct xio_err *err)
{
	char *st = NULL;
	struct xio_extract_msg *msgs = NULL;
	size_t nmsg = 0, cap = 0, p = 0, w = 0;
	int open = 0;

	memset(out, 0, sizeof(*out));
	/* The copy never grows: names and bodies are rewritten in place. */
	st = malloc(len + 2);
	if (!st)
		goto nomem;
	while (p < len) {
		size_t e = p, le, sl, b;
		const char *l;

		while (e < len && text[e] != '\n')
			e++;
		le = e;
		if (le > p && text[le - 1] == '\r')
			le--;
		l = text + p;
		b = line_prefix(l, le - p);
		sl = speaker_len(l + b, le - p - b);
		if (sl) {
			if (nmsg == cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct xio_extract_msg *nm = realloc(msgs, nc * sizeof(*nm));

				if (!nm)
					goto nomem;
				msgs = nm;
				cap = nc;
			}
			if (open)
				st[w++] = '\0';
			memcpy(st + w, l + b, sl);
			msgs[nmsg].author = st + w;
			msgs[nmsg].time_ms = time_ms;
			msgs[nmsg].id = NULL;
			w += sl;
			st[w++] = '\0';
			{
				size_t ts = b + sl + 1;

				while (p + ts < le && (l[ts] == ' ' || l[ts] == '\t'))
					ts++;
				msgs[nmsg].text = st + w;
				memcpy(st + w, l + ts, le - p - ts);
				w += le - p - ts;
			}
			nmsg++;
			open = 1;
		} else if (le > p) {
			if (!open) {
				/* Text before any speaker: a message with no author. */
				if (nmsg == cap) {
					size_t nc = cap ? cap * 2 : 32;
					struct xio_extract_msg *nm = realloc(msgs, nc * sizeof(*nm));

					if (!nm)
						goto nomem;
					msgs = nm;
					cap = nc;
				}
				msgs[nmsg].author = NULL;
				msgs[nmsg].time_ms = time_ms;
				msgs[nmsg].id = NULL;
				msgs[nmsg].text = st + w;
				nmsg++;
				open = 1;
			} else if (st + w != msgs[nmsg - 1].text) {
				st[w++] = '\n';
			}
			memcpy(st + w, l, le - p);
			w += le - p;
		}
		p = e + 1;
	}
	st[w] = '\0';
	out->msgs = msgs;
	out->n = nmsg;
	out->storage = st;
	return 0;
nomem:
	free(msgs);
	free(st);
	return xio_err_set(err, XIO_ENOMEM, "transcript: out of memory");
}

void xio_extract_transcript_release(struct xio_extract_transcript *t)
{
	if (!t)
		return;
	free(t->msgs);
	free(t->storage);
	memset(t, 0, sizeof(*t));
}
