/*
 * fuzz_counts.c - libFuzzer target for the staffing counts reader and the
 * forecast behind it (lib/forecast.c).
 *
 * The input is a counts CSV. Checks: a parse error comes with a line and a
 * reason; parsed counts are finite and >= 0; when the rows span at most a
 * few years, the grid builds (or refuses with a reason), the forecast of
 * the two days after the last row and the backtest run, and every forecast
 * value is finite and >= 0.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kefu/staffing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t *ts = NULL;
	double *c = NULL;
	size_t n = 0;
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_volume_counts_read_mem(&ts, &c, &n, (const char *)data, size, "fuzz", &err);
	if (rc) {
		if (err.msg[0] == '\0' || ts || c)
			__builtin_trap();
		return 0;
	}
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		if (!(c[i] >= 0) || !isfinite(c[i]))
			__builtin_trap();
		lo = ts[i] < lo ? ts[i] : lo;
		hi = ts[i] > hi ? ts[i] : hi;
	}
	if (n && hi - lo < (int64_t)3 * 366 * 86400) {
		kefu_volume_grid *g = NULL, *f = NULL;
		if (kefu_volume_grid_build(&g, ts, c, n, 0, 1800, &err) == 0) {
			int64_t day = g->first_day + (int64_t)g->ndays;
			kefu_forecast_opts o = KEFU_FORECAST_OPTS_INIT;
			if (kefu_forecast_run(&f, g, day, day + 1, &o, NULL, &err) != 0)
				__builtin_trap();
			for (size_t i = 0; i < f->ndays * (size_t)f->slots; i++)
				if (!(f->count[i] >= 0) || !isfinite(f->count[i]))
					__builtin_trap();
			kefu_backtest bt;
			rc = kefu_forecast_backtest(&bt, g, INT64_MAX, &o, &err);
			if (rc && rc != KEFU_EINVAL)
				__builtin_trap();
			kefu_volume_grid_free(f);
		} else if (err.msg[0] == '\0') {
			__builtin_trap();
		}
		kefu_volume_grid_free(g);
	}
	kefu_free(ts);
	kefu_free(c);
	return 0;
}
