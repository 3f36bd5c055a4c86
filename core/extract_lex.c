/*
 * extract_lex.c — the phrase lexicons of the rule-based extractor, English
 * and Russian side by side, and the matcher that reads them (see
 * extract_int.h for the phrase syntax).  Adding a phrase here is the usual
 * way to teach the extractor a new wording; the table-driven tests in
 * tests/unit/test_extract.c show what each list is for.
 */
#include "extract_int.h"

#include <string.h>

const char *const xio_extract_lex_decision_strong[] = {
	"decision:", "final decision", "we decided", "we've decided", "we have decided",
	"it's decided", "it is decided", "decided to", "decided that", "we agreed",
	"we've agreed", "we have agreed", "agreed to", "agreed that", "we're going with",
	"we are going with", "we will go with", "we'll go with", "the decision is",
	"we decide to", "we decide that", "we decide on",
	"решение:", "решили", "решено", "договорились", "приняли решение",
	"принято решение", "итог:", "итого:", "остановимся на", "остановились на",
	"согласовали", NULL
};

const char *const xio_extract_lex_decision[] = {
	"let's go with", "lets go with", "let's go for", "go with", "agreed:", "agreed,",
	"consensus:", "we'll use", "we will use", "we'll stick with", "settled on",
	"выбираем", "выбрали", "берем вариант", "идем с", "идем по варианту",
	"делаем так:", "утвердили", NULL
};

const char *const xio_extract_lex_because[] = {
	"because", "given that", "so that", "in order to", "потому что", "так как", "поскольку",
	"из-за того, что", "из-за того что", ", чтобы", "ведь", NULL
};

const char *const xio_extract_lex_decision_past[] = {
	"last year", "last month", "last quarter", "last time", "years ago", "back then",
	"in the past", "previously", "was a mistake", "в прошлом году", "в прошлом месяце",
	"в прошлом квартале", "в прошлый раз", "год назад", "когда-то", "была ошибка",
	"было ошибкой", "оказалось ошибкой", NULL
};

const char *const xio_extract_lex_decision_label[] = {
	"decision:", "final decision:", "consensus:", "agreed:", "we decided:", "решение:",
	"итог:", "итого:", "решили:", "договорились:", NULL
};

const char *const xio_extract_lex_agree_reply[] = {
	"agreed", "agree", "+1", "deal", "sounds good", "let's do it", "let's do that",
	"согласен", "согласна", "согласны", "договорились", "давайте так", "ок, так и сделаем",
	"так и сделаем", "поддерживаю", NULL
};

const char *const xio_extract_lex_proposal[] = {
	"let's", "lets", "i propose", "i suggest", "how about", "we should", "давайте",
	"давай", "предлагаю", "может,", NULL
};

const char *const xio_extract_lex_negation[] = {
	"not", "haven't", "didn't", "don't", "no", "не", "нет", "ничего", NULL
};

const char *const xio_extract_lex_alternative[] = {
	"option a:", "option b:", "option c:", "option 1:", "option 2:", "option 3:",
	"option a", "option b", "option c", "option 1", "option 2", "option 3",
	"option:", "alternative:", "alternatively,", "alternatively", "an alternative is",
	"another option is", "another option:", "or we could", "we could also",
	"вариант а:", "вариант б:", "вариант в:", "вариант 1:", "вариант 2:", "вариант 3:",
	"вариант а", "вариант б", "вариант в", "вариант 1", "вариант 2", "вариант 3",
	"вариант:", "альтернатива:", "альтернатива", "альтернативно", "другой вариант", "либо",
	"или можно", NULL
};

/* "Pulumi is another option": the alternative is named before the phrase */
const char *const xio_extract_lex_alternative_after[] = {
	"is another option", "is also an option", "is an option", "is another alternative",
	"is an alternative", "would be another option", "тоже вариант", "тоже как вариант",
	"как вариант", "еще один вариант", NULL
};

