/*
 * vendor_template.c - the default vendor scorecard
 * (data/vendor/default-card.yaml) compiled into the binary with .incbin,
 * as lib/assets.c does for ECharts; KEFU_VENDOR_CARD is its absolute path,
 * set by CMake.
 */
#include "kefu/vendor.h"

#ifndef KEFU_VENDOR_CARD
#error "KEFU_VENDOR_CARD must name data/vendor/default-card.yaml (set by CMake)"
#endif

__asm__(".section .rodata\n"
	"kefu_vendor_card_start:\n"
	".incbin \"" KEFU_VENDOR_CARD "\"\n"
	"kefu_vendor_card_end:\n"
	".byte 0\n"
	".balign 8\n"
	"kefu_vendor_card_size:\n"
	".quad kefu_vendor_card_end - kefu_vendor_card_start\n"
	".previous\n");

extern const char kefu_vendor_card_start[] __asm__("kefu_vendor_card_start");
extern const unsigned long long kefu_vendor_card_size __asm__("kefu_vendor_card_size");

const char *kefu_vendor_default_card(size_t *len)
{
	*len = (size_t)kefu_vendor_card_size;
	return kefu_vendor_card_start;
}
