/*
 * vendor.h - choosing and keeping an outsourcing provider (issue 8,
 * docs/VENDORS.md): vendor records in the store, onboarding scorecards
 * (a YAML template of weighted criteria, each scored 0-5), their
 * arithmetic and ranking, and the side-by-side KPI comparison of each
 * vendor's agents with the merchant's in-house agents.
 *
 * Vendor membership: the roster's vendor column (formats.md) is the source
 * of truth for which agent belongs to whom; a vendor id recorded with
 * kefu_vendor_put is the same string as in the roster. Roster vendor
 * `inhouse` is the merchant's own agents (metrics.md section 11); agents not
 * in the roster (or with an empty vendor) group under `unknown`. Both names
 * are reserved and cannot be vendor ids. Agents may also be declared on the
 * vendor record; `vendor show` reconciles them with the roster.
 *
 * Ownership: every *_new / parse / get returns an object owned by the caller,
 * released by the matching *_free (which accepts NULL). Strings passed in
 * are borrowed for the duration of the call. Tables belong to the caller.
 */
#ifndef KEFU_VENDOR_H
#define KEFU_VENDOR_H

#include "kefu/common.h"
#include "kefu/coverage.h"
#include "kefu/dataset.h"
#include "kefu/kpi.h"
#include "kefu/report.h"
#include "kefu/settings.h"
#include "kefu/table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kefu_store;

/* ------------------------------------------------------------ scorecard */

#define KEFU_VENDOR_SCORE_MAX 5

typedef struct kefu_vendor_criterion {
	char *group_id, *group_name;
	char *id, *name;
	int64_t weight_x100; /* weight in hundredths, > 0 ("2.5" -> 250) */
	int required;        /* 1: must score at least min */
	int min;             /* 0..5; meaningful when required */
	int score;           /* 0..5, or -1 when not scored */
	char *note;          /* NULL when absent */
	char *evidence;      /* evidence file reference, NULL when absent */
	int evidence_found;  /* 1 when the reference was found (kefu_vendor_card_check_evidence) */
	long line;           /* line of the criterion in its file */
} kefu_vendor_criterion;

typedef struct kefu_vendor_card {
	char *file;           /* as given to the parser */
	char *name;           /* template name */
	char *vendor;         /* optional `vendor:` of a filled card, NULL when absent */
	char *assessor, *date; /* optional in the file; NULL when absent */
	kefu_vendor_criterion *c;
	size_t n;
} kefu_vendor_card;

/* The default template shipped with kefu (data/vendor/default-card.yaml,
 * compiled into the binary): static bytes, *len without the final NUL. */
const char *kefu_vendor_default_card(size_t *len);

/* One problem of an invalid card: file:line: key: reason. */
typedef struct kefu_vendor_problem {
	long line;
	char key[160];
	char reason[240];
} kefu_vendor_problem;

typedef struct kefu_vendor_problems {
	kefu_vendor_problem *p;
	size_t n, cap;
} kefu_vendor_problems;

void kefu_vendor_problems_clear(kefu_vendor_problems *ps);

/*
 * Parses a scorecard template or a filled card (docs/VENDORS.md):
 *   name: ...            groups: [{id, name, criteria: [{id, name, weight,
 *   required, min, score, note, evidence}]}]   assessor: ...  date: YYYY-MM-DD
 * Every problem (YAML syntax, unknown or duplicate key, missing key, bad
 * value) is appended to probs (may be NULL) with its line and key path;
 * err gets the first one with its file and line, and the result is
 * KEFU_EPARSE with *out NULL. `file` names the text in messages.
 */
int kefu_vendor_card_parse(kefu_vendor_card **out, const char *file, const char *text, size_t n,
			   kefu_vendor_problems *probs, kefu_err *err);
/* Reads and parses a file (KEFU_EIO if unreadable). */
int kefu_vendor_card_load(kefu_vendor_card **out, const char *path, kefu_vendor_problems *probs,
			  kefu_err *err);
void kefu_vendor_card_free(kefu_vendor_card *c);
/* Sets evidence_found for every criterion with an evidence reference: an
 * absolute path, or a path relative to base_dir, that exists. */
void kefu_vendor_card_check_evidence(kefu_vendor_card *c, const char *base_dir);

/* The arithmetic of one card (docs/VENDORS.md "Scoring"):
 * weighted score = sum(weight x score) / sum(weight), out of 5, exact;
 * an unscored criterion counts 0 and is missing; a required criterion
 * fails when unscored or below its minimum; a criterion scored above 0
 * without an evidence reference that was found lacks evidence. */
typedef struct kefu_vendor_score {
	int64_t num, den;          /* weighted score = num / den (x100 weights) */
	size_t n_criteria, n_scored, n_missing, n_no_evidence, n_required_failed;
	int eligible;              /* no required criterion failed */
} kefu_vendor_score;