/* "Options: Kafka or Pulsar", "Варианты: Kafka или RabbitMQ": a list */
const char *const xio_extract_lex_alternative_list[] = {
	"the options are", "our options are", "options are", "options:", "the choices are",
	"choices:", "варианты:", "есть варианты:", "варианты такие:", "варианты —", "варианты -",
	NULL
};

/* the separators of such a list */
const char *const xio_extract_lex_list_sep[] = {
	", or ", " or ", ", and ", " and ", ", ", " или ", " либо ", " и ", NULL
};

const char *const xio_extract_lex_pro[] = {
	"pro:", "pros:", "plus:", "upside:", "advantage:", "плюс:", "плюсы:",
	"преимущество:", "плюс в том, что", "плюс -", "плюс —", NULL
};

const char *const xio_extract_lex_con[] = {
	"con:", "cons:", "minus:", "downside:", "drawback:", "disadvantage:", "минус:",
	"минусы:", "недостаток:", "минус в том, что", "минус -", "минус —", NULL
};

const char *const xio_extract_lex_risk[] = {
	"risk:", "risks:", "the risk is", "risk is", "a risk", "the risk", "risky",
	"there's a risk", "there is a risk", "риск:", "риски:", "риск в том",
	"есть риск", "рискуем", "риск", "рискованно", NULL
};

const char *const xio_extract_lex_mitigation[] = {
	"mitigation:", "mitigate by", "to mitigate", "mitigated by", "we can mitigate",
	"митигация:", "смягчение:", "снизим риск", "чтобы снизить риск",
	"чтобы избежать", "снижение:", NULL
};

const char *const xio_extract_lex_impact_high[] = {
	"high impact", "impact: high", "critical", "catastrophic", "severe", "major",
	"data loss", "outage", "влияние: высокое", "высокое влияние", "влияние высокое", "критичн*",
	"катастроф*", "серьезн*", "потеря данных", "падение прода", NULL
};

const char *const xio_extract_lex_impact_low[] = {
	"low impact", "impact: low", "minor", "cosmetic", "влияние: низкое", "влияние низкое",
	"низкое влияние", "незначительн*", "мелк*", NULL
};

const char *const xio_extract_lex_prob_high[] = {
	"likely", "probably", "high probability", "probability: high", "very likely",
	"almost certain", "вероятно", "скорее всего", "высокая вероятность", "вероятность высокая",
	"вероятность: высокая", "почти наверняка", NULL
};

const char *const xio_extract_lex_prob_low[] = {
	"unlikely", "low probability", "probability: low", "rare", "rarely",
	"маловероятно", "низкая вероятность", "вероятность: низкая", "вероятность низкая", "редко",
	NULL
};

const char *const xio_extract_lex_label[] = {
	"action item:", "action items:", "action:", "ai:", "todo:", "to do:", "to-do:",
	"task:", "follow-up:", "follow up:", "next step:", "задача:", "задачи:", "todo -",
	"экшн:", "поручение:", "следующий шаг:", NULL
};

/* Line openers that no lexicon above reads but that are no speaker's name
 * either: a console line "Plan: ..." is its author's own message. */
const char *const xio_extract_lex_marker[] = {
	"note:", "notes:", "plan:", "summary:", "conclusion:", "update:", "fyi:",
	"important:", "question:", "idea:", "proposal:", "problem:", "issue:", "context:",
	"заметка:", "примечание:", "план:", "вывод:", "выводы:", "резюме:", "важно:",
	"вопрос:", "идея:", "предложение:", "проблема:", "контекст:", NULL
};

const char *const xio_extract_lex_self[] = {
	"i'll", "i will", "i'm going to", "i am going to", "i'm gonna", "let me",
	"i can take", "i'll take", "i take", "i'm on it", "on me", "i can do",
	"i shall", "i'm taking", "i am taking", "i can handle", "i'll handle",
	"я сделаю", "я возьму", "возьму на себя", "беру на себя", "я займусь",
	"я беру", "я могу взять", "могу взять", "за мной", "на мне", NULL
};

