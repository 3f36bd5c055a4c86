#!/usr/bin/env python3
# make_corpus.py — regenerates corpus/ for the ajv differential test.  Each
# file name says which keyword or edge it exercises; the folder says the
# verdict both validators must reach.  Run: python3 tests/schema/make_corpus.py
import json, os, copy, shutil
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
shutil.rmtree(root, ignore_errors=True)

def write(schema, verdict, name, doc=None, raw=None, ascii=False):
    d = os.path.join(root, schema, verdict)
    os.makedirs(d, exist_ok=True)
    text = raw if raw is not None else json.dumps(doc, ensure_ascii=ascii, indent=1)
    with open(os.path.join(d, name + '.json'), 'w', encoding='utf-8') as f:
        f.write(text + '\n')

DL = {
 "question": "Which database should the bot use?",
 "alternatives": [
  {"title": "SQLite", "pros": ["embedded", "no server"], "cons": ["one writer"]},
  {"title": "PostgreSQL", "pros": ["replicas"], "cons": ["operations cost"]}],
 "decision": "SQLite with WAL",
 "rationale": "One process serves thousands of consiliums.",
 "risks": [{"description": "Write contention", "impact": 3, "probability": 2,
            "mitigation": "Short transactions"}],
 "participants": ["alice", "bob"],
 "thread": {"platform": "slack", "chat": "C123", "thread": "1700000000.000100"},
 "created_at": "2025-03-01T09:30:00Z",
 "updated_at": "2025-03-01T12:30:00.5+03:00",
 "status": "approved"}

def dl(**changes):
    d = copy.deepcopy(DL)
    for k, v in changes.items():
        if v is DEL: del d[k]
        else: d[k] = v
    return d
DEL = object()
def risk(**kw):
    r = {"description": "Outage", "impact": 2, "probability": 2}
    r.update(kw); return r
def alt(**kw):
    a = {"title": "Option", "pros": [], "cons": []}
    a.update(kw); return a

V, I = 'valid', 'invalid'
S = 'decision_log'
write(S, V, 'full', DL)
write(S, V, 'minimal_required_only', {"question": "Q?", "alternatives": [], "decision": "D", "rationale": "", "risks": []})
write(S, V, 'question_2000_cyrillic', dl(question='ж' * 2000))
write(S, V, 'question_2000_emoji', dl(question='😀' * 2000))
write(S, V, 'question_2000_emoji_escaped', dl(question='😀' * 2000), ascii=True)
write(S, V, 'title_300_emoji', dl(alternatives=[alt(title='🚀' * 300)]))
write(S, V, 'title_one_cyrillic_char', dl(alternatives=[alt(title='Я')]))
write(S, V, 'alternatives_20', dl(alternatives=[alt(title='A%d' % i) for i in range(20)]))
write(S, V, 'risk_bounds_1_5', dl(risks=[risk(impact=1, probability=5), risk(impact=5, probability=1)]))
write(S, V, 'risk_impact_5_point_0', raw=json.dumps(dl(risks=[risk()]), indent=1).replace('"impact": 2', '"impact": 5.0'))
write(S, V, 'risk_impact_1e0', raw=json.dumps(dl(risks=[risk()]), indent=1).replace('"impact": 2', '"impact": 1e0'))
write(S, V, 'risk_without_mitigation', dl(risks=[risk()]))
write(S, V, 'thread_without_thread_member', dl(thread={"platform": "telegram", "chat": "-1001234"}))
write(S, V, 'thread_console', dl(thread={"platform": "console", "chat": "", "thread": ""}))
write(S, V, 'datetime_lowercase_t_z', dl(created_at='2025-03-01t09:30:00z'))
write(S, V, 'datetime_negative_offset_fraction', dl(created_at='2025-12-31T23:59:59.123456-05:00'))
write(S, V, 'datetime_leap_second', dl(updated_at='2016-12-31T23:59:60Z'))
write(S, V, 'participants_100', dl(participants=['p%d' % i for i in range(100)]))
write(S, V, 'participants_empty_status_draft', dl(participants=[], status='draft'))
write(S, V, 'status_amended_no_optionals', dl(status='amended', thread=DEL, created_at=DEL, updated_at=DEL, participants=DEL))
write(S, V, 'decision_4000_rationale_8000', dl(decision='d' * 4000, rationale='р' * 8000))
write(S, V, 'question_with_nul_and_newlines', dl(question='a\u0000b\nc\td'))
write(S, V, 'pros_cons_unicode', dl(alternatives=[alt(pros=['быстро', '✓ fast'], cons=['дорого'])]))

