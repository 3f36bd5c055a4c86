/*
 * wire_followup.c — the follow-up scheduler in the service: built from the
 * followup.* keys and consilium.timezone, registered for "remind" outbox
 * rows, its zone lent to the engine for /snooze and /remind times, and a
 * first tick at start so reminders missed while the service was down go out
 * at once (coalesced per thread).
 */
#include "wire.h"
#include "scheduler.h"

int xio_wire_followup_start(struct xio_app *app, struct xio_err *err)
{
	struct xio_sched_opts so = { 0 };
	int rc;

	so.remind_before_ms = xio_config_int(app->cfg, "followup.remind_before_hours") * 3600000LL;
	so.review_after_ms = xio_config_int(app->cfg, "followup.review_after_days") * 86400000LL;
	so.digest_hour = (int)xio_config_int(app->cfg, "followup.digest_hour");
	so.quiet_hours = xio_config_str(app->cfg, "followup.quiet_hours");
	so.timezone = xio_config_str(app->cfg, "consilium.timezone");
	rc = xio_sched_new(&app->sched, &app->loop.uv, &app->runner, &so, app->log, err);
	if (rc)
		return rc;
	rc = xio_outbox_register(app->outbox, xio_sched_handler(app->sched));
	if (rc)
		return xio_err_set(err, rc, "followup: cannot register the remind handler");
	app->eng.tz = xio_sched_tz(app->sched);
	xio_sched_tick(app->sched);
	return 0;
}

void xio_wire_followup_stop(struct xio_app *app)
{
	if (!app->sched)
		return;
	app->eng.tz = NULL;
	xio_sched_free(app->sched);
	app->sched = NULL;
}
