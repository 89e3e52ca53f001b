/*
 * write_weike.c - taobao.weike.performance.put field set (report_html.h).
 */
#include "kefu/report_html.h"

int kefu_write_weike_json(const kefu_table *t, const kefu_dataset *ds, const kefu_tz *tz,
			  FILE *out, kefu_err *err)
{
	(void)t, (void)ds, (void)tz, (void)out;
	return kefu_err_set(err, KEFU_EINVAL, "not yet");
}
