/*
 * yaml_guard.h - input that libfyaml 0.7.12 (Debian 12) must not see.
 * Its scanner can loop forever on some malformed directives (found by
 * fuzz_contract and fuzz_qa), and kefu's YAML files (contracts, QA rules,
 * vendor scorecards) have no use for directives, so a line that starts with
 * '%' is refused before the parser runs.
 */
#ifndef KEFU_YAML_GUARD_H
#define KEFU_YAML_GUARD_H

#include <stddef.h>

/* The 1-based line of the first line starting with '%' (after LF, CR, NEL,
 * LS or PS), or 0 when there is none. */
long kefu_yaml_directive_line(const char *text, size_t n);

#endif
