/*
 * fuzz_qa.c - libFuzzer target for quality inspection: the input, up to
 * the first NUL byte, is a rule file (lib/qa_rules.c); the rest is a
 * message. A rule file that parses must compile into a matcher, and the
 * message (any bytes, also invalid UTF-8) scanned on both sides must give
 * exactly the reference matcher's hits, each within the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/qa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t rn = nul ? (size_t)(nul - p) : size;
	const char *msg = nul ? nul + 1 : "";
	size_t mn = nul ? size - rn - 1 : 0;
	kefu_qa_rules *rs = NULL;
	kefu_qa_problems pr = {NULL, 0, 0};
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_qa_rules_parse(&rs, p, rn, "fuzz", "/nonexistent", &pr, &err)) {
		if (err.code == KEFU_EPARSE && pr.n == 0)
			__builtin_trap(); /* a parse failure always lists its problems */
		kefu_qa_problems_clear(&pr);
		return 0;
	}
	kefu_qa_matcher *m = NULL;
	kefu_qa_scratch *s = NULL;
	kefu_qa_reference *refm = NULL;
	size_t words = 0;
	for (size_t i = 0; i < rs->n; i++)
		words += rs->r[i].n_words + rs->r[i].n_except;
	if (words > 2000 || kefu_qa_matcher_new(&m, rs, &err) || kefu_qa_scratch_new(&s, m, &err) ||
	    kefu_qa_reference_new(&refm, rs, &err))
		goto out;
	for (int side = 0; side < 2; side++) {
		const kefu_qa_match *h;
		size_t nh, n_ref = 0, cap = 0;
		kefu_qa_match *ref = NULL;
		if (kefu_qa_scan(s, (kefu_qa_side)side, msg, mn, &h, &nh, &err) ||
		    kefu_qa_scan_reference(refm, (kefu_qa_side)side, msg, mn, &ref, &n_ref, &cap, &err))
			__builtin_trap();
		if (n_ref != nh)
			__builtin_trap();
		for (size_t k = 0; k < nh; k++)
			if (h[k].end > mn || h[k].start >= h[k].end || h[k].rule != ref[k].rule ||
			    h[k].start != ref[k].start || h[k].end != ref[k].end)
				__builtin_trap();
		kefu_free(ref);
	}
out:
	kefu_qa_reference_free(refm);
	kefu_qa_scratch_free(s);
	kefu_qa_matcher_free(m);
	kefu_qa_rules_free(rs);
	return 0;
}
