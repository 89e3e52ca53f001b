/*
 * assets.c - front-end files embedded with the assembler's .incbin, so the
 * 1 MB ECharts bundle costs no generated C source and no build-time tool
 * (assets.h). KEFU_ECHARTS_JS is the absolute path CMake passes in.
 */
#include "kefu/assets.h"

#include <string.h>

#ifndef KEFU_ECHARTS_JS
#error "KEFU_ECHARTS_JS must name echarts.min.js (set by CMake)"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	"kefu_echarts_js_start:\n"
	".incbin \"" KEFU_ECHARTS_JS "\"\n"
	"kefu_echarts_js_end:\n"
	".byte 0\n"
	".balign 8\n"
	"kefu_echarts_js_size:\n"
	".quad kefu_echarts_js_end - kefu_echarts_js_start\n"
	".previous\n");

/* Address-of the asm labels (hidden, file-local symbols resolved by the
 * assembler within this translation unit). */
extern const unsigned char kefu_echarts_js_start[] __asm__("kefu_echarts_js_start");
extern const unsigned long long kefu_echarts_js_size __asm__("kefu_echarts_js_size");

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
	const kefu_asset *e = kefu_asset_echarts();
	if (name && strcmp(name, e->name) == 0)
		return e;
	return NULL;
}
