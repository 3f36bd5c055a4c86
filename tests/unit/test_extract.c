/*
 * test_extract.c — the rule-based extractor, table-driven.  Each case is a
 * transcript ("Name: text" lines), the moment it was written and the chat's
 * zone, and what must come out: the number of tasks and one task (a title
 * substring, owner, due, priority), or a decision.  English and Russian
 * cases sit side by side, grouped by the rule they exercise.  The number of
 * cases is printed.  Further tests cover alternatives, risks, confidence,
 * the transcript parser, errors, and allocation failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console.h"
#include "dates.h"
#include "extract.h"

#define WED "2025-11-26T10:00" /* a Wednesday; 13:00 in Moscow */
#define ANY ((const char *)1)  /* don't check this field */

struct ecase {
	const char *tr;
	const char *now; /* UTC "YYYY-MM-DDTHH:MM" */
	const char *tz;
	int ntasks;      /* -1: don't check */
	const char *title; /* substring of some task's title; NULL: no task checked */
	const char *owner; /* NULL: must be null */
	const char *due;   /* NULL: must be null */
	const char *prio;
	const char *decision; /* substring of some decision */
};

/* A task expected, now = WED in UTC. */
#define T(tr, n, title, owner, due, prio) { tr, WED, "UTC", n, title, owner, due, prio, NULL }
/* The same in Moscow time. */
#define TM(tr, n, title, owner, due, prio) { tr, WED, "Europe/Moscow", n, title, owner, due, prio, NULL }
/* No task at all. */
#define NONE(tr) { tr, WED, "UTC", 0, NULL, NULL, NULL, NULL, NULL }
/* A decision (and n tasks). */
#define D(tr, n, text) { tr, WED, "UTC", n, NULL, NULL, NULL, NULL, text }

