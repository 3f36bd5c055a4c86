/*
 * wire_notion.c — builds the Notion adapter from the configuration and
 * registers it as the outbox handler of "export" rows.  Without a token
 * nothing is started and export rows are skipped by the outbox.
 */
#include "app.h"
#include "notion/notion.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xio_notion_opts_from_config(struct xio_notion_opts *o, const struct xio_config *cfg,
				const char ***people, struct xio_err *err)
{
	json_object *list = xio_config_list(cfg, "notion.people");
	size_t n = list ? json_object_array_length(list) : 0, i;
	char key[128];
	int f;

	memset(o, 0, sizeof(*o));
	*people = NULL;
	o->token = xio_config_str(cfg, "notion.token");
	o->api_url = xio_config_str(cfg, "notion.api_url");
	o->version = xio_config_str(cfg, "notion.version");
	o->decisions_db = xio_config_str(cfg, "notion.decisions_db");
	o->tasks_db = xio_config_str(cfg, "notion.tasks_db");
	o->rate_per_sec = xio_config_double(cfg, "notion.rate_per_sec");
	o->timeout_ms = xio_config_int(cfg, "notion.timeout_ms");
	for (f = 0; f < XIO_NOTION_NFIELDS; f++) {
		snprintf(key, sizeof(key), "notion.properties.%s", xio_notion_fields[f].key);
		o->props[f] = xio_config_str(cfg, key);
	}
	if (n) {
		*people = calloc(n, sizeof(char *));
		if (!*people)
			return xio_err_set(err, XIO_ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			(*people)[i] = json_object_get_string(json_object_array_get_idx(list, i));
	}
	o->people = *people;
	o->npeople = n;
	return 0;
}

int xio_wire_notion_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_notion_opts o;
	const char **people = NULL;
	int rc;

	if (!*xio_config_str(app->cfg, "notion.token"))
		return 0;
	rc = xio_notion_opts_from_config(&o, app->cfg, &people, err);
	if (rc)
		return rc;
	o.store = &app->store;
	o.metrics = app->metrics;
	o.eng = &app->eng;
	rc = xio_notion_new(&app->notion, &app->loop, &o, app->log, err);
	free(people);
	if (rc)
		return rc;
	rc = xio_outbox_register(app->outbox, xio_notion_handler(app->notion));
	if (!rc)
		rc = xio_outbox_register(app->outbox, xio_notion_status_handler(app->notion));
	if (rc)
		return xio_err_set(err, rc, "notion: %s", xio_strerror(rc));
	xio_logf(app->log, XIO_LOG_INFO, "notion", "exporting decisions to Notion (%s, version %s)",
		 xio_config_str(app->cfg, "notion.api_url"), xio_config_str(app->cfg, "notion.version"));
	return 0;
}

void xio_wire_notion_stop(struct xio_app *app)
{
	xio_notion_free(app->notion);
	app->notion = NULL;
}
