/*
 * extract_int.h — internals shared by the extractor's files: the phrase
 * lexicons (extract_lex.c) and the phrase matcher that reads them.
 *
 * Phrases are written folded (lower case, "е" for "ё").  A trailing '*'
 * matches the rest of a word, so one Russian stem covers every case ending
 * ("отмен*" = отмена, отменяем, отменили); an apostrophe matches both ' and
 * the typographic ’.  A phrase that starts or ends with a letter must sit on
 * a word boundary there.
 */
#ifndef XIO_EXTRACT_INT_H
#define XIO_EXTRACT_INT_H

#include <stddef.h>

/* Each lexicon is a NULL-terminated list of phrases. */
extern const char *const xio_extract_lex_decision_strong[]; /* "decision:", "we decided" */
extern const char *const xio_extract_lex_decision[];        /* "agreed", "let's go with" */
extern const char *const xio_extract_lex_because[];
extern const char *const xio_extract_lex_alternative_after[]; /* "X is another option" */
extern const char *const xio_extract_lex_alternative_list[];  /* "options: A or B" */
extern const char *const xio_extract_lex_list_sep[];          /* " or ", ", ", " или " */
extern const char *const xio_extract_lex_ru_infinitive[][2]; /* "напишу" -> "написать" */         /* "because": the reason follows */
extern const char *const xio_extract_lex_decision_past[];   /* "last year": not this decision */
extern const char *const xio_extract_lex_decision_label[];  /* prefixes cut from the text */
extern const char *const xio_extract_lex_agree_reply[];     /* "agreed", "+1", "договорились" */
extern const char *const xio_extract_lex_proposal[];        /* "let's", "давайте" */
extern const char *const xio_extract_lex_negation[];        /* "not", "не" before a decision */
extern const char *const xio_extract_lex_alternative[];
extern const char *const xio_extract_lex_pro[];
extern const char *const xio_extract_lex_con[];
extern const char *const xio_extract_lex_risk[];
extern const char *const xio_extract_lex_mitigation[];
extern const char *const xio_extract_lex_impact_high[];
extern const char *const xio_extract_lex_impact_low[];
extern const char *const xio_extract_lex_prob_high[];
extern const char *const xio_extract_lex_prob_low[];
extern const char *const xio_extract_lex_label[];           /* "action item:", "todo:" */
extern const char *const xio_extract_lex_marker[];          /* "note:", "plan:": no speaker */
extern const char *const xio_extract_lex_self[];            /* "i'll", "я сделаю" */
extern const char *const xio_extract_lex_self_verb_ru[];    /* "сделаю", "подготовлю" */
extern const char *const xio_extract_lex_agent_verb_ru[];   /* "подготовит", "напишет" */
extern const char *const xio_extract_lex_self_not[];        /* "i'll think", "я думаю" */
extern const char *const xio_extract_lex_agent_after[];     /* "<name> will" */
extern const char *const xio_extract_lex_not_agent[];       /* "It", "Postgres": not a name */
extern const char *const xio_extract_lex_agent_before[];    /* "assign to <name>" */
extern const char *const xio_extract_lex_open_call[];       /* "who can", "кто возьмет" */
extern const char *const xio_extract_lex_request[];         /* "can you", "можешь" */
extern const char *const xio_extract_lex_please[];
extern const char *const xio_extract_lex_need[];            /* "we need to", "нужно" */
extern const char *const xio_extract_lex_imperative_en[];   /* "update", "fix" */
extern const char *const xio_extract_lex_hypothetical[];
extern const char *const xio_extract_lex_done[];
extern const char *const xio_extract_lex_future[];          /* overrides "done" */
extern const char *const xio_extract_lex_cancel[];
extern const char *const xio_extract_lex_reject[];
extern const char *const xio_extract_lex_handoff[];         /* "instead", "передаю" */
extern const char *const xio_extract_lex_take[];            /* "i'll take it", "беру" */
extern const char *const xio_extract_lex_move[];            /* "postpone", "перенесем" */
extern const char *const xio_extract_lex_ack[];             /* "ok", "will do", "ок" */
extern const char *const xio_extract_lex_prio_high[];
extern const char *const xio_extract_lex_prio_low[];
extern const char *const xio_extract_lex_filler[];          /* cut from titles */
extern const char *const xio_extract_lex_pronoun_obj[];     /* "it", "это": no title */
extern const char *const xio_extract_lex_stop[];            /* not content words */
extern const char *const xio_extract_lex_title_cut[];     /* modal/subject words cut from titles */
extern const char *const xio_extract_lex_clause_split[];    /* ", and", ", а" */

/* Length of the match of phrase pat at byte p of folded text t[0..n), or 0. */
size_t xio_extract_pat_match(const char *t, size_t n, size_t p, const char *pat);

/*
 * Finds the earliest match of any phrase of lex in t[s..e).  Returns 1 and
 * sets *pos and *len (either may be NULL), or 0.
 */
int xio_extract_find(const char *t, size_t s, size_t e, const char *const *lex,
		     size_t *pos, size_t *len);

/* Whether byte c can be part of a word (ASCII alnum or any non-ASCII). */
int xio_extract_is_wc(unsigned char c);

#endif