static const struct ecase cases[] = {
	/* --- owners: @mention, a participant's name, the author --- */
	T("Alice: hi\nBob: hi\nAlice: @bob please update the API docs by Friday.", 1,
	  "update the API docs", "Bob", "2025-11-28", "medium"),
	T("Alice: @Bob, fix the login bug by Friday.", 1, "fix the login bug", "Bob", "2025-11-28", "medium"),
	T("Alice: @carol can you review the PR tomorrow?", 1, "review the PR", "carol", "2025-11-27", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please prepare the slides.", 1, "prepare the slides", "Bob", NULL, "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob will write the migration script by Monday.", 1,
	  "write the migration script", "Bob", "2025-12-01", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob to send the invoice by Dec 1.", 1, "send the invoice", "Bob", "2025-12-01", "medium"),
	T("Alice: hi\nBob Smith: hi\nAlice: Bob, please call the vendor tomorrow.", 1, "call the vendor",
	  "Bob Smith", "2025-11-27", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Let's have Bob update the roadmap by Friday.", 1, "update the roadmap",
	  "Bob", "2025-11-28", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Assign the security audit to Bob, due next week.", 1, "security audit",
	  "Bob", ANY, "medium"),
	T("Alice: I'll prepare the release notes by tomorrow.", 1, "prepare the release notes", "Alice",
	  "2025-11-27", "medium"),
	T("Alice: I will draft the proposal by Friday.", 1, "draft the proposal", "Alice", "2025-11-28", "medium"),
	T("Alice: I'm going to benchmark the new cache on Monday.", 1, "benchmark the new cache", "Alice",
	  "2025-12-01", "medium"),
	T("Alice: Let me check the logs today.", 1, "check the logs", "Alice", "2025-11-26", "medium"),
	T("Alice: I’ll write the postmortem by Friday.", 1, "write the postmortem", "Alice", "2025-11-28", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: @Борис, подготовь отчёт до пятницы.", 1, "подготовь отчёт",
	  "Борис", "2025-11-28", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, пожалуйста, обнови документацию к понедельнику.", 1,
	  "обнови документацию", "Борис", "2025-12-01", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис сделает ревью до завтра.", 1, "ревью", "Борис",
	  "2025-11-27", "medium"),
	T("Анна: привет\nКатя: привет\nАнна: Поручим Кате настроить CI до конца недели.", 1, "настроить CI",
	  "Катя", "2025-11-28", "medium"),
	T("Анна: привет\nКатя: привет\nАнна: Пусть Катя напишет тесты к среде.", 1, "написать тесты", "Катя",
	  "2025-12-03", "medium"),
	T("Анна: Я сделаю ревью PR до завтра.", 1, "ревью PR", "Анна", "2025-11-27", "medium"),
	T("Анна: Я подготовлю презентацию к 1 декабря.", 1, "подготовить презентацию", "Анна", "2025-12-01", "medium"),
	T("Анна: Возьму на себя миграцию базы, сделаю до пятницы.", -1, "миграцию базы", "Анна", ANY, "medium"),
	T("Анна: Сделаю выгрузку отчёта послезавтра.", 1, "выгрузку отчёта", "Анна", "2025-11-28", "medium"),
	T("Анна: Борис, можешь проверить бэкапы завтра?", 1, "проверить бэкапы", "Борис", "2025-11-27", "medium"),
	T("Анна: привет\nИван: привет\nАнна: Ивану нужно обновить сертификаты до 1.12.", 1, "обновить сертификаты",
	  "Иван", "2025-12-01", "medium"),
	T("Alice: hi\nBob: hi\nAlice: can you send me the numbers by Friday?", 1, "send me the numbers", "Bob",
	  "2025-11-28", "medium"),
	T("Alice: Action item: Bob updates the staging config by Friday.\nBob: ok", 1, "updates the staging config",
	  "Bob", "2025-11-28", "medium"),
	T("Alice: TODO: rotate the API keys by end of month.", 1, "rotate the API keys", NULL, "2025-11-30", "medium"),
	T("Анна: Задача: обновить зависимости до конца месяца.", 1, "обновить зависимости", NULL, "2025-11-30", "medium"),
	T("Alice: We need to renew the TLS certificate by Friday.", 1, "renew the TLS certificate", NULL,
	  "2025-11-28", "medium"),
	T("Анна: Нужно продлить домен до 5 декабря.", 1, "продлить домен", NULL, "2025-12-05", "medium"),

	/* --- due dates in all their forms --- */
	T("Alice: I'll ship the fix by 2025-12-03.", 1, "ship the fix", "Alice", "2025-12-03", "medium"),
	T("Alice: I'll ship the fix by 3.12.", 1, "ship the fix", "Alice", "2025-12-03", "medium"),
	T("Alice: I'll ship the fix by Dec 3.", 1, "ship the fix", "Alice", "2025-12-03", "medium"),
	T("Alice: I'll ship the fix by December 3rd, 2026.", 1, "ship the fix", "Alice", "2026-12-03", "medium"),
	T("Анна: Я выкачу фикс к 3 декабря.", 1, "выкатить фикс", "Анна", "2025-12-03", "medium"),
	T("Анна: Я выкачу фикс до 3 декабря 2026 года.", 1, "выкатить фикс", "Анна", "2026-12-03", "medium"),
	T("Анна: Я выкачу фикс к 10 января.", 1, "выкатить фикс", "Анна", "2026-01-10", "medium"),
	T("Alice: I'll ship the fix today.", 1, "ship the fix", "Alice", "2025-11-26", "medium"),
	T("Alice: I'll ship the fix tomorrow.", 1, "ship the fix", "Alice", "2025-11-27", "medium"),
	T("Анна: Я выкачу фикс завтра.", 1, "выкатить фикс", "Анна", "2025-11-27", "medium"),
	T("Анна: Я выкачу фикс послезавтра.", 1, "выкатить фикс", "Анна", "2025-11-28", "medium"),
	T("Alice: I'll ship the fix the day after tomorrow.", 1, "ship the fix", "Alice", "2025-11-28", "medium"),
	T("Alice: I'll ship the fix by Friday.", 1, "ship the fix", "Alice", "2025-11-28", "medium"),
	T("Alice: I'll ship the fix by Wednesday.", 1, "ship the fix", "Alice", "2025-12-03", "medium"),
	T("Анна: Я выкачу фикс до пятницы.", 1, "выкатить фикс", "Анна", "2025-11-28", "medium"),
	T("Alice: I'll ship the fix this Friday.", 1, "ship the fix", "Alice", "2025-11-28", "medium"),
	T("Alice: I'll ship the fix next Monday.", 1, "ship the fix", "Alice", "2025-12-01", "medium"),
	T("Анна: Я выкачу фикс в следующий понедельник.", 1, "выкатить фикс", "Анна", "2025-12-01", "medium"),
	T("Alice: I'll ship the fix next week.", 1, "ship the fix", "Alice", "2025-12-05", "medium"),
	T("Анна: Я выкачу фикс на следующей неделе.", 1, "выкатить фикс", "Анна", "2025-12-05", "medium"),
	T("Alice: I'll ship the fix in 3 days.", 1, "ship the fix", "Alice", "2025-11-29", "medium"),
	T("Анна: Я выкачу фикс через 3 дня.", 1, "выкатить фикс", "Анна", "2025-11-29", "medium"),
	T("Анна: Я выкачу фикс через неделю.", 1, "выкатить фикс", "Анна", "2025-12-03", "medium"),
	T("Alice: I'll ship the fix by end of day.", 1, "ship the fix", "Alice", "2025-11-26", "medium"),
	T("Анна: Я выкачу фикс до конца дня.", 1, "выкатить фикс", "Анна", "2025-11-26", "medium"),
	T("Alice: I'll ship the fix by the end of the month.", 1, "ship the fix", "Alice", "2025-11-30", "medium"),
	T("Анна: Я выкачу фикс до конца месяца.", 1, "выкатить фикс", "Анна", "2025-11-30", "medium"),
	{ "Alice: I'll close the books by end of month.", "2025-12-05T10:00", "UTC", 1, "close the books",
	  "Alice", "2025-12-31", "medium", NULL },
	TM("Alice: I'll ship the fix by 15:00.", 1, "ship the fix", "Alice", "2025-11-26T15:00:00+03:00", "medium"),
	TM("Анна: Я выкачу фикс к 15:00.", 1, "выкатить фикс", "Анна", "2025-11-26T15:00:00+03:00", "medium"),
	TM("Анна: Я выкачу фикс завтра к 10:00.", 1, "выкатить фикс", "Анна", "2025-11-27T10:00:00+03:00", "medium"),
	TM("Alice: I'll ship the fix tomorrow at 3pm.", 1, "ship the fix", "Alice", "2025-11-27T15:00:00+03:00", "medium"),
	TM("Alice: I'll ship the fix in 2 hours.", 1, "ship the fix", "Alice", "2025-11-26T15:00:00+03:00", "medium"),
	{ "Alice: I'll ship the fix by 15:00.", WED, "America/New_York", 1, "ship the fix", "Alice",
	  "2025-11-26T15:00:00-05:00", "medium", NULL },
	/* the zone decides the day: 22:30 UTC is already Thursday in Moscow */
	{ "Alice: I'll ship the fix tomorrow.", "2025-11-26T22:30", "Europe/Moscow", 1, "ship the fix",
	  "Alice", "2025-11-28", "medium", NULL },
	{ "Alice: I'll ship the fix tomorrow.", "2025-11-26T22:30", "UTC", 1, "ship the fix", "Alice",
	  "2025-11-27", "medium", NULL },
	/* a weekday is the next such day after today */
	{ "Alice: I'll ship the fix by Friday.", "2025-11-28T09:00", "UTC", 1, "ship the fix", "Alice",
	  "2025-12-05", "medium", NULL },
	/* a date said in the next sentence of the same message */
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the changelog. Friday at the latest.", 1,
	  "update the changelog", "Bob", "2025-11-28", "medium"),
	T("Alice: I'll update the wiki.", 1, "update the wiki", "Alice", NULL, "medium"),

	/* --- handoffs and moved deadlines keep only the final owner and due --- */
	T("Alice: hi\nBob: hi\nCarol: hi\nAlice: Bob, please update the docs by Friday.\nBob: Actually Carol will do it instead.",
	  1, "update the docs", "Carol", "2025-11-28", "medium"),
	T("Alice: I'll prepare the budget by Friday.\nBob: hi\nAlice: I'll hand the budget over to Bob.", 1,
	  "prepare the budget", "Bob", "2025-11-28", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Someone needs to check the backups by Dec 1.\nBob: I'll take it.", 1,
	  "check the backups", "Bob", "2025-12-01", "medium"),
	T("Alice: We need to book the venue.\nBob: I'll take it, by Friday.", 1, "book the venue", "Bob",
	  "2025-11-28", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday.\nAlice: Let's move the docs deadline to next Wednesday.",
	  1, "update the docs", "Bob", "2025-12-03", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday.\nBob: Can we push it to Monday?\nAlice: OK, the docs can wait until Monday.",
	  1, "update the docs", "Bob", "2025-12-01", "medium"),
	T("Alice: I'll migrate the database by Friday.\nAlice: Actually I'll migrate the database by Monday instead.", 1,
	  "migrate the database", "Alice", "2025-12-01", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday.\nBob: I can't by Friday, but Monday works.",
	  1, "update the docs", "Bob", "2025-12-01", "medium"),
	T("Анна: привет\nБорис: привет\nВера: привет\nАнна: Борис, подготовь отчёт до пятницы.\nБорис: Передаю отчёт Вере.",
	  1, "подготовь отчёт", "Вера", "2025-11-28", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Нужно проверить бэкапы до конца месяца.\nБорис: Беру.", 1,
	  "проверить бэкапы", "Борис", "2025-11-30", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, подготовь отчёт до пятницы.\nАнна: Перенесём отчёт на следующую среду.",
	  1, "подготовь отчёт", "Борис", "2025-12-03", "medium"),
	T("Анна: Я обновлю документацию к пятнице.\nАнна: Срок по документации сдвигаем на понедельник.", 1,
	  "обновить документацию", "Анна", "2025-12-01", "medium"),
	T("Анна: привет\nБорис: привет\nВера: привет\nАнна: Борис, обнови сертификаты завтра.\nАнна: Пусть лучше Вера сделает, Борис занят.",
	  1, "обнови сертификаты", "Вера", "2025-11-27", "medium"),

	/* --- similar titles of different work stay apart; restatements merge --- */
	T("Ann: I will update the API docs by Friday.\nBob: I will update the CLI docs by 2026-12-20.", 2,
	  "update the API docs", "Ann", "2025-11-28", "medium"),
	T("Ann: I will update the API docs by Friday.\nBob: I will update the CLI docs by 2026-12-20.", 2,
	  "update the CLI docs", "Bob", "2026-12-20", "medium"),
	T("Катя: Я обновлю документацию API до пятницы.\nДима: Я обновлю документацию CLI к 20 декабря.", 2,
	  "документацию API", "Катя", "2025-11-28", "medium"),
	T("Катя: Я обновлю документацию API до пятницы.\nДима: Я обновлю документацию CLI к 20 декабря.", 2,
	  "документацию CLI", "Дима", "2025-12-20", "medium"),
	T("Ann: I will fix the login bug by Friday.\nBob: I will fix the logout bug by Monday.", 2,
	  "fix the login bug", "Ann", "2025-11-28", "medium"),
	T("Ann: I will migrate service 1 by Friday.\nAnn: I will migrate service 12 by Monday.", 2,
	  "migrate service 12", "Ann", "2025-12-01", "medium"),
	T("Ann: I'll write the migration plan.\nAnn: I'll finish the migration plan by Friday.", 1,
	  "migration plan", "Ann", "2025-11-28", "medium"),
	T("Ann: I'll write the migration plan.\nAnn: Migration plan by Friday.", 1, "write the migration plan",
	  "Ann", "2025-11-28", "medium"),
	T("Ann: We need to write the migration plan.\nBob: I will do the migration plan by Friday.", 1,
	  "migration plan", "Bob", "2025-11-28", "medium"),

	/* --- "I'll take it" never takes a task someone committed to themselves --- */
	T("Dave: I will set up CI by Friday.\nErin: Who can take the code review?\nZoe: OK, I will take it.", 2,
	  "set up CI", "Dave", "2025-11-28", "medium"),
	T("Dave: I will set up CI by Friday.\nErin: Who can take the code review?\nZoe: OK, I will take it.", 2,
	  "code review", "Zoe", NULL, "medium"),
	T("Dave: Я настрою CI до пятницы.\nЕва: Кто возьмет ревью кода?\nЗоя: Ок, я возьму это.", 2,
	  "настроить CI", "Dave", "2025-11-28", "medium"),
	T("Dave: Я настрою CI до пятницы.\nЕва: Кто возьмет ревью кода?\nЗоя: Ок, я возьму это.", 2,
	  "ревью кода", "Зоя", NULL, "medium"),
	T("Dave: I will set up CI by Friday.\nZoe: OK, I'll take it.", 1, "set up CI", "Dave", "2025-11-28",
	  "medium"),
	T("Dave: I will set up CI by Friday.\nDave: OK, I will take it by Monday.", 1, "set up CI", "Dave",
	  "2025-12-01", "medium"),
	NONE("Erin: Who can take the code review?"),

	/* --- assignments of people who have not spoken --- */
	T("Ann: Bob will prepare the migration plan by Friday.", 1, "prepare the migration plan", "Bob",
	  "2025-11-28", "medium"),
	T("Ann: Dave should update the runbook by next Wednesday.", 1, "update the runbook", "Dave",
	  "2025-12-03", "medium"),
	T("Ann: Then Bob will fix the login bug.", 1, "fix the login bug", "Bob", NULL, "medium"),
	T("Анна: Мария подготовит отчёт к среде.", 1, "отчёт", "Мария", "2025-12-03", "medium"),
	T("Анна: Гриша напишет ADR через неделю.", 1, "ADR", "Гриша", "2025-12-03", "medium"),
	T("Анна: Поручаем Свете настроить алерты к понедельнику.", 1, "настроить алерты", "Света",
	  "2025-12-01", "medium"),
	T("Анна: Поручаем Кате настроить алерты к понедельнику.", 1, "настроить алерты", "Катя",
	  "2025-12-01", "medium"),
	NONE("Ann: Postgres will handle the load."),
	NONE("Ann: It will take a week."),
	NONE("Erin: I'll be on vacation next week."),
	NONE("Дима: Я буду в отпуске на следующей неделе."),
	NONE("Frank: I'm going to lunch."),
	NONE("Ann: Kafka will give us replay."),
	NONE("Ann: Migration will take a week."),
	NONE("Ann: RabbitMQ will deploy faster."),
	NONE("Анна: Это займет неделю."),
	NONE("Анна: Миграция займет неделю."),

	/* a time stamp before the name is not the due */
	T("Ann: hi\n10:35 Carol: I will send the invite today.\n- Dave: I will fix the build by Wednesday.", 2,
	  "send the invite", "Carol", "2025-11-26", "medium"),
	T("Ann: hi\n10:35 Carol: I will send the invite today.\n- Dave: I will fix the build by Wednesday.", 2,
	  "fix the build", "Dave", "2025-12-03", "medium"),

	/* --- false positives of the audit --- */
	NONE("Анна: Обсуждаем, какой брокер сообщений взять для заказов: Kafka или RabbitMQ."),
	NONE("Carol: Frankly, update nothing."),
	NONE("Борис: Хорошо, сделаю."),
	T("Анна: Я подготовлю отчёт до пятницы.\nБорис: привет\nАнна: Хорошо, сделаю.", 1, "отчёт", "Анна",
	  "2025-11-28", "medium"),

	/* --- done, cancelled, rejected, hypothetical: not tasks --- */
	NONE("Alice: I already fixed the login bug."),
	NONE("Alice: I fixed the login bug yesterday."),
	NONE("Alice: The release notes are done."),
	NONE("Alice: We deployed the hotfix this morning."),
	NONE("Анна: Я уже обновила документацию."),
	NONE("Анна: Отчёт готово, отправила вчера."),
	NONE("Анна: Мы сделали миграцию."),
	T("Alice: I'll update the docs by Friday.\nAlice: Docs updated, done.", 0, NULL, NULL, NULL, NULL),
	T("Alice: I'll update the docs by Friday.\nAlice: Done.", 0, NULL, NULL, NULL, NULL),
	T("Анна: Я обновлю доку до пятницы.\nАнна: Готово.", 0, NULL, NULL, NULL, NULL),
	NONE("Alice: The migration task is cancelled."),
	T("Alice: I'll migrate the database by Friday.\nBob: Let's cancel the migration, we don't need it.", 0, NULL,
	  NULL, NULL, NULL),
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday.\nAlice: Never mind, forget about the docs.",
	  0, NULL, NULL, NULL, NULL),
	T("Анна: Я сделаю миграцию до пятницы.\nБорис: Миграцию отменяем.", 0, NULL, NULL, NULL, NULL),
	T("Анна: привет\nБорис: привет\nАнна: Борис, обнови доку завтра.\nАнна: Отбой, не надо.", 0, NULL, NULL, NULL,
	  NULL),
	T("Alice: hi\nBob: hi\nAlice: Bob, can you update the docs by Friday?\nBob: No, I can't.", 0, NULL, NULL, NULL,
	  NULL),
	T("Анна: привет\nБорис: привет\nАнна: Борис, можешь обновить доку к пятнице?\nБорис: Нет, не смогу.", 0, NULL,
	  NULL, NULL, NULL),
	NONE("Alice: We won't rewrite the parser."),
	NONE("Alice: Let's not migrate to Kubernetes this quarter."),
	NONE("Анна: Не будем переписывать парсер."),
	NONE("Alice: Maybe we could rewrite the parser someday."),
	NONE("Alice: If we had time, I would refactor the billing module."),
	NONE("Alice: We might need to upgrade the cluster next year."),
	NONE("Alice: What if we moved to Postgres?"),
	NONE("Анна: Может быть, стоит переписать парсер."),
	NONE("Анна: Если будет время, можно было бы обновить дизайн."),
	NONE("Анна: Возможно, перейдём на Postgres."),
	NONE("Alice: Should we update the docs?"),
	NONE("Alice: I think the docs are fine."),
	NONE("Анна: Я думаю, документация в порядке."),
	NONE("Alice: Thanks everyone, good meeting."),
	NONE("Alice: hi\nBob: hi\nAlice: Bob, what do you think?"),
	NONE("Alice: The meeting is on Friday."),

	/* --- priority --- */
	T("Alice: hi\nBob: hi\nAlice: Bob, please fix the payment bug ASAP.", 1, "fix the payment bug", "Bob", ANY, "high"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please fix the payment bug by Friday, it's urgent.", 1, "fix the payment bug",
	  "Bob", "2025-11-28", "high"),
	T("Alice: I'll fix the crash today. This is a blocker.", 1, "fix the crash", "Alice", "2025-11-26", "high"),
	T("Alice: Critical: I'll patch the auth bypass tonight.", 1, "patch the auth bypass", "Alice", "2025-11-26",
	  "high"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, срочно почини оплату.", 1, "почини оплату", "Борис", ANY, "high"),
	T("Анна: Я починю сборку сегодня, это блокер.", 1, "починить сборку", "Анна", "2025-11-26", "high"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please clean up the old branches, no rush.", 1, "clean up the old branches",
	  "Bob", NULL, "low"),
	T("Alice: I'll tidy the README when I have time... no rush.", 1, "tidy the README", "Alice", NULL, "low"),
	T("Alice: hi\nBob: hi\nAlice: Bob, update the style guide, not urgent.", 1, "update the style guide", "Bob", NULL,
	  "low"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, обнови README, не срочно.", 1, "обнови README", "Борис", NULL, "low"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, почисти старые ветки, когда будет время.", 1, "почисти старые ветки",
	  "Борис", NULL, "low"),
	T("Alice: I'll update the dashboard by Friday.", 1, "update the dashboard", "Alice", "2025-11-28", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please fix the flaky test by Friday.\nAlice: It's urgent.", 1, "fix the flaky test",
	  "Bob", "2025-11-28", "high"),

	/* --- several tasks in one transcript --- */
	T("Alice: hi\nBob: hi\nCarol: hi\nAlice: Bob will update the docs by Friday, and Carol will review them by Monday.",
	  2, "review them", "Carol", "2025-12-01", "medium"),
	T("Alice: hi\nBob: hi\nAlice: I'll write the spec by Friday; Bob, please build the prototype by Dec 10.", 2,
	  "build the prototype", "Bob", "2025-12-10", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Я напишу спецификацию до пятницы, а Борис сделает прототип к 10 декабря.", 2,
	  "прототип", "Борис", "2025-12-10", "medium"),

	/* --- decisions --- */
	D("Alice: Decision: we go with Postgres.", 0, "we go with Postgres"),
	D("Alice: We decided to use Postgres for the event store.", 0, "use Postgres"),
	D("Alice: We decide to migrate billing to Postgres in March.", 0, "migrate billing to Postgres"),
	D("Alice: Let's go with option B.", 0, "option B"),
	D("Alice: OK, agreed: the release is on Monday.", 0, "the release is on Monday"),
	D("Alice: Let's use Redis for the cache.\nBob: Agreed.", 0, "use Redis for the cache"),
	D("Анна: Решили: используем Postgres.", 0, "используем Postgres"),
	D("Анна: Договорились, релиз в понедельник.", 0, "релиз в понедельник"),
	D("Анна: Остановимся на варианте Б.", 0, "варианте Б"),
	D("Анна: Давайте возьмём Redis для кэша.\nБорис: Согласен.", 0, "возьмём Redis"),
	D("Alice: We decided that Bob will migrate the database by Friday.\nBob: ok", 1, "migrate the database"),

	/* --- more phrases teams really write (hardening) --- */
	T("Alice: hi\nBob: hi\nAlice: Bob will set up the staging environment by Tuesday.", 1,
	  "set up the staging environment", "Bob", "2025-12-02", "medium"),
	T("Alice: hi\nDmitri: hi\nAlice: Dmitri, could you rotate the API keys by end of day?", 1,
	  "rotate the API keys", "Dmitri", "2025-11-26", "medium"),
	T("Alice: I'll send the contract to legal in 3 days.", 1, "send the contract to legal", "Alice",
	  "2025-11-29", "medium"),
	T("Alice: hi\nBob: hi\nAlice: @bob please renew the TLS certificate by Dec 15, it's critical.", 1,
	  "renew the TLS certificate", "Bob", "2025-12-15", "high"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please update the onboarding doc by the end of the month.", 1,
	  "update the onboarding doc", "Bob", "2025-11-30", "medium"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please prepare the Q1 budget by 2025-12-05.", 1,
	  "prepare the Q1 budget", "Bob", "2025-12-05", "medium"),
	T("Alice: I will fix the flaky CI job tomorrow, ASAP.", 1, "fix the flaky CI job", "Alice",
	  "2025-11-27", "high"),
	T("Alice: hi\nBob: hi\nAlice: Bob, please write the migration guide by Friday.\n"
	  "Alice: Bob, let's move the migration guide to Monday.", 1, "migration guide", "Bob", "2025-12-01",
	  "medium"),
	NONE("Alice: I already deployed the hotfix yesterday."),
	NONE("Alice: Let's not rewrite the scheduler after all."),
	D("Alice: We decided to go with Postgres for billing.", 0, "Postgres"),
	/* a decision of the past is history, not this discussion's decision */
	{ "Ann: Last year we decided to use MySQL, which was a mistake.\nBob: We decided to use Postgres.",
	  WED, "UTC", 0, NULL, NULL, NULL, NULL, "Postgres" },
	T("Анна: привет\nБорис: привет\nАнна: Борис поднимет реплику до 15 декабря.", 1, "реплику", "Борис",
	  "2025-12-15", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис обновит зависимости к пятнице.", 1, "зависимости", "Борис",
	  "2025-11-28", "medium"),
	T("Анна: привет\nВера: привет\nАнна: Вера проверит логи завтра.", 1, "логи", "Вера", "2025-11-27",
	  "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис настроит мониторинг до 1.12.", 1, "мониторинг", "Борис",
	  "2025-12-01", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис починит деплой в понедельник.", 1, "деплой", "Борис",
	  "2025-12-01", "medium"),
	T("Анна: Я напишу постмортем через 3 дня.", 1, "постмортем", "Анна", "2025-11-29", "medium"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, настрой алерты до конца месяца, это срочно.", 1,
	  "настрой алерты", "Борис", "2025-11-30", "high"),
	T("Анна: привет\nБорис: привет\nАнна: Борис, подготовь демо к 5.12.", 1, "подготовь демо", "Борис",
	  "2025-12-05", "medium"),
	T("Анна: привет\nГлеб: привет\nАнна: Глеб, пожалуйста, продли домен до пятницы.", 1, "продли домен",
	  "Глеб", "2025-11-28", "medium"),
	T("Анна: Я сделаю бэкап базы на следующей неделе, не срочно.", 1, "бэкап базы", "Анна", ANY, "low"),
	D("Анна: Мы решили перейти на Postgres.", 0, "Postgres"),
	NONE("Анна: Я уже обновила сертификаты вчера."),
	NONE("Анна: Давайте не будем переписывать планировщик."),
	NONE("Анна: привет\nБорис: привет\nАнна: Борис предлагает перенести релиз."),
	NONE("Анна: привет\nБорис: привет\nАнна: Борис проверяет логи каждый день."),
	T("Анна: привет\nВера: привет\nАнна: Вера доделает миграцию до пятницы.", 1, "миграцию", "Вера",
	  "2025-11-28", "medium"),
};

