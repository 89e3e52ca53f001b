/*
 * yaml_guard.c - finds YAML directive lines before libfyaml sees them
 * (yaml_guard.h).
 */
#include "kefu/yaml_guard.h"

long kefu_yaml_directive_line(const char *text, size_t n)
{
	const unsigned char *u = (const unsigned char *)text;
	long ln = 1;
	for (size_t k = 0; k < n; k++) {
		/* at column 0 after any YAML line break: LF, CR, NEL, LS, PS */
		int bol = k == 0 || u[k - 1] == '\n' || u[k - 1] == '\r' ||
			  (k >= 2 && u[k - 1] == 0x85 && u[k - 2] == 0xC2) ||
			  (k >= 3 && (u[k - 1] == 0xA8 || u[k - 1] == 0xA9) && u[k - 2] == 0x80 &&
			   u[k - 3] == 0xE2);
		if (bol && u[k] == '%')
			return ln;
		if (u[k] == '\n' || (u[k] == '\r' && (k + 1 >= n || u[k + 1] != '\n')))
			ln++;
	}
	return 0;
}