const char *const xio_extract_lex_self_verb_ru[] = {
	"сделаю", "подготовлю", "напишу", "проверю", "посмотрю", "обновлю", "исправлю",
	"отправлю", "пришлю", "займусь", "возьму", "разберусь", "добавлю", "настрою",
	"подниму", "соберу", "созвонюсь", "свяжусь", "организую", "запущу", "выложу",
	"допишу", "доделаю", "починю", "оформлю", "опишу", "протестирую", "задеплою",
	"выкачу", "закажу", "уточню", "сравню", "перепишу", "подключу", "оценю",
	"договорюсь", "сверстаю", "внедрю", "обновлю", "переведу", "перенесу",
	"удалю", "заведу", "создам", NULL
};

const char *const xio_extract_lex_agent_verb_ru[] = {
	"сделает", "подготовит", "напишет", "проверит", "посмотрит", "обновит", "исправит",
	"отправит", "пришлет", "займется", "возьмет", "разберется", "добавит", "настроит",
	"поднимет", "соберет", "свяжется", "организует", "запустит", "выложит", "допишет",
	"доделает", "починит", "оформит", "опишет", "протестирует", "задеплоит", "выкатит",
	"закажет", "уточнит", "сравнит", "перепишет", "подключит", "оценит", "внедрит",
	"переведет", "перенесет", "удалит", "заведет", "создаст", NULL
};

/* A Russian task verb as said ("напишу", "напишет") and as a title starts
 * ("написать"): the first and third person future forms the lexicons
 * above know, folded (е for ё). */
const char *const xio_extract_lex_ru_infinitive[][2] = {
	{ "сделаю", "сделать" }, { "сделает", "сделать" }, { "подготовлю", "подготовить" },
	{ "подготовит", "подготовить" }, { "напишу", "написать" }, { "напишет", "написать" },
	{ "проверю", "проверить" }, { "проверит", "проверить" }, { "посмотрю", "посмотреть" },
	{ "посмотрит", "посмотреть" }, { "обновлю", "обновить" }, { "обновит", "обновить" },
	{ "исправлю", "исправить" }, { "исправит", "исправить" }, { "отправлю", "отправить" },
	{ "отправит", "отправить" }, { "пришлю", "прислать" }, { "пришлет", "прислать" },
	{ "займусь", "заняться" }, { "займется", "заняться" }, { "возьму", "взять" },
	{ "возьмет", "взять" }, { "разберусь", "разобраться" }, { "разберется", "разобраться" },
	{ "добавлю", "добавить" }, { "добавит", "добавить" }, { "настрою", "настроить" },
	{ "настроит", "настроить" }, { "подниму", "поднять" }, { "поднимет", "поднять" },
	{ "соберу", "собрать" }, { "соберет", "собрать" }, { "созвонюсь", "созвониться" },
	{ "созвонится", "созвониться" }, { "свяжусь", "связаться" }, { "свяжется", "связаться" },
	{ "организую", "организовать" }, { "организует", "организовать" },
	{ "запущу", "запустить" }, { "запустит", "запустить" }, { "выложу", "выложить" },
	{ "выложит", "выложить" }, { "допишу", "дописать" }, { "допишет", "дописать" },
	{ "доделаю", "доделать" }, { "доделает", "доделать" }, { "починю", "починить" },
	{ "починит", "починить" }, { "оформлю", "оформить" }, { "оформит", "оформить" },
	{ "опишу", "описать" }, { "опишет", "описать" }, { "протестирую", "протестировать" },
	{ "протестирует", "протестировать" }, { "задеплою", "задеплоить" },
	{ "задеплоит", "задеплоить" }, { "выкачу", "выкатить" }, { "выкатит", "выкатить" },
	{ "закажу", "заказать" }, { "закажет", "заказать" }, { "уточню", "уточнить" },
	{ "уточнит", "уточнить" }, { "сравню", "сравнить" }, { "сравнит", "сравнить" },
	{ "перепишу", "переписать" }, { "перепишет", "переписать" }, { "подключу", "подключить" },
	{ "подключит", "подключить" }, { "оценю", "оценить" }, { "оценит", "оценить" },
	{ "договорюсь", "договориться" }, { "договорится", "договориться" },
	{ "сверстаю", "сверстать" }, { "сверстает", "сверстать" }, { "внедрю", "внедрить" },
	{ "внедрит", "внедрить" }, { "переведу", "перевести" }, { "переведет", "перевести" },
	{ "перенесу", "перенести" }, { "перенесет", "перенести" }, { "удалю", "удалить" },
	{ "удалит", "удалить" }, { "заведу", "завести" }, { "заведет", "завести" },
	{ "создам", "создать" }, { "создаст", "создать" }, { "проведу", "провести" },
	{ "проведет", "провести" }, { "согласую", "согласовать" }, { "согласует", "согласовать" }, { NULL, NULL }
};

