/*
 * config_keys.c — the table of every configuration key of XIO.
 *
 * This is the single place a key is declared: core/config.c parses, checks
 * and documents keys only through this table, and config/xio.example.yaml is
 * generated from it.  Keys of one section must stay together (the example
 * file nests them under one mapping; test_config checks it).  Defaults are
 * written as an environment variable would be: numbers in decimal, booleans
 * as true/false, lists comma-separated.  After editing, regenerate the
 * example: `xio check-config --print-example > config/xio.example.yaml`.
 */
#include "config.h"

#define CFG_STR(path, def, flags, doc) \
	{ path, XIO_CFG_STRING, def, flags, 0, 0, NULL, doc }
#define CFG_INT(path, def, min, max, doc) \
	{ path, XIO_CFG_INT, def, XIO_CFG_F_NONE, min, max, NULL, doc }
#define CFG_BOOL(path, def, doc) \
	{ path, XIO_CFG_BOOL, def, XIO_CFG_F_NONE, 0, 0, NULL, doc }
#define CFG_DOUBLE(path, def, doc) \
	{ path, XIO_CFG_DOUBLE, def, XIO_CFG_F_NONE, 0, 0, NULL, doc }
#define CFG_ENUM(path, def, choices, doc) \
	{ path, XIO_CFG_ENUM, def, XIO_CFG_F_NONE, 0, 0, choices, doc }
#define CFG_LIST(path, def, flags, doc) \
	{ path, XIO_CFG_STRLIST, def, flags, 0, 0, NULL, doc }

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const log_formats[] = { "auto", "json", "human", NULL };
static const char *const languages[] = { "auto", "en", "ru", NULL };
static const char *const policies[] = { "round_robin", "selector", NULL };
static const char *const slack_modes[] = { "socket", "events", NULL };
static const char *const telegram_modes[] = { "polling", "webhook", NULL };
static const char *const notion_versions[] = { "2022-06-28", "2025-09-03", NULL };