int kefu_vendor_card_score(const kefu_vendor_card *c, kefu_vendor_score *out);
/* The same over the criteria of one group (group_id). Returns
 * KEFU_ENOTFOUND when the card has no such group. */
int kefu_vendor_group_score(const kefu_vendor_card *c, const char *group_id,
			    kefu_vendor_score *out);

/* ---------------------------------------------------------------- store */

typedef struct kefu_vendor {
	char *id, *name, *contact, *note;
	char **agents; /* declared agents, byte order */
	size_t n_agents;
} kefu_vendor;

void kefu_vendor_free(kefu_vendor *v);
/* 1 when id may name a vendor: not empty, not `inhouse` or `unknown`,
 * at most 64 bytes, no control characters or commas. */
int kefu_vendor_id_ok(const char *id);

/* Creates the module tables (idempotent). Every call below does it. */
int kefu_vendor_store_init(struct kefu_store *st, kefu_err *err);
/* Adds a vendor, or updates name/contact/note (NULL = keep) of an existing
 * one and adds the given agents. *created = 1 for a new vendor. */
int kefu_vendor_put(struct kefu_store *st, const char *id, const char *name, const char *contact,
		    const char *note, const char *const *agents, size_t n_agents, int *created,
		    kefu_err *err);
/* KEFU_ENOTFOUND when there is no such vendor. */
int kefu_vendor_get(kefu_vendor **out, struct kefu_store *st, const char *id, kefu_err *err);
/* All vendors in id byte order; free each with kefu_vendor_free and the
 * array with kefu_free. */
int kefu_vendor_list(kefu_vendor ***out, size_t *n, struct kefu_store *st, kefu_err *err);

/* Records an assessment of vendor (which must exist) from a parsed card:
 * every criterion with its weight, minimum, score, note and evidence, as
 * given (a later template change does not alter it). assessor and date
 * (YYYY-MM-DD) are required. *id_out (may be NULL) gets its id. */
int kefu_vendor_assess(struct kefu_store *st, const char *vendor, const kefu_vendor_card *card,
		       const char *assessor, const char *date, const char *card_file,
		       int64_t *id_out, kefu_err *err);
/* The latest assessment of vendor (by date, then id) as a card (assessor,
 * date, file set), KEFU_ENOTFOUND if none. */
int kefu_vendor_latest(kefu_vendor_card **out, int64_t *id_out, struct kefu_store *st,
		       const char *vendor, kefu_err *err);

/* Ranking table of every vendor's latest assessment (docs/VENDORS.md):
 * vendors meeting every required minimum first, by weighted score
 * (descending), then the others, then the vendors never assessed; ties by
 * id. Columns: rank, vendor, name, assessed, assessor, score, one column
 * per group of the first card, missing, missing_evidence,
 * required_failed, eligible. */
int kefu_vendor_rank(kefu_table **out, struct kefu_store *st, kefu_err *err);

/* One table row per criterion of a card (group, criterion, weight,
 * required, min, score, weighted, note, evidence, evidence_found). */
int kefu_vendor_card_table(kefu_table **out, const kefu_vendor_card *c, kefu_err *err);

/* ----------------------------------------------------------- comparison */

typedef struct kefu_vendor_compare_opts {
	int64_t from_day, to_day;   /* inclusive; INT64_MIN / INT64_MAX = open */
	const uint32_t *shops;      /* sorted shop ids; NULL = all */
	size_t n_shops;
	const kefu_coverage *coverage; /* NULL: one segment (all hours) */
	const kefu_settings_versions *shop_settings; /* as given to the engine */
	size_t n_shop_settings;
	/* display names for vendor ids (parallel arrays, may be NULL) */
	const char *const *label_ids, *const *labels;
	size_t n_labels;
} kefu_vendor_compare_opts;

#define KEFU_VENDOR_COMPARE_OPTS_INIT {INT64_MIN, INT64_MAX, NULL, 0, NULL, NULL, 0, NULL, NULL, 0}

/*
 * The side-by-side table: for each segment (all hours; with coverage also
 * inside and outside the windows) one row per roster vendor group
 * (inhouse first, then vendors in byte order, then unknown) and a `silent`
 * row, with the KPIs summed per group over the same shops and period by the
 * report engine (by vendor, whole range): consults, received, reply_rate,
 * first_resp_s, avg_resp_s, three_min_rate, inquiries, converted,
 * conv_rate, sales_fen, sales_orders, sales_buyers, aov, dsr_* (all-hours
 * segment only) and share_of_paid = the group's credited sales (the silent
 * row: silent sales) / the segment's paid total.
 */
int kefu_vendor_compare(kefu_table **out, const kefu_dataset *ds, const kefu_kpi_result *res,
			const kefu_vendor_compare_opts *o, kefu_err *err);

#ifdef __cplusplus
}
#endif
#endif