const char *const xio_extract_lex_self_not[] = {
	"i'll think", "i will think", "i'll let you know", "i'll see", "i will see",
	"let me think", "let me know", "let me check if", "я думаю", "я считаю",
	"я предлагаю", "я говорю", "я хочу", "я знаю", "я понимаю", "я вижу",
	"я помню", "я боюсь", "я полагаю", "я сомневаюсь", "я прошу", "подумаю",
	/* where one will be, not work one takes on */
	"i'll be on vacation", "i will be on vacation", "i'll be on leave", "i'll be out",
	"i will be out", "i'll be away", "i will be away", "i'll be off", "i'm off",
	"i'm going to lunch", "i am going to lunch", "i'm going home", "i'll be back",
	"буду в отпуске", "буду на больничном", "буду в отъезде", "иду на обед", "ухожу домой",
	"буду на связи", NULL
};

const char *const xio_extract_lex_agent_after[] = {
	"will", "'ll", "to", "is going to", "is gonna", "should", "needs to", "need to",
	"must", "can take", "takes", "will take", "owns", "is on", "is responsible for",
	"please", "can you", "could you", "would you", "сделает", "подготовит", "возьмет",
	"займется", "берет", "отвечает за", "напишет", "проверит", "обновит", "исправит",
	"отправит", "пришлет", "посмотрит", "настроит", "соберет", "организует", "оформит",
	"должен", "должна", "пожалуйста", "можешь", "сможешь", "надо", "нужно",
	"подготовь", "сделай", "проверь", "напиши", "посмотри", "обнови", "исправь",
	"отправь", "пришли", "добавь", "займись", "возьми", NULL
};

const char *const xio_extract_lex_not_agent[] = {
	"it", "this", "that", "these", "those", "we", "they", "he", "she", "you", "i", "there",
	"here", "everything", "everyone", "everybody", "nobody", "no one", "someone", "somebody",
	"something", "anyone", "anybody", "anything", "nothing", "who", "what", "which", "one",
	"each", "all", "both", "either", "neither", "none", "then", "so", "and", "but", "also",
	"maybe", "perhaps", "now", "today", "tomorrow", "team", "the", "our", "your", "their",
	"my", "his", "her", "its", "frankly", "honestly", "actually", "basically", "please",
	"postgres", "postgresql", "mysql", "mariadb", "kafka", "redis", "mongo", "mongodb",
	"kubernetes", "docker", "nginx", "jenkins", "terraform", "ansible", "grafana",
	"prometheus", "sentry", "clickhouse", "cassandra", "hazelcast", "airflow", "spark",
	"vault", "consul", "helm", "linux", "python", "java", "rust", "node", "react", "celery",
	"sqlite", "oracle", "snowflake", "datadog", "slack", "jira", "notion", "confluence",
	"telegram", "zoom", "google", "amazon", "azure", "github", "gitlab", "elasticsearch",
	"это", "этот", "эта", "эти", "тот", "та", "то", "он", "она", "оно", "они", "мы", "вы",
	"ты", "я", "кто", "что", "все", "никто", "кто-то", "кто-нибудь", "каждый", "команда",
	"сервис", "система", "там", "тогда", "потом", "сначала", "сейчас", "сегодня", "завтра",
	NULL
};