static const struct xio_config_key keys[] = {
	CFG_ENUM("log.level", "info", log_levels,
		 "Minimum level of log lines written to stderr"),
	CFG_ENUM("log.format", "auto", log_formats,
		 "Log line format: human on a terminal and JSON otherwise (auto), or forced"),

	CFG_STR("store.path", "var/xio.db", XIO_CFG_F_NONE,
		"SQLite database file (created with its directory if missing)"),
	CFG_INT("store.busy_timeout_ms", "5000", 0, 600000,
		"How long a write waits for a lock held by another connection, in milliseconds"),

	CFG_BOOL("http.enabled", "true",
		 "Serve /healthz, /readyz, /metrics, webhooks and the HTTP API"),
	CFG_STR("http.host", "127.0.0.1", XIO_CFG_F_NONE,
		"Address the HTTP server listens on (0.0.0.0 for all interfaces)"),
	CFG_INT("http.port", "8080", 0, 65535,
		"Port the HTTP server listens on (0 = any free port)"),
	CFG_INT("http.max_body_bytes", "1048576", 1024, 67108864,
		"Largest request body accepted by the HTTP API, in bytes; larger requests get 413 "
		"(the Slack and Telegram webhooks keep their own caps, 256 KiB and 1 MiB)"),
	CFG_STR("http.api_token", "", XIO_CFG_F_SECRET,
		"Bearer token for the HTTP API; with none here or in http.api_tokens every "
		"API call answers 403"),
	CFG_LIST("http.api_tokens", "", XIO_CFG_F_SECRET,
		 "Named bearer tokens for the HTTP API, as name=token; the name is the actor in the audit log"),
	CFG_STR("http.cors_origin", "", XIO_CFG_F_NONE,
		"Origin allowed to call the HTTP API from a browser (CORS); empty = CORS off"),

	CFG_LIST("chat.adapters", "console", XIO_CFG_F_NONE,
		 "Which chat adapters `xio run` starts: console, slack, telegram"),

	CFG_STR("console.user", "you", XIO_CFG_F_NONE,
		"Name of the local user in the console"),

	CFG_ENUM("consilium.language", "auto", languages,
		 "Language of the bot's messages and prompts (auto = from the question's script)"),
	CFG_STR("consilium.timezone", "UTC", XIO_CFG_F_NONE,
		"IANA time zone for due dates and reminders, e.g. Europe/Berlin"),
	CFG_ENUM("consilium.policy", "round_robin", policies,
		 "Who speaks next: experts in turn (round_robin) or as the Moderator picks (selector)"),
	CFG_INT("consilium.max_rounds", "3", 1, 50,
		"Discussion rounds before the consilium moves to its decision"),
	CFG_INT("consilium.time_limit_min", "60", 1, 10080,
		"Minutes a discussion may run before it moves to its decision"),
	CFG_INT("consilium.human_timeout_sec", "900", 10, 604800,
		"Seconds to wait for a human the Moderator called on before going on without them"),
	CFG_BOOL("consilium.require_approval", "true",
		 "Humans approve or amend the decision log before it is final and exported"),
	CFG_STR("consilium.personas_file", "", XIO_CFG_F_NONE,
		"YAML file of personas; empty = built-in"),
	CFG_STR("consilium.locales_dir", "", XIO_CFG_F_NONE,
		"Directory of message catalogues (en.yaml, ru.yaml); empty = built-in"),
	CFG_STR("consilium.prompts_dir", "", XIO_CFG_F_NONE,
		"Directory of prompt templates; empty = built-in"),
	CFG_STR("consilium.schemas_dir", "", XIO_CFG_F_NONE,
		"Directory of the JSON Schemas of decision logs and tasks; empty = built-in"),

	CFG_STR("llm.base_url", "", XIO_CFG_F_NONE,
		"Base URL of the OpenAI-compatible API (empty = no LLM, human experts)"),
	CFG_STR("llm.model", "", XIO_CFG_F_NONE,
		"Model name sent with every request"),
	CFG_STR("llm.api_key", "", XIO_CFG_F_SECRET,
		"API key sent as a Bearer token; empty for local servers that need none"),
	CFG_INT("llm.timeout_sec", "120", 1, 3600,
		"Seconds a whole completion may take"),
	CFG_INT("llm.first_token_timeout_sec", "30", 1, 600,
		"Seconds to wait for the first streamed token"),
	CFG_INT("llm.max_concurrency", "4", 1, 256,
		"Completions in flight at once"),
	CFG_BOOL("llm.stream", "true",
		 "Stream completions (SSE)"),
	CFG_DOUBLE("llm.temperature", "0.7",
		   "Sampling temperature"),
	CFG_BOOL("llm.json_schema", "true",
		 "Use response_format json_schema; false = json_object"),
	CFG_INT("llm.context_budget_tokens", "6000", 500, 1000000,
		"Tokens of transcript sent per request; older messages are summarised"),
	CFG_INT("llm.max_retries", "3", 0, 20,
		"Retries of a failed completion (timeouts, 429, 5xx) before giving up"),

	CFG_ENUM("slack.mode", "socket", slack_modes,
		 "Receive events over Socket Mode (no public URL) or the Events API (webhook)"),
	CFG_STR("slack.app_token", "", XIO_CFG_F_SECRET,
		"App-level token (xapp-...) for Socket Mode"),
	CFG_STR("slack.bot_token", "", XIO_CFG_F_SECRET,
		"Bot token (xoxb-...) for the Web API"),
	CFG_STR("slack.signing_secret", "", XIO_CFG_F_SECRET,
		"Signing secret that verifies Events API and slash command requests"),
	CFG_STR("slack.api_url", "https://slack.com/api", XIO_CFG_F_NONE,
		"Base URL of the Slack Web API"),

	CFG_ENUM("telegram.mode", "polling", telegram_modes,
		 "Receive updates by long polling (getUpdates) or by webhook"),
	CFG_STR("telegram.bot_token", "", XIO_CFG_F_SECRET,
		"Token of the main bot from @BotFather"),
	CFG_STR("telegram.api_url", "https://api.telegram.org", XIO_CFG_F_NONE,
		"Base URL of the Bot API (a self-hosted Bot API server works too)"),
	CFG_STR("telegram.webhook_url", "", XIO_CFG_F_NONE,
		"Public HTTPS URL Telegram posts updates to (webhook mode)"),
	CFG_STR("telegram.webhook_secret", "", XIO_CFG_F_SECRET,
		"Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode)"),
	CFG_LIST("telegram.persona_tokens", "", XIO_CFG_F_SECRET,
		 "One bot token per persona, as persona_id=token; personas without one speak through the main bot"),
	CFG_INT("telegram.chat_interval_ms", "1000", 0, 60000,
		"Least time between two messages of one bot in one chat (Telegram allows about 1/s)"),
	CFG_INT("telegram.group_per_minute", "20", 1, 6000000,
		"Most messages one bot sends to one group per minute (Telegram allows 20)"),
	CFG_INT("telegram.bot_per_second", "30", 1, 1000000,
		"Most messages one bot sends per second over all chats (Telegram allows about 30)"),

	CFG_STR("notion.token", "", XIO_CFG_F_SECRET,
		"Integration token; empty = no export to Notion"),
	CFG_STR("notion.api_url", "https://api.notion.com/v1", XIO_CFG_F_NONE,
		"Base URL of the Notion API"),
	CFG_ENUM("notion.version", "2022-06-28", notion_versions,
		 "Notion-Version header sent with every request"),
	CFG_STR("notion.decisions_db", "", XIO_CFG_F_NONE,
		"ID of the database that receives one page per decision"),
	CFG_STR("notion.tasks_db", "", XIO_CFG_F_NONE,
		"ID of the database that receives one row per task"),
	CFG_DOUBLE("notion.rate_per_sec", "3",
		   "Requests per second to Notion (its documented average is 3 per integration)"),
	CFG_INT("notion.timeout_ms", "30000", 100, 600000,
		"Milliseconds one Notion request may take before its outcome counts as unknown"),
	CFG_LIST("notion.people", "", XIO_CFG_F_NONE,
		 "Task owners who are Notion users, as 'Owner name=notion-user-id'; other owners go to the owner text property"),
	CFG_STR("notion.properties.decision.title", "Name", XIO_CFG_F_NONE,
		"Decisions database: title property (the question)"),
	CFG_STR("notion.properties.decision.status", "Status", XIO_CFG_F_NONE,
		"Decisions database: select or status property for the decision's status (\"\" = not written)"),
	CFG_STR("notion.properties.decision.date", "Date", XIO_CFG_F_NONE,
		"Decisions database: date property for the approval date (\"\" = not written)"),
	CFG_STR("notion.properties.decision.decision", "Decision", XIO_CFG_F_NONE,
		"Decisions database: text property for the decision (\"\" = not written)"),
	CFG_STR("notion.properties.decision.participants", "Participants", XIO_CFG_F_NONE,
		"Decisions database: multi-select or text property for the participants (\"\" = not written)"),
	CFG_STR("notion.properties.decision.risk_priority", "Risk priority", XIO_CFG_F_NONE,
		"Decisions database: select or text property for the highest risk (impact x probability) (\"\" = not written)"),
	CFG_STR("notion.properties.decision.thread", "Thread", XIO_CFG_F_NONE,
		"Decisions database: URL or text property for the link to the chat thread (\"\" = not written)"),
	CFG_STR("notion.properties.decision.key", "XIO key", XIO_CFG_F_NONE,
		"Decisions database: text property holding XIO's idempotency key (required)"),
	CFG_STR("notion.properties.task.title", "Name", XIO_CFG_F_NONE,
		"Tasks database: title property (the task)"),
	CFG_STR("notion.properties.task.owner", "Owner", XIO_CFG_F_NONE,
		"Tasks database: person property for owners listed in notion.people (\"\" = not written)"),
	CFG_STR("notion.properties.task.owner_text", "Owner name", XIO_CFG_F_NONE,
		"Tasks database: text property for owners who are not Notion users (\"\" = not written)"),
	CFG_STR("notion.properties.task.due", "Due", XIO_CFG_F_NONE,
		"Tasks database: date property for the due date (\"\" = not written)"),
	CFG_STR("notion.properties.task.priority", "Priority", XIO_CFG_F_NONE,
		"Tasks database: select property for low/medium/high (\"\" = not written)"),
	CFG_STR("notion.properties.task.status", "Status", XIO_CFG_F_NONE,
		"Tasks database: select or status property for the task's status (\"\" = not written)"),
	CFG_STR("notion.properties.task.confidence", "Confidence", XIO_CFG_F_NONE,
		"Tasks database: number property for the extraction's confidence, 0 to 1 (\"\" = not written)"),
	CFG_STR("notion.properties.task.source", "Source", XIO_CFG_F_NONE,
		"Tasks database: text property for the message the task came from (\"\" = not written)"),
	CFG_STR("notion.properties.task.decision", "Decision", XIO_CFG_F_NONE,
		"Tasks database: relation property to the decisions database (\"\" = not written)"),
	CFG_STR("notion.properties.task.key", "XIO key", XIO_CFG_F_NONE,
		"Tasks database: text property holding XIO's idempotency key (required)"),

	CFG_INT("followup.remind_before_hours", "24", 0, 720,
		"Hours before a task's due date to remind its owner (0 = only at the due date)"),
	CFG_INT("followup.review_after_days", "14", 0, 365,
		"Days after a decision to ask the thread to review it (0 = never)"),
	CFG_STR("followup.quiet_hours", "", XIO_CFG_F_NONE,
		"Local hours without reminders, e.g. 22:00-08:00 (empty = none); what falls due then goes out when they end"),
	CFG_INT("followup.digest_hour", "9", 0, 23,
		"Local hour of the daily digest of overdue tasks"),

	CFG_INT("outbox.max_attempts", "10", 1, 1000,
		"Attempts at an outbound effect (post, export, reminder) before it is marked failed"),
	CFG_INT("outbox.backoff_base_ms", "1000", 10, 600000,
		"First retry delay in milliseconds; doubles per attempt, with jitter"),
	CFG_INT("outbox.backoff_max_ms", "300000", 100, 86400000,
		"Longest retry delay in milliseconds"),
};

const struct xio_config_key *xio_config_keys(size_t *n)
{
	if (n)
		*n = XIO_ARRAY_LEN(keys);
	return keys;
}