static int64_t utc_ms(const char *s)
{
	int y, mo, d, h, mi;

	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi), 5);
	return (xio_dates_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static json_object *run_text(const char *text, const char *now, const char *tz, const char *lang)
{
	struct xio_extract_transcript tr;
	struct xio_extract_opts opts;
	struct xio_err err;
	json_object *out;

	assert_int_equal(xio_extract_parse_transcript(text, strlen(text), utc_ms(now), &tr, &err), 0);
	memset(&opts, 0, sizeof(opts));
	opts.tz = tz;
	opts.lang = lang;
	opts.now_ms = utc_ms(now);
	out = xio_extract_run(tr.msgs, tr.n, &opts, &err);
	xio_extract_transcript_release(&tr);
	if (!out)
		fprintf(stderr, "extract failed: %s\n", err.msg);
	assert_non_null(out);
	return out;
}

static const char *str_or_null(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int field_ok(const char *want, const char *got)
{
	if (want == ANY)
		return 1;
	if (!want || !got)
		return want == got;
	return strcmp(want, got) == 0;
}

/* Checks one case; prints what differs and returns 0 on a mismatch. */
static int check_case(size_t i, const struct ecase *c)
{
	json_object *out = run_text(c->tr, c->now, c->tz, NULL);
	json_object *tasks, *decs, *t = NULL;
	size_t k, n;
	int ok = 1;

	assert_true(json_object_object_get_ex(out, "tasks", &tasks));
	assert_true(json_object_object_get_ex(out, "decisions", &decs));
	n = json_object_array_length(tasks);
	if (c->ntasks >= 0 && n != (size_t)c->ntasks)
		ok = 0;
	if (c->title) {
		for (k = 0; k < n && !t; k++) {
			const char *ti = str_or_null(json_object_array_get_idx(tasks, k), "title");

			if (ti && strstr(ti, c->title))
				t = json_object_array_get_idx(tasks, k);
		}
		if (!t || !field_ok(c->owner, str_or_null(t, "owner")) ||
		    !field_ok(c->due, str_or_null(t, "due")) ||
		    (c->prio && !field_ok(c->prio, str_or_null(t, "priority"))))
			ok = 0;
	}
	if (c->decision) {
		int found = 0;

		for (k = 0; k < json_object_array_length(decs); k++) {
			const char *dt = str_or_null(json_object_array_get_idx(decs, k), "text");

			if (dt && strstr(dt, c->decision))
				found = 1;
		}
		ok &= found;
	}
	if (!ok)
		fprintf(stderr, "case %zu failed:\n  %s\n  got %s\n", i, c->tr,
			json_object_to_json_string_ext(out, JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	return ok;
}

static void test_table(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < XIO_ARRAY_LEN(cases); i++)
		failed += !check_case(i, &cases[i]);
	printf("extract: %zu table cases, %zu failed\n", XIO_ARRAY_LEN(cases), failed);
	assert_int_equal(failed, 0);
}

static json_object *get(json_object *o, const char *path0, size_t idx)
{
	json_object *a;

	assert_true(json_object_object_get_ex(o, path0, &a));
	assert_true(idx < json_object_array_length(a));
	return json_object_array_get_idx(a, idx);
}

static void test_alternatives(void **state)
{
	json_object *out, *alt, *arr;

	(void)state;
	out = run_text("Bob: Option A: ship on Monday. Pro: faster feedback. Con: less testing.\n"
		       "Carol: Option B: ship next month. Pros: more testing. Cons: the customer waits.",
		       WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_string_equal(str_or_null(alt, "title"), "ship on Monday");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "faster feedback");
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "less testing");
	alt = get(out, "alternatives", 1);
	assert_string_equal(str_or_null(alt, "title"), "ship next month");
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "the customer waits");
	assert_true(json_object_object_get_ex(out, "tasks", &arr));
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(out);

	out = run_text("Анна: Вариант 1: Postgres, плюс: надёжно, минус: дороже.\nБорис: Альтернатива: MongoDB.",
		       WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_string_equal(str_or_null(alt, "title"), "Postgres");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "надёжно");
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "дороже");
	assert_string_equal(str_or_null(get(out, "alternatives", 1), "title"), "MongoDB");
	json_object_put(out);

	/* "Option:" without a letter is an alternative of its own, and "is" is
	 * not part of a title */
	out = run_text("Ann: Option A is Postgres. Pro: mature.\n"
		       "Bob: Option: Hazelcast. Pro: embedded. Con: JVM only.", WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_string_equal(str_or_null(alt, "title"), "Postgres");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_int_equal(json_object_array_length(arr), 1);
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_int_equal(json_object_array_length(arr), 0);
	alt = get(out, "alternatives", 1);
	assert_string_equal(str_or_null(alt, "title"), "Hazelcast");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "embedded");
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "JVM only");
	json_object_put(out);

	out = run_text("Анна: Вариант: Redis. Плюс: быстро.", WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_string_equal(str_or_null(alt, "title"), "Redis");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), "быстро");
	json_object_put(out);

	/* a pro said a few messages after the last option named is about
	 * something else: it is not credited to that option */
	out = run_text("Ann: Option A: Postgres.\nBob: hi\nCarol: hi\nDan: Pro: embedded.", WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(out);

	out = run_text("Alice: Or we could keep MySQL.", WED, "UTC", NULL);
	assert_string_equal(str_or_null(get(out, "alternatives", 0), "title"), "keep MySQL");
	json_object_put(out);

	/* named before the phrase, with its pros and cons */
	out = run_text("Bob: I think Pulumi is another option; pro: real programming language; "
		       "con: smaller community.", WED, "UTC", NULL);
	alt = get(out, "alternatives", 0);
	assert_string_equal(str_or_null(alt, "title"), "Pulumi");
	assert_true(json_object_object_get_ex(alt, "pros", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)),
			    "real programming language");
	assert_true(json_object_object_get_ex(alt, "cons", &arr));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)),
			    "smaller community");
	json_object_put(out);
	/* a list: one alternative each */
	out = run_text("Ann: The options are Redis, Memcached and Hazelcast.", WED, "UTC", NULL);
	assert_string_equal(str_or_null(get(out, "alternatives", 0), "title"), "Redis");
	assert_string_equal(str_or_null(get(out, "alternatives", 1), "title"), "Memcached");
	assert_string_equal(str_or_null(get(out, "alternatives", 2), "title"), "Hazelcast");
	json_object_put(out);
	out = run_text("Аня: Варианты: Kafka или RabbitMQ.", WED, "UTC", NULL);
	assert_string_equal(str_or_null(get(out, "alternatives", 0), "title"), "Kafka");
	assert_string_equal(str_or_null(get(out, "alternatives", 1), "title"), "RabbitMQ");
	json_object_put(out);
}