const char *const xio_extract_lex_agent_before[] = {
	"assign to", "assigned to", "assign it to", "owner:", "owner is", "owner -",
	"owner —", "ask", "have", "let", "for", "пусть", "поручим", "поручаю", "поручить",
	"поручаем", "ответственный:", "ответственный -", "ответственный —",
	"ответственная:", "ответственный", "назначим", "назначаем", "назначить",
	"назначаю", "попросим", "попроси", "на", "assignee:", "исполнитель:", "пусть лучше",
	"лучше", NULL
};

const char *const xio_extract_lex_open_call[] = {
	"who can take", "who will take", "who can", "who will", "who could", "who wants to",
	"who's taking", "can anyone", "can someone", "could someone", "could anyone",
	"any volunteers to", "anyone want to", "кто может взять", "кто возьмет", "кто может",
	"кто сделает", "кто сможет", "кто займется", "кто готов", "кто-нибудь может", NULL
};

const char *const xio_extract_lex_request[] = {
	"can you", "could you", "would you", "will you", "can u", "could u", "would you mind",
	"можешь", "сможешь", "не мог бы", "не могла бы", "не могли бы", "могли бы вы",
	"можете", "сможете", "прошу", "возьмешь", "возьмете", "сделаешь", "подготовишь",
	NULL
};

const char *const xio_extract_lex_please[] = {
	"please", "pls", "plz", "пожалуйста", "плиз", NULL
};

const char *const xio_extract_lex_need[] = {
	"we need to", "we have to", "we must", "we should", "someone needs to",
	"somebody needs to", "someone should", "someone has to", "need to", "needs to",
	"have to", "has to", "must", "нужно", "надо", "необходимо", "требуется",
	"кто-то должен", "кто-нибудь", "нам нужно", "нам надо", "мы должны",
	"следует", "we'll", "we will", "мы сделаем", "мы подготовим", NULL
};

const char *const xio_extract_lex_imperative_en[] = {
	"update", "fix", "write", "prepare", "send", "review", "check", "deploy", "create",
	"add", "remove", "schedule", "set up", "setup", "draft", "test", "call", "contact",
	"email", "ping", "investigate", "look into", "book", "order", "organize", "share",
	"publish", "merge", "migrate", "implement", "finish", "document", "clean up", "run",
	"make", "build", "ask", "talk to", "follow up", "collect", "compile", "analyze",
	"compare", "estimate", "plan", "design", "benchmark", "refactor", "upgrade",
	"configure", "install", "monitor", "coordinate", "reach out", "buy", "find", "get",
	"take", "do", "handle", "move", "rename", "submit", "sign", "confirm", "verify",
	"validate", "audit", "rewrite", "translate", "draft", "prepare", "file", "open",
	"close", "release", "ship", "notify", "invite", "sync", "arrange", "gather", NULL
};

const char *const xio_extract_lex_hypothetical[] = {
	"if", "maybe", "perhaps", "might", "we could", "i could", "could we", "would be nice",
	"what if", "in theory", "hypothetically", "in case", "we may", "possibly", "someday",
	"one day", "would", "если", "может быть", "возможно", "можно было бы", "могли бы",
	"бы", "теоретически", "вдруг", "когда-нибудь", "как-нибудь", "мб", NULL
};

const char *const xio_extract_lex_done[] = {
	"already", "done", "finished", "completed", "i did", "we did", "i've", "we've",
	"has been", "have been", "was", "were", "yesterday", "last week", "just did",
	"уже", "сделано", "готово", "сделал", "сделала", "сделали", "закончил*",
	"выполнил*", "вчера", "на прошлой неделе", "завершил*", NULL
};

const char *const xio_extract_lex_future[] = {
	"will", "'ll", "going to", "gonna", "let me", "please", "need to", "needs to",
	"tomorrow", "сделаю", "сделает", "нужно", "надо", "пожалуйста", "буду", "будет",
	"завтра", NULL
};

