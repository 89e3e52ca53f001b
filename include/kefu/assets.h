/*
 * assets.h - front-end files compiled into the binary, so that HTML reports
 * are self-contained and the dashboard never needs a network: ECharts
 * (from npm, web/node_modules/echarts/dist/echarts.min.js, vendored at
 * build time by CMake) and the dashboard of `kefu serve` (web/dashboard:
 * index.html, app.js, app.css).
 *
 * Ownership: static read-only data; never freed.
 */
#ifndef KEFU_ASSETS_H
#define KEFU_ASSETS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kefu_asset {
	const char *name; /* e.g. "echarts.min.js" */
	const char *mime; /* e.g. "text/javascript; charset=utf-8" */
	const unsigned char *data;
	size_t len;
} kefu_asset;

/* The asset called name, or NULL. */
const kefu_asset *kefu_asset_get(const char *name);

/* The ECharts library (UTF-8 JavaScript, no NUL inside). */
const kefu_asset *kefu_asset_echarts(void);

#ifdef __cplusplus
}
#endif

#endif