static int int_of(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int(v);
}

static void test_risks(void **state)
{
	json_object *out, *r;

	(void)state;
	out = run_text("Alice: Risk: the migration may cause data loss. Mitigation: take a backup first.",
		       WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_string_equal(str_or_null(r, "description"), "the migration may cause data loss");
	assert_int_equal(int_of(r, "impact"), 4);
	assert_int_equal(int_of(r, "probability"), 3);
	assert_string_equal(str_or_null(r, "mitigation"), "take a backup first");
	json_object_put(out);

	out = run_text("Alice: The risk is that the vendor is late, unlikely though.", WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_non_null(strstr(str_or_null(r, "description"), "the vendor is late"));
	assert_int_equal(int_of(r, "impact"), 3);
	assert_int_equal(int_of(r, "probability"), 2);
	assert_null(str_or_null(r, "mitigation"));
	json_object_put(out);

	out = run_text("Анна: Риск: упадёт прод при миграции, влияние 5, вероятность 2.\n"
		       "Борис: Митигация: мигрировать ночью.", WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_non_null(strstr(str_or_null(r, "description"), "упадёт прод"));
	assert_int_equal(int_of(r, "impact"), 5);
	assert_int_equal(int_of(r, "probability"), 2);
	assert_string_equal(str_or_null(r, "mitigation"), "мигрировать ночью");
	json_object_put(out);

	out = run_text("Анна: Есть риск, что скорее всего не успеем к релизу.", WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_int_equal(int_of(r, "probability"), 4);
	json_object_put(out);

	/* the scores are read wherever they stand, and are not the description */
	out = run_text("Bob: The main risk is cache stampede after a deploy; high impact, low "
		       "probability.", WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_string_equal(str_or_null(r, "description"), "cache stampede after a deploy");
	assert_int_equal(int_of(r, "impact"), 4);
	assert_int_equal(int_of(r, "probability"), 2);
	json_object_put(out);
	out = run_text("Ева: Риск: потеря данных при миграции, влияние высокое, вероятность низкая.",
		       WED, "UTC", NULL);
	r = get(out, "risks", 0);
	assert_string_equal(str_or_null(r, "description"), "потеря данных при миграции");
	assert_int_equal(int_of(r, "impact"), 4);
	assert_int_equal(int_of(r, "probability"), 2);
	json_object_put(out);
	/* the measure, not "it with" */
	out = run_text("Gil: A risk is that latency grows; we can mitigate it with a cache.", WED,
		       "UTC", NULL);
	r = get(out, "risks", 0);
	assert_string_equal(str_or_null(r, "mitigation"), "a cache");
	json_object_put(out);
}

static double conf_of(const char *text)
{
	json_object *out = run_text(text, WED, "UTC", NULL);
	json_object *t = get(out, "tasks", 0), *v;
	double c;

	assert_true(json_object_object_get_ex(t, "confidence", &v));
	c = json_object_get_double(v);
	json_object_put(out);
	return c;
}

/* Confidence grows with each signal found: owner, due, priority. */
static void test_confidence(void **state)
{
	double bare, owner, owner_due, all;

	(void)state;
	bare = conf_of("Alice: TODO: update the docs by Friday.");
	owner = conf_of("Alice: hi\nBob: hi\nAlice: Bob, please update the docs.");
	owner_due = conf_of("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday.");
	all = conf_of("Alice: hi\nBob: hi\nAlice: Bob, please update the docs by Friday, urgent.");
	assert_true(bare > 0 && bare < owner_due);
	assert_true(owner < owner_due);
	assert_true(owner_due < all);
	assert_true(all <= 1.0);
}

/* A name guessed from a capitalised word counts for less than a participant's. */
static void test_confidence_guessed_owner(void **state)
{
	double guessed, known;

	(void)state;
	guessed = conf_of("Ann: Bob will prepare the migration plan by Friday.");
	known = conf_of("Ann: hi\nBob: hi\nAnn: Bob will prepare the migration plan by Friday.");
	assert_true(guessed < known);
}

static void test_source_and_shape(void **state)
{
	const struct xio_extract_msg msgs[] = {
		{ "Alice", "Let's discuss.", 0, "m1" },
		{ "Bob", "I'll update the docs by Friday.", 0, "m2" },
	};
	struct xio_extract_opts opts = { NULL, "UTC", 0, NULL, 0 };
	struct xio_err err;
	json_object *out, *t;

	(void)state;
	opts.now_ms = utc_ms(WED);
	out = xio_extract_run(msgs, 2, &opts, &err);
	assert_non_null(out);
	t = get(out, "tasks", 0);
	assert_string_equal(str_or_null(t, "source"), "m2");
	assert_string_equal(str_or_null(t, "owner"), "Bob");
	assert_string_equal(str_or_null(t, "priority"), "medium");
	json_object_put(out);

	/* participants named in opts are owners even if they never spoke */
	{
		const char *const people[] = { "Dmitry" };
		const struct xio_extract_msg m = { "Alice", "Dmitry, please renew the domain.", 0, NULL };

		opts.participants = people;
		opts.nparticipants = 1;
		out = xio_extract_run(&m, 1, &opts, &err);
		assert_non_null(out);
		t = get(out, "tasks", 0);
		assert_string_equal(str_or_null(t, "owner"), "Dmitry");
		assert_string_equal(str_or_null(t, "source"), "0");
		json_object_put(out);
	}
}

static const char *final_decision(const char *tr)
{
	static char text[256];
	json_object *out = run_text(tr, WED, "UTC", NULL), *decs;
	int k;

	assert_true(json_object_object_get_ex(out, "decisions", &decs));
	k = xio_extract_final_decision(decs);
	text[0] = '\0';
	if (k >= 0)
		snprintf(text, sizeof(text), "%s", str_or_null(json_object_array_get_idx(decs, (size_t)k), "text"));
	json_object_put(out);
	return k >= 0 ? text : NULL;
}

/* A later decision supersedes an earlier one; a weaker one does not. */
static void test_final_decision(void **state)
{
	(void)state;
	assert_string_equal(final_decision("Ann: We decided to use Kafka.\n"
					   "Bob: Wait, Kafka ops cost is too high.\n"
					   "Ann: OK, we changed our mind: we will go with RabbitMQ instead."),
			    "OK, we changed our mind: we will go with RabbitMQ instead");
	assert_string_equal(final_decision("Ann: We decided to use Kafka.\nBob: Let's go with Redis then."),
			    "We decided to use Kafka");
	assert_string_equal(final_decision("Ann: Let's go with Redis.\nBob: Let's go with Kafka."),
			    "Let's go with Kafka");
	assert_null(final_decision("Ann: hi"));
	assert_null(final_decision("Ann: Last year we decided to use MySQL, which was a mistake."));
	assert_null(final_decision("Анна: В прошлом году решили использовать MySQL, и это была ошибка."));
	assert_int_equal(xio_extract_final_decision(NULL), -1);
}

/* A title is the work itself: no priority words, markers, hedges or "I'll
 * do it" around it, and a Russian verb in the infinitive. */
static void test_titles(void **state)
{
	static const struct {
		const char *tr, *title;
	} cases[] = {
		{ "Ann: Low priority: I will clean up the old branches.", "clean up the old branches" },
		{ "Ann: I will fix the login bug, high priority.", "fix the login bug" },
		{ "Ann: Note: I will order the hardware by Dec 1.", "order the hardware" },
		{ "Ann: I'll probably look into TTL tuning.", "look into TTL tuning" },
		{ "Катя: Я напишу план отката до пятницы.", "написать план отката" },
		{ "Мария: привет\nБоб: Мария подготовит отчёт к среде.", "подготовить отчёт" },
		{ "Аня: Беру на себя миграцию схемы, сделаю к среде.", "миграцию схемы" },
		{ "Дима: За мной настройка CI.", "настройка CI" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *out = run_text(cases[i].tr, WED, "UTC", NULL);

		assert_string_equal(str_or_null(get(out, "tasks", 0), "title"), cases[i].title);
		json_object_put(out);
	}
}

/* The reason said with a decision is its rationale, not part of it. */
static void test_rationale(void **state)
{
	static const struct {
		const char *tr, *text, *why;
	} cases[] = {
		{ "Ann: We decided to go with dual-write for a month because it lets us roll back.",
		  "We decided to go with dual-write for a month", "it lets us roll back" },
		{ "Аня: Решили делать двойную запись, потому что так можно откатиться.",
		  "Решили делать двойную запись", "так можно откатиться" },
		{ "Аня: Договорились переехать в марте, чтобы успеть до аудита.",
		  "Договорились переехать в марте", "успеть до аудита" },
		{ "Bob: We decided to ship on Monday.", "We decided to ship on Monday", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *out = run_text(cases[i].tr, WED, "UTC", NULL), *d;

		d = get(out, "decisions", 0);
		assert_non_null(d);
		assert_string_equal(str_or_null(d, "text"), cases[i].text);
		if (cases[i].why)
			assert_string_equal(str_or_null(d, "rationale"), cases[i].why);
		else
			assert_null(str_or_null(d, "rationale"));
		json_object_put(out);
	}
}

static void test_lang(void **state)
{
	json_object *out, *arr;

	(void)state;
	out = run_text("Анна: Я сделаю ревью до завтра.", WED, "UTC", "en");
	assert_true(json_object_object_get_ex(out, "tasks", &arr));
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(out);
	out = run_text("Анна: Я сделаю ревью до завтра.", WED, "UTC", "ru");
	assert_true(json_object_object_get_ex(out, "tasks", &arr));
	assert_int_equal(json_object_array_length(arr), 1);
	json_object_put(out);
}

static void test_errors(void **state)
{
	const struct xio_extract_msg m = { "Alice", "I'll do it.", 0, NULL };
	struct xio_extract_opts opts = { NULL, "Nowhere/Zone", 0, NULL, 0 };
	struct xio_err err;

	(void)state;
	assert_null(xio_extract_run(&m, 1, &opts, &err));
	assert_int_equal(err.code, XIO_ENOTFOUND);
	assert_non_null(strstr(err.msg, "Nowhere/Zone"));
	opts.tz = NULL;
	opts.lang = "fr";
	assert_null(xio_extract_run(&m, 1, &opts, &err));
	assert_int_equal(err.code, XIO_EINVAL);
	assert_non_null(strstr(err.msg, "fr"));
	/* no messages: empty arrays */
	opts.lang = NULL;
	{
		json_object *out = xio_extract_run(NULL, 0, &opts, &err), *arr;

		assert_non_null(out);
		assert_true(json_object_object_get_ex(out, "tasks", &arr));
		assert_int_equal(json_object_array_length(arr), 0);
		json_object_put(out);
	}
}

static void test_transcript(void **state)
{
	const char *text;
	struct xio_extract_transcript tr;
	struct xio_err err;

	(void)state;
	text = "intro line\r\n"
	       "Alice: first\r\n"
	       "  continued here\n"
	       "[10:02] Bob Smith: second: with colon\n"
	       "see https://example.com: not a speaker\n"
	       "\n"
	       "15:00: still Bob\n"
	       "Carol:";
	assert_int_equal(xio_extract_parse_transcript(text, strlen(text), 42, &tr, &err), 0);
	assert_int_equal(tr.n, 4);
	assert_null(tr.msgs[0].author);
	assert_string_equal(tr.msgs[0].text, "intro line");
	assert_string_equal(tr.msgs[1].author, "Alice");
	assert_string_equal(tr.msgs[1].text, "first\n  continued here");
	assert_string_equal(tr.msgs[2].author, "Bob Smith");
	assert_string_equal(tr.msgs[2].text,
			    "second: with colon\nsee https://example.com: not a speaker\n15:00: still Bob");
	assert_string_equal(tr.msgs[3].author, "Carol");
	assert_string_equal(tr.msgs[3].text, "");
	assert_int_equal(tr.msgs[3].time_ms, 42);
	xio_extract_transcript_release(&tr);

	/* a time stamp or a bullet before the name */
	text = "Ann: hi\n"
	       "10:35 Carol: I will send the invite today.\n"
	       "- Dave: I will fix the build by Wednesday.\n"
	       "9:05:07 Erin: third\n"
	       "\xe2\x80\xa2 Frank: fourth\n"
	       "- an item\n"
	       "10:40 and then";
	assert_int_equal(xio_extract_parse_transcript(text, strlen(text), 42, &tr, &err), 0);
	assert_int_equal(tr.n, 5);
	assert_string_equal(tr.msgs[1].author, "Carol");
	assert_string_equal(tr.msgs[1].text, "I will send the invite today.");
	assert_string_equal(tr.msgs[2].author, "Dave");
	assert_string_equal(tr.msgs[3].author, "Erin");
	assert_string_equal(tr.msgs[4].author, "Frank");
	assert_string_equal(tr.msgs[4].text, "fourth\n- an item\n10:40 and then");
	xio_extract_transcript_release(&tr);

	assert_int_equal(xio_extract_parse_transcript("", 0, 0, &tr, &err), 0);
	assert_int_equal(tr.n, 0);
	xio_extract_transcript_release(&tr);
}

/* A console line opening with a marker the extractor reads is its
 * author's own message, marker included; a real name still speaks. */
static void test_console_markers(void **state)
{
	static const char *const own[] = {
		"Решили: идём на двойную запись.", "Decision: we go with GitHub Actions.",
		"TODO: Bob updates the docs.", "Action item: Carol writes the runbook.",
		"Note: staging is down.", "Plan: migrate in May.", "Risk: we lose invoices.",
		"Итог: берём Postgres.", "Задача: Боб обновит доку.", "DECISION: shout",
	};
	char line[128], author[64];
	const char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		snprintf(line, sizeof(line), "%s", own[i]);
		assert_int_equal(xio_console_parse_line(line, "you", author, sizeof(author), &text), 1);
		assert_string_equal(author, "you");
		assert_string_equal(text, own[i]);
	}
	snprintf(line, sizeof(line), "Carol Ann: I'll write it.");
	assert_int_equal(xio_console_parse_line(line, "you", author, sizeof(author), &text), 1);
	assert_string_equal(author, "Carol Ann");
	assert_string_equal(text, "I'll write it.");
	assert_true(xio_extract_is_marker("todo", 4));
	assert_false(xio_extract_is_marker("Bob", 3));
	assert_false(xio_extract_is_marker("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_risks),
		cmocka_unit_test(test_confidence),
		cmocka_unit_test(test_confidence_guessed_owner),
		cmocka_unit_test(test_source_and_shape),
		cmocka_unit_test(test_final_decision),
		cmocka_unit_test(test_rationale),
		cmocka_unit_test(test_titles),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_transcript),
		cmocka_unit_test(test_console_markers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