const char *const xio_extract_lex_cancel[] = {
	"cancel", "cancelled", "canceled", "cancelling", "no longer needed",
	"not needed anymore", "not needed", "drop it", "drop that", "drop the", "scrap",
	"scrapped", "forget about", "forget it", "never mind", "nevermind", "no need to",
	"don't need to", "called off", "отмен*", "не нужно больше", "больше не нужно",
	"больше не надо", "не надо", "не нужно", "отбой", "забудь", "забудьте", "неактуальн*",
	"снимаем", "снято", NULL
};

const char *const xio_extract_lex_reject[] = {
	"won't", "will not", "can't", "cannot", "can not", "not going to", "let's not",
	"don't", "do not", "we rejected", "rejected", "no way", "i refuse", "not doing",
	"не буду", "не сделаю", "не могу", "не смогу", "не будем", "не возьмусь", "отклон*", "не станем",
	"давайте не", "не стоит", "не успею", "не получится", "отказ*", NULL
};

const char *const xio_extract_lex_handoff[] = {
	"instead", "hand over", "hand it", "hand this", "hand", "hands", "handing", "over to",
	"take over", "takes over", "reassign", "pass it to", "pass this to", "give it to",
	"will take it", "will take this", "will take over", "will do it", "will handle it",
	"rather", "вместо", "передаю", "передам", "передать", "передадим", "пусть лучше",
	"лучше пусть", "переназнач*", "возьмет это", "возьмет на себя", "сделает это",
	"заберет", "перекину", "перекинь", "перекинем", NULL
};

const char *const xio_extract_lex_take[] = {
	"i'll take it", "i'll take this", "i'll take that", "i'll take over",
	"i will take it", "i will take this", "i can take it", "i can take this", "i'll do it",
	"i will do it",
	"i'll handle it", "i'll handle this", "i'm on it", "on me", "i take it",
	"i'll take care of it", "leave it to me", "беру", "возьму", "я возьму",
	"я сделаю", "сделаю", "за мной", "на мне", "займусь", NULL
};

const char *const xio_extract_lex_move[] = {
	"move", "moved", "moving", "postpone", "postponed", "push", "pushed", "reschedule",
	"rescheduled", "extend", "extended", "delay", "delayed", "shift", "shifted",
	"deadline", "instead of", "can wait until", "can wait till", "later", "перенес*",
	"перенос*", "сдвин*", "отлож*", "продл*", "срок", "дедлайн", "подождет",
	"позже", NULL
};

const char *const xio_extract_lex_ack[] = {
	"ok", "okay", "sure", "will do", "on it", "got it", "yes", "yep", "deal", "noted",
	"ок", "окей", "хорошо", "ладно", "сделаю", "принято", "понял", "поняла", "да",
	"договорились", "есть", NULL
};

const char *const xio_extract_lex_prio_high[] = {
	"urgent", "urgently", "asap", "a.s.a.p", "critical", "blocker", "blocking",
	"top priority", "high priority", "immediately", "highest priority", "p0", "p1",
	"срочно", "срочн*", "блокер", "блокирует", "критично", "критичн*", "немедленно",
	"как можно скорее", "высокий приоритет", "в первую очередь", "горит", "аврал",
	NULL
};

const char *const xio_extract_lex_prio_low[] = {
	"no rush", "not urgent", "no hurry", "low priority", "when you have time",
	"when you get a chance", "when you can", "whenever", "eventually", "nice to have",
	"not a priority", "не срочно", "когда будет время", "не горит", "низкий приоритет",
	"по возможности", "когда сможешь", "когда сможете", "не к спеху", "не спеша",
	"при случае", NULL
};

const char *const xio_extract_lex_filler[] = {
	"please", "pls", "plz", "пожалуйста", "плиз", "asap", "urgently", "срочно",
	"no rush", "не срочно", "when you have time", "когда будет время", "also",
	"тоже", "также", NULL
};

const char *const xio_extract_lex_pronoun_obj[] = {
	"it", "this", "that", "this one", "that one", "over", "it over", "this task",
	"that task", "care of it", "это", "его", "ее", "эту задачу", "задачу", "это на себя",
	"ее на себя", "на себя", "это сделаю", "сделаю", "сделать", "сделать это", "do it",
	"do this", "handle it", "take it", "instead", "it instead", "this instead",
	"that instead", "вместо", "over instead", NULL
};