write(S, I, 'missing_question', dl(question=DEL))
write(S, I, 'missing_risks', dl(risks=DEL))
write(S, I, 'missing_alternatives', dl(alternatives=DEL))
write(S, I, 'question_empty', dl(question=''))
write(S, I, 'question_2001_cyrillic', dl(question='ж' * 2001))
write(S, I, 'question_2001_emoji_escaped', dl(question='😀' * 2001), ascii=True)
write(S, I, 'title_301_emoji', dl(alternatives=[alt(title='🚀' * 301)]))
write(S, I, 'title_empty', dl(alternatives=[alt(title='')]))
write(S, I, 'alternatives_21', dl(alternatives=[alt(title='A%d' % i) for i in range(21)]))
write(S, I, 'extra_top_level_property', dl(summary='x'))
write(S, I, 'extra_property_in_alternative', dl(alternatives=[alt(score=3)]))
write(S, I, 'extra_property_in_risk', dl(risks=[risk(owner='bob')]))
write(S, I, 'extra_property_in_thread', dl(thread={"platform": "slack", "chat": "C1", "ts": "1"}))
write(S, I, 'alternative_missing_cons', dl(alternatives=[{"title": "X", "pros": []}]))
write(S, I, 'risk_impact_0', dl(risks=[risk(impact=0)]))
write(S, I, 'risk_impact_6', dl(risks=[risk(impact=6)]))
write(S, I, 'risk_impact_2_5', dl(risks=[risk(impact=2.5)]))
write(S, I, 'risk_impact_string', dl(risks=[risk(impact="3")]))
write(S, I, 'risk_probability_5_0001', dl(risks=[risk(probability=5.0001)]))
write(S, I, 'risk_missing_probability', dl(risks=[{"description": "x", "impact": 1}]))
write(S, I, 'risk_description_empty', dl(risks=[risk(description='')]))
write(S, I, 'platform_discord', dl(thread={"platform": "discord", "chat": "1"}))
write(S, I, 'thread_missing_chat', dl(thread={"platform": "slack"}))
write(S, I, 'datetime_date_only', dl(created_at='2025-03-01'))
write(S, I, 'datetime_month_13', dl(created_at='2025-13-01T00:00:00Z'))
write(S, I, 'datetime_hour_24', dl(created_at='2025-03-01T24:00:00Z'))
write(S, I, 'datetime_space_separator', dl(created_at='2025-03-01 09:30:00Z'))
write(S, I, 'datetime_no_offset', dl(updated_at='2025-03-01T09:30:00'))
write(S, I, 'datetime_embedded_nul_suffix', dl(updated_at='2025-03-01T09:30:00Z\u0000x'))
write(S, I, 'datetime_trailing_newline', dl(updated_at='2025-03-01T09:30:00Z\n'))
write(S, I, 'datetime_fullwidth_digits', dl(created_at='２０２５-03-01T09:30:00Z'))
write(S, I, 'status_final', dl(status='final'))
write(S, I, 'status_null', dl(status=None))
write(S, I, 'participants_101', dl(participants=['p%d' % i for i in range(101)]))
write(S, I, 'participants_number', dl(participants=['alice', 7]))
write(S, I, 'pros_not_array', dl(alternatives=[alt(pros='fast')]))
write(S, I, 'cons_item_null', dl(alternatives=[alt(cons=[None])]))
write(S, I, 'root_array', [DL])
write(S, I, 'root_null', None)
write(S, I, 'decision_4001', dl(decision='d' * 4001))
write(S, I, 'rationale_8001_cyrillic', dl(rationale='р' * 8001))
write(S, I, 'alternatives_null', dl(alternatives=None))
write(S, I, 'question_number', dl(question=42))

