/*
 * assets.c - front-end files embedded with the assembler's .incbin, so the
 * 1 MB ECharts bundle costs no generated C source and no build-time tool
 * (assets.h), and the dashboard's own page, script and style sheet
 * (web/dashboard). KEFU_ECHARTS_JS and KEFU_DASHBOARD_DIR are the absolute
 * paths CMake passes in.
 */
#include "kefu/assets.h"

#include <string.h>

#ifndef KEFU_ECHARTS_JS
#error "KEFU_ECHARTS_JS must name echarts.min.js (set by CMake)"
#endif

#ifndef KEFU_DASHBOARD_DIR
#error "KEFU_DASHBOARD_DIR must name web/dashboard (set by CMake)"
#endif

/* One embedded file: start label, end label, NUL byte, 64-bit size. */
#define KEFU_INCBIN(sym, path)                                                                 \
	__asm__(".section .rodata\n"                                                          \
		".balign 16\n" #sym "_start:\n"                                               \
		".incbin \"" path "\"\n" #sym "_end:\n"                                      \
		".byte 0\n"                                                                   \
		".balign 8\n" #sym "_size:\n"                                                 \
		".quad " #sym "_end - " #sym "_start\n"                                       \
		".previous\n");                                                               \
	extern const unsigned char sym##_start[] __asm__(#sym "_start");                       \
	extern const unsigned long long sym##_size __asm__(#sym "_size");

KEFU_INCBIN(kefu_echarts_js, KEFU_ECHARTS_JS)
KEFU_INCBIN(kefu_dash_html, KEFU_DASHBOARD_DIR "/index.html")
KEFU_INCBIN(kefu_dash_js, KEFU_DASHBOARD_DIR "/app.js")
KEFU_INCBIN(kefu_dash_css, KEFU_DASHBOARD_DIR "/app.css")

/* Filled on first use; every thread writes the same values, and the
 * server calls kefu_asset_get once before starting threads. */
const kefu_asset *kefu_asset_echarts(void)
{
	static kefu_asset a;
	if (!a.data) {
		a.name = "echarts.min.js";
		a.mime = "text/javascript; charset=utf-8";
		a.len = (size_t)kefu_echarts_js_size;
		a.data = kefu_echarts_js_start;
	}
	return &a;
}

const kefu_asset *kefu_asset_get(const char *name)
{
	static kefu_asset dash[3];
	if (!dash[0].data) {
		dash[0] = (kefu_asset){"index.html", "text/html; charset=utf-8", kefu_dash_html_start,
				       (size_t)kefu_dash_html_size};
		dash[1] = (kefu_asset){"app.js", "text/javascript; charset=utf-8", kefu_dash_js_start,
				       (size_t)kefu_dash_js_size};
		dash[2] = (kefu_asset){"app.css", "text/css; charset=utf-8", kefu_dash_css_start,
				       (size_t)kefu_dash_css_size};
	}
	const kefu_asset *e = kefu_asset_echarts();
	if (!name)
		return NULL;
	if (strcmp(name, e->name) == 0)
		return e;
	for (size_t i = 0; i < sizeof dash / sizeof dash[0]; i++)
		if (strcmp(name, dash[i].name) == 0)
			return &dash[i];
	return NULL;
}
