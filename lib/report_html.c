/*
 * report_html.c - the self-contained HTML KPI report (report_html.h).
 */
#include "kefu/report_html.h"

int kefu_write_html_report(FILE *out, const kefu_dataset *ds, const kefu_kpi_result *res,
			   const kefu_report_opts *sel, const kefu_html_report_opts *o,
			   kefu_err *err)
{
	(void)out, (void)ds, (void)res, (void)sel, (void)o;
	return kefu_err_set(err, KEFU_EINVAL, "not yet");
}

int kefu_html_json(FILE *out, const char *json, size_t n)
{
	(void)out, (void)json, (void)n;
	return KEFU_EINVAL;
}