const char *const xio_extract_lex_stop[] = {
	"the", "and", "for", "with", "that", "this", "will", "from", "into", "about",
	"have", "need", "needs", "please", "should", "just", "also", "then", "them",
	"what", "when", "который", "чтобы", "нужно", "надо", "пожалуйста", "сделать",
	"сделаю", "сделает", "будет", "тоже", "также", "после", "потом", "friday",
	"monday", "tomorrow", "завтра", "let's", "move", "moved", "deadline", "next",
	"instead", "postpone", "push", "срок", "дедлайн", "перенесем", "перенести",
	"давайте", "вместо", "cancel", "отменяем", "done", "готово", "urgent", "срочно",
	"it's", NULL
};

const char *const xio_extract_lex_title_cut[] = {
	"probably", "maybe", "perhaps", "наверное", "беру на себя", "возьму на себя", "я возьму",
	"я беру", "за мной", "i'll", "i will", "i'm going to", "i am going to", "i'm gonna", "let me", "i can",
	"i shall", "i'm", "i am", "я", "can you", "could you", "would you mind", "would you",
	"will you", "can u", "could u", "не мог бы ты", "не могла бы ты", "не могли бы вы",
	"не мог бы", "не могла бы", "не могли бы", "можешь", "сможешь", "можете", "сможете",
	"прошу", "we need to", "we have to", "we must", "we should", "someone needs to",
	"somebody needs to", "someone should", "someone has to", "need to", "needs to",
	"have to", "has to", "must", "should", "нам нужно", "нам надо", "мы должны",
	"кто-то должен", "кто-нибудь", "нужно", "надо", "необходимо", "требуется",
	"следует", "will", "is going to", "ok,", "ok", "okay,", "ок,", "ок", "so,", "sure,",
	"хорошо,", "ладно,", "тогда", "then", "also", "and", "и", "а", "ну", "за мной:",
	"on me:", "let's", "lets", "давайте", "давай", "пусть", "-", "—", ":", ",", NULL
};

const char *const xio_extract_lex_clause_split[] = {
	", and ", ", then ", " and then ", ", but ", " but ", ", а ", ", но ", ", и ",
	" и потом ", ", потом ", "; ", ", it's ", ", it is ", ", this is ", ", это ", ", так как ",
	", because ", " because ", ", потому что ", NULL
};

int xio_extract_is_wc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

size_t xio_extract_pat_match(const char *t, size_t n, size_t p, const char *pat)
{
	const unsigned char *u = (const unsigned char *)t;
	const unsigned char *s = (const unsigned char *)pat;
	size_t q = p;

	if (xio_extract_is_wc(s[0]) && p > 0 && xio_extract_is_wc(u[p - 1]))
		return 0;
	while (*s) {
		if (*s == '*' && !s[1]) {
			while (q < n && is_letter(u[q]))
				q++;
			return q - p;
		}
		if (*s == '\'') {
			if (q < n && u[q] == '\'')
				q++;
			else if (q + 3 <= n && u[q] == 0xE2 && u[q + 1] == 0x80 && u[q + 2] == 0x99)
				q += 3;
			else
				return 0;
			s++;
			continue;
		}
		if (q >= n || u[q] != *s)
			return 0;
		q++;
		s++;
	}
	if (xio_extract_is_wc(s[-1]) && q < n && xio_extract_is_wc(u[q]))
		return 0;
	return q - p;
}

int xio_extract_find(const char *t, size_t s, size_t e, const char *const *lex,
		     size_t *pos, size_t *len)
{
	size_t p, l;
	const char *const *w;

	for (p = s; p < e; p++) {
		for (w = lex; *w; w++) {
			l = xio_extract_pat_match(t, e, p, *w);
			if (l) {
				if (pos)
					*pos = p;
				if (len)
					*len = l;
				return 1;
			}
		}
	}
	return 0;
}