T = {"title": "Write the migration", "owner": "alice", "due": "2025-03-14",
     "priority": "high", "status": "open", "confidence": 0.8,
     "source_message": "alice: I'll write the migration by Friday"}
def task(**changes):
    d = copy.deepcopy(T)
    for k, v in changes.items():
        if v is DEL: del d[k]
        else: d[k] = v
    return d
S = 'task'
write(S, V, 'full', T)
write(S, V, 'minimal_required_only', {"title": "T", "owner": "", "due": None, "priority": "low", "confidence": 0})
write(S, V, 'owner_empty_unassigned', task(owner=''))
write(S, V, 'due_null', task(due=None))
write(S, V, 'due_datetime_z', task(due='2025-03-14T17:00:00Z'))
write(S, V, 'due_datetime_offset', task(due='2025-03-14T17:00:00+03:00'))
write(S, V, 'due_datetime_lowercase_fraction', task(due='2025-03-14t17:00:00.25z'))
write(S, V, 'due_leap_second', task(due='2016-12-31T23:59:60Z'))
write(S, V, 'due_feb_31_pattern_only', task(due='2025-02-31'))
write(S, V, 'confidence_0', task(confidence=0))
write(S, V, 'confidence_1', task(confidence=1))
write(S, V, 'confidence_1_point_0', task(confidence=1.0))
write(S, V, 'confidence_small_exponent', raw=json.dumps(task(), indent=1).replace('0.8', '1e-3'))
write(S, V, 'title_300_cyrillic', task(title='ш' * 300))
write(S, V, 'title_300_emoji', task(title='🎯' * 300))
write(S, V, 'title_300_emoji_escaped', task(title='🎯' * 300), ascii=True)
write(S, V, 'owner_200', task(owner='o' * 200))
write(S, V, 'status_done_priority_medium', task(status='done', priority='medium'))
write(S, V, 'status_snoozed', task(status='snoozed'))
write(S, V, 'status_cancelled_priority_low', task(status='cancelled', priority='low'))
write(S, V, 'no_status_no_source', task(status=DEL, source_message=DEL))
write(S, V, 'source_message_empty', task(source_message=''))

write(S, I, 'missing_title', task(title=DEL))
write(S, I, 'missing_owner', task(owner=DEL))
write(S, I, 'missing_due', task(due=DEL))
write(S, I, 'missing_priority', task(priority=DEL))
write(S, I, 'missing_confidence', task(confidence=DEL))
write(S, I, 'title_empty', task(title=''))
write(S, I, 'title_301_cyrillic', task(title='ш' * 301))
write(S, I, 'title_301_emoji', task(title='🎯' * 301))
write(S, I, 'owner_201', task(owner='о' * 201))
write(S, I, 'owner_null', task(owner=None))
write(S, I, 'due_single_digit_month', task(due='2025-3-14'))
write(S, I, 'due_dotted_date', task(due='14.03.2025'))
write(S, I, 'due_hour_25', task(due='2025-03-14T25:00:00Z'))
write(S, I, 'due_short_offset', task(due='2025-03-14T10:00:00+3:00'))
write(S, I, 'due_empty', task(due=''))
write(S, I, 'due_number', task(due=20250314))
write(S, I, 'due_trailing_newline', task(due='2025-03-14\n'))
write(S, I, 'due_trailing_space', task(due='2025-03-14 '))
write(S, I, 'due_word', task(due='tomorrow'))
write(S, I, 'due_day_32', task(due='2025-03-32'))
write(S, I, 'priority_urgent', task(priority='urgent'))
write(S, I, 'priority_capitalised', task(priority='High'))
write(S, I, 'status_closed', task(status='closed'))
write(S, I, 'confidence_1_01', task(confidence=1.01))
write(S, I, 'confidence_negative', task(confidence=-0.1))
write(S, I, 'confidence_string', task(confidence='0.8'))
write(S, I, 'confidence_null', task(confidence=None))
write(S, I, 'confidence_true', task(confidence=True))
write(S, I, 'extra_property', task(assignee='bob'))
write(S, I, 'root_array', [T])
write(S, I, 'root_string', "Write the migration")
write(S, I, 'source_message_number', task(source_message=5))
