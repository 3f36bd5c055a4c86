/*
 * wire_llm.c — the LLM in the service: with llm.base_url set, the expert
 * personas join every new consilium as AI participants, the "ask" rows are
 * answered by the LLM (adapters/llm/ask.h) and the decision is drafted by
 * the Integrator and the Scribe; without it nothing here runs and XIO works
 * with human experts alone.
 */
#include "app.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "llm/ask.h"
#include "llm/llm.h"

struct xio_wire_llm {
	struct xio_llm *llm;
	struct xio_llm_ask ask;
	int ask_on;
};

int xio_wire_llm_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_config *cfg = app->cfg;
	struct xio_llm_opts lo = { 0 };
	struct xio_llm_ask_opts ao = { 0 };
	struct xio_wire_llm *w;
	int rc;

	if (!*xio_config_str(cfg, "llm.base_url"))
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	app->llm = w;
	lo.base_url = xio_config_str(cfg, "llm.base_url");
	lo.model = xio_config_str(cfg, "llm.model");
	lo.api_key = xio_config_str(cfg, "llm.api_key");
	lo.timeout_ms = xio_config_int(cfg, "llm.timeout_sec") * 1000;
	lo.first_token_ms = xio_config_int(cfg, "llm.first_token_timeout_sec") * 1000;
	lo.max_concurrency = (int)xio_config_int(cfg, "llm.max_concurrency");
	lo.stream = xio_config_bool(cfg, "llm.stream");
	lo.temperature = xio_config_double(cfg, "llm.temperature");
	lo.max_retries = (int)xio_config_int(cfg, "llm.max_retries");
	lo.metrics = app->metrics;
	lo.log = app->log;
	rc = xio_llm_new(&w->llm, &app->loop, &lo, err);
	if (rc)
		return rc;
	ao.prompts_dir = xio_config_str(cfg, "consilium.prompts_dir");
	ao.schemas_dir = xio_config_str(cfg, "consilium.schemas_dir");
	ao.json_schema = xio_config_bool(cfg, "llm.json_schema");
	ao.context_budget_tokens = xio_config_int(cfg, "llm.context_budget_tokens");
	rc = xio_llm_ask_init(&w->ask, &app->loop.uv, w->llm, &app->runner, &app->producer, &ao,
			      app->log, err);
	if (rc)
		return rc;
	w->ask_on = 1;
	rc = xio_outbox_register(app->outbox, &w->ask.handler);
	if (rc)
		return xio_err_set(err, rc, "llm: cannot register the ask handler");
	xio_llm_ask_hook_producer(&w->ask);
	/* before any consilium starts: the experts join as AI participants */
	app->eng.ai_experts = 1;
	xio_logf(app->log, XIO_LOG_INFO, "llm", "AI experts on: model \"%s\" at %s (%s)",
		 lo.model, lo.base_url, lo.stream ? "streamed" : "not streamed");
	return 0;
}

void xio_wire_llm_stop(struct xio_app *app)
{
	struct xio_wire_llm *w = app->llm;

	if (!w)
		return;
	app->llm = NULL;
	if (w->ask_on)
		xio_llm_ask_release(&w->ask); /* unhooks the producer, stops the watch */
	/* ends every call in flight: their rows go back to pending */
	xio_llm_free(w->llm);
	free(w);
}
