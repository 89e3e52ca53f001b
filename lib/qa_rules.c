/*
 * qa_rules.c - the quality-inspection rule file (shared/spec/quality.md):
 * YAML (or JSON) read with libfyaml into kefu_qa_rules, keyword lists read
 * from the files a rule names, and every problem of the file collected
 * with its line, column and key instead of stopping at the first one.
 */
#include "kefu/qa.h"
#include "kefu/yaml_guard.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static const char *const kind_names[KEFU_QA_KIND_COUNT] = {
	"keywords", "regex", "reply_gap", "unanswered", "auto_reply_copy", "qa_ratio"};
static const char *const severity_names[] = {"info", "minor", "major", "critical"};
static const char *const side_names[] = {"agent", "buyer"};

const char *kefu_qa_kind_name(kefu_qa_kind k)
{
	return (unsigned)k < KEFU_QA_KIND_COUNT ? kind_names[k] : NULL;
}

const char *kefu_qa_severity_name(kefu_qa_severity s)
{
	return (unsigned)s <= KEFU_QA_CRITICAL ? severity_names[s] : NULL;
}

const char *kefu_qa_side_name(kefu_qa_side s)
{
	return (unsigned)s <= KEFU_QA_BUYER ? side_names[s] : NULL;
}

void kefu_qa_problems_clear(kefu_qa_problems *pr)
{
	if (!pr)
		return;
	kefu_free(pr->p);
	memset(pr, 0, sizeof *pr);
}

static void rule_clear(kefu_qa_rule *r)
{
	kefu_free(r->id);
	kefu_free(r->name);
	for (size_t i = 0; i < r->n_words; i++)
		kefu_free(r->words[i]);
	kefu_free(r->words);
	kefu_free(r->pattern);
	for (size_t i = 0; i < r->n_except; i++)
		kefu_free(r->except[i]);
	kefu_free(r->except);
	memset(r, 0, sizeof *r);
}

void kefu_qa_rules_free(kefu_qa_rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_clear(&rs->r[i]);
	kefu_free(rs->r);
	kefu_free(rs->source);
	kefu_free(rs);
}

/* ------------------------------------------------------------ parsing */

typedef struct parser {
	const char *name; /* file name for messages */
	const char *dir;  /* folder of relative list files */
	kefu_qa_problems *probs;
	kefu_qa_problems own; /* used when the caller passes none */
	uint64_t hash;
	int oom;
} parser;

/* Position of a node: its own token for scalars, else its first key or
 * item (libfyaml keeps marks on tokens only). 1-based; 0 when unknown. */
static void node_pos(struct fy_node *n, long *line, long *col)
{
	*line = *col = 0;
	for (int depth = 0; n && depth < 16; depth++) {
		if (fy_node_is_scalar(n)) {
			struct fy_token *t = fy_node_get_scalar_token(n);
			const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;
			if (mk) {
				*line = mk->line + 1;
				*col = mk->column + 1;
			}
			return;
		}
		void *it = NULL;
		if (fy_node_is_mapping(n)) {
			struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
			n = p ? fy_node_pair_key(p) : NULL;
		} else if (fy_node_is_sequence(n)) {
			n = fy_node_sequence_iterate(n, &it);
		} else {
			return;
		}
	}
}

static void problem_at(parser *ps, long line, long col, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void problem_at(parser *ps, long line, long col, const char *key, const char *fmt, ...)
{
	kefu_qa_problems *pr = ps->probs;
	if (kefu_grow((void **)&pr->p, &pr->cap, pr->n + 1, sizeof *pr->p)) {
		ps->oom = 1;
		return;
	}
	kefu_qa_problem *p = &pr->p[pr->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->file, sizeof p->file, "%s", ps->name);
	p->line = line;
	p->col = col;
	snprintf(p->key, sizeof p->key, "%s", key ? key : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
}

#define problem(ps, node, key, ...)                                                          \
	do {                                                                                 \
		long l_, c_;                                                                 \
		node_pos(node, &l_, &c_);                                                    \
		problem_at(ps, l_, c_, key, __VA_ARGS__);                                    \
	} while (0)

/* Scalar text as a NUL-terminated copy, or NULL (problem noted) when the
 * node is not a scalar. */
static char *scalar_dup(parser *ps, struct fy_node *n, const char *key)
{
	if (!n || !fy_node_is_scalar(n)) {
		problem(ps, n, key, "expected a single value");
		return NULL;
	}
	size_t len = 0;
	const char *p = fy_node_get_scalar(n, &len);
	char *s = kefu_strndup(p ? p : "", p ? len : 0);
	if (!s)
		ps->oom = 1;
	return s;
}

static int valid_utf8(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = kefu_utf8_char(s, n, i)))
			return 0;
	return 1;
}

/* Adds s (owned) to a string list unless already there. */
static int list_add(char ***list, size_t *n, size_t *cap, char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s)) {
			kefu_free(s);
			return 0;
		}
	if (kefu_grow((void **)list, cap, *n + 1, sizeof **list)) {
		kefu_free(s);
		return KEFU_ENOMEM;
	}
	(*list)[(*n)++] = s;
	return 0;
}

/* Trims ASCII spaces, tabs and CR. */
static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t' || **p == '\r')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

/* A phrase (keyword or exception): trimmed, non-empty, valid UTF-8. */
static int add_phrase(parser *ps, struct fy_node *at, const char *key, const char *p, size_t n,
		      char ***list, size_t *cnt, size_t *cap, const char *where, long line)
{
	trim(&p, &n);
	if (n == 0) {
		if (line)
			problem_at(ps, line, 1, key, "%s: empty entry", where);
		else
			problem(ps, at, key, "empty entry");
		return 0;
	}
	if (!valid_utf8(p, n)) {
		if (line)
			problem_at(ps, line, 1, key, "%s: not valid UTF-8", where);
		else
			problem(ps, at, key, "not valid UTF-8");
		return 0;
	}
	char *s = kefu_strndup(p, n);
	if (!s || list_add(list, cnt, cap, s)) {
		ps->oom = 1;
		return KEFU_ENOMEM;
	}
	return 0;
}

/* A list value: a sequence of scalars or one scalar. */
static void read_phrases(parser *ps, struct fy_node *v, const char *key, char ***list, size_t *cnt,
			 size_t *cap, int *items)
{
	if (fy_node_is_scalar(v)) {
		size_t len = 0;
		const char *p = fy_node_get_scalar(v, &len);
		(*items)++;
		add_phrase(ps, v, key, p ? p : "", len, list, cnt, cap, NULL, 0);
		return;
	}
	if (!fy_node_is_sequence(v)) {
		problem(ps, v, key, "expected a list of phrases");
		return;
	}
	void *it = NULL;
	struct fy_node *e;
	while ((e = fy_node_sequence_iterate(v, &it))) {
		(*items)++;
		if (!fy_node_is_scalar(e)) {
			problem(ps, e, key, "expected a phrase, not a list or mapping");
			continue;
		}
		size_t len = 0;
		const char *p = fy_node_get_scalar(e, &len);
		add_phrase(ps, e, key, p ? p : "", len, list, cnt, cap, NULL, 0);
	}
}

/* Reads one keyword list file: one phrase per line, '#' comment lines. */
static int read_list_file(parser *ps, struct fy_node *at, const char *key, const char *path,
			  kefu_qa_rule *r, size_t *cap, int *items)
{
	char full[4096];
	if (path[0] == '/' || !ps->dir || !ps->dir[0])
		snprintf(full, sizeof full, "%s", path);
	else
		snprintf(full, sizeof full, "%s/%s", ps->dir, path);
	FILE *f = fopen(full, "rb");
	if (!f) {
		problem(ps, at, key, "cannot read list %s: %s", full, strerror(errno));
		return 0;
	}
	char *buf = NULL;
	size_t n = 0, bcap = 0;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (kefu_grow((void **)&buf, &bcap, n + got + 1, 1)) {
			ps->oom = 1;
			break;
		}
		memcpy(buf + n, chunk, got);
		n += got;
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		problem(ps, at, key, "cannot read list %s", full);
		kefu_free(buf);
		return 0;
	}
	ps->hash ^= kefu_hash_bytes(buf ? buf : "", n) * 0x9e3779b97f4a7c15ULL;
	size_t start = 0;
	long line = 0;
	/* a UTF-8 BOM is not part of the first word */
	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		start = 3;
	char where[4200];
	while (start < n) {
		size_t end = start;
		while (end < n && buf[end] != '\n')
			end++;
		line++;
		const char *p = buf + start;
		size_t len = end - start;
		trim(&p, &len);
		if (len && p[0] != '#') {
			(*items)++;
			snprintf(where, sizeof where, "%s:%ld", full, line);
			add_phrase(ps, at, key, p, len, &r->words, &r->n_words, cap, where, 0);
			/* the problem position for a list line is the list file's */
		}
		start = end + 1;
	}
	kefu_free(buf);
	return 1;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	if (!s[0] || s[0] == '+' || (s[0] == '-' && lo >= 0))
		return -1;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Exact decimal "0.5", "1", ".75" as num/den. */
static int parse_decimal(const char *s, int64_t *num, int64_t *den)
{
	int64_t n = 0, d = 1;
	int digits = 0, frac = 0, dot = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (dot)
				return -1;
			dot = 1;
			continue;
		}
		if (*p < '0' || *p > '9' || digits >= 15)
			return -1;
		n = n * 10 + (*p - '0');
		digits++;
		if (dot) {
			d *= 10;
			frac++;
		}
	}
	if (!digits || frac > 9)
		return -1;
	*num = n;
	*den = d;
	return 0;
}

static int id_ok(const char *s)
{
	if (!s[0] || strlen(s) > 64)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* Keys a rule may have, and the kinds each applies to (bit per kind; 0 = all). */
static const struct {
	const char *key;
	unsigned kinds;
} rule_keys[] = {
	{"id", 0},
	{"name", 0},
	{"kind", 0},
	{"severity", 0},
	{"points", 0},
	{"description", 0},
	{"side", 1u << KEFU_QA_KEYWORDS | 1u << KEFU_QA_REGEX},
	{"words", 1u << KEFU_QA_KEYWORDS},
	{"file", 1u << KEFU_QA_KEYWORDS},
	{"except", 1u << KEFU_QA_KEYWORDS | 1u << KEFU_QA_REGEX},
	{"pattern", 1u << KEFU_QA_REGEX},
	{"over_s", 1u << KEFU_QA_REPLY_GAP},
	{"below", 1u << KEFU_QA_QA_RATIO},
};
#define N_RULE_KEYS (sizeof rule_keys / sizeof rule_keys[0])

static struct fy_node *map_get(struct fy_node *m, const char *key)
{
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(m, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		size_t len = 0;
		const char *s = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &len) : NULL;
		if (s && len == strlen(key) && !memcmp(s, key, len))
			return fy_node_pair_value(p);
	}
	return NULL;
}

static struct fy_node *map_key_node(struct fy_node *m, const char *key)
{
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(m, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		size_t len = 0;
		const char *s = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &len) : NULL;
		if (s && len == strlen(key) && !memcmp(s, key, len))
			return k;
	}
	return NULL;
}

/* Checks a regular expression with PCRE2 (UTF, UCP): compiles, and does not
 * match the empty string. */
static void check_regex(parser *ps, struct fy_node *v, const char *key, const char *pat)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
	long line, col;
	node_pos(v, &line, &col);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		/* quoted scalars start one column before their text */
		enum fy_node_style st = fy_node_get_style(v);
		long c = col + (st == FYNS_SINGLE_QUOTED || st == FYNS_DOUBLE_QUOTED) + (long)eo;
		problem_at(ps, line, c, key, "invalid regular expression at offset %zu: %s",
			   (size_t)eo, (const char *)msg);
		return;
	}
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md && pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0)
		problem_at(ps, line, col, key,
			   "regular expression matches the empty string (every message would hit)");
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

static void parse_rule(parser *ps, struct fy_node *rn, size_t idx, kefu_qa_rules *rs)
{
	char key[96];
	kefu_qa_rule *r = &rs->r[rs->n];
	memset(r, 0, sizeof *r);
	r->points = -1;
	r->severity = KEFU_QA_MINOR;
	r->side = KEFU_QA_AGENT;
	r->over_s = -1;
	long line, col;
	node_pos(rn, &line, &col);
	r->line = line;
	snprintf(key, sizeof key, "rules[%zu]", idx);
	if (!fy_node_is_mapping(rn)) {
		problem(ps, rn, key, "a rule must be a mapping of keys (id, kind, ...)");
		return;
	}
	int bad = 0;
	/* kind first: which keys apply depends on it */
	int kind = -1;
	struct fy_node *kv = map_get(rn, "kind");
	if (!kv) {
		problem(ps, rn, key, "missing key 'kind' (keywords, regex, reply_gap, unanswered, "
				     "auto_reply_copy, qa_ratio)");
		bad = 1;
	} else {
		char *k = scalar_dup(ps, kv, key);
		for (int i = 0; k && i < KEFU_QA_KIND_COUNT; i++)
			if (!strcmp(k, kind_names[i]))
				kind = i;
		snprintf(key, sizeof key, "rules[%zu].kind", idx);
		if (k && kind < 0)
			problem(ps, kv, key, "unknown kind '%s' (keywords, regex, reply_gap, unanswered, "
					     "auto_reply_copy, qa_ratio)", k);
		kefu_free(k);
		if (kind < 0)
			bad = 1;
	}
	r->kind = kind < 0 ? KEFU_QA_KEYWORDS : (kefu_qa_kind)kind;
	size_t wcap = 0, ecap = 0;
	int word_items = 0, except_items = 0, have_words = 0;
	void *it = NULL;
	struct fy_node_pair *pair;
	while ((pair = fy_node_mapping_iterate(rn, &it))) {
		struct fy_node *kn = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
		size_t klen = 0;
		const char *ks = kn && fy_node_is_scalar(kn) ? fy_node_get_scalar(kn, &klen) : NULL;
		char kname[64];
		snprintf(kname, sizeof kname, "%.*s", ks ? (int)(klen < 60 ? klen : 60) : 0,
			 ks ? ks : "");
		snprintf(key, sizeof key, "rules[%zu].%s", idx, kname);
		size_t ki = N_RULE_KEYS;
		for (size_t i = 0; i < N_RULE_KEYS; i++)
			if (!strcmp(rule_keys[i].key, kname) && strlen(kname) == klen)
				ki = i;
		if (ki == N_RULE_KEYS) {
			problem(ps, kn, key,
				"unknown key '%s' (id, name, kind, side, severity, points, words, "
				"file, except, pattern, over_s, below, description)",
				kname);
			bad = 1;
			continue;
		}
		if (kind >= 0 && rule_keys[ki].kinds && !(rule_keys[ki].kinds & (1u << kind))) {
			problem(ps, kn, key, "key '%s' does not apply to kind %s", kname,
				kind_names[kind]);
			bad = 1;
			continue;
		}
		if ((!strcmp(kname, "words") || !strcmp(kname, "except") || !strcmp(kname, "file")) &&
		    (!v || (fy_node_is_scalar(v) && fy_node_get_scalar_length(v) == 0))) {
			problem(ps, kn, key, "empty list");
			bad = 1;
			if (strcmp(kname, "except"))
				have_words = 1;
			continue;
		}
		if (!v || fy_node_is_scalar(v) == 0) {
			if (strcmp(kname, "words") && strcmp(kname, "except") && strcmp(kname, "file")) {
				problem(ps, v ? v : kn, key, "expected a single value");
				bad = 1;
				continue;
			}
		}
		if (!strcmp(kname, "kind") || !strcmp(kname, "description")) {
			continue;
		} else if (!strcmp(kname, "id")) {
			char *s = scalar_dup(ps, v, key);
			if (s && !id_ok(s)) {
				problem(ps, v, key, "id '%s' must be 1-64 characters of [a-z0-9_-]", s);
				bad = 1;
			}
			for (size_t j = 0; s && j < rs->n; j++)
				if (rs->r[j].id && !strcmp(rs->r[j].id, s)) {
					problem(ps, v, key, "duplicate id '%s' (first on line %ld)", s,
						rs->r[j].line);
					bad = 1;
				}
			r->id = s;
		} else if (!strcmp(kname, "name")) {
			kefu_free(r->name);
			r->name = scalar_dup(ps, v, key);
		} else if (!strcmp(kname, "severity")) {
			char *s = scalar_dup(ps, v, key);
			int sv = -1;
			for (int i = 0; s && i < 4; i++)
				if (!strcmp(s, severity_names[i]))
					sv = i;
			if (s && sv < 0) {
				problem(ps, v, key, "unknown severity '%s' (info, minor, major, critical)", s);
				bad = 1;
			}
			if (sv >= 0)
				r->severity = (kefu_qa_severity)sv;
			kefu_free(s);
		} else if (!strcmp(kname, "side")) {
			char *s = scalar_dup(ps, v, key);
			if (s && !strcmp(s, "agent"))
				r->side = KEFU_QA_AGENT;
			else if (s && !strcmp(s, "buyer"))
				r->side = KEFU_QA_BUYER;
			else if (s) {
				problem(ps, v, key, "unknown side '%s' (agent or buyer)", s);
				bad = 1;
			}
			kefu_free(s);
		} else if (!strcmp(kname, "points")) {
			char *s = scalar_dup(ps, v, key);
			long pv;
			if (s && parse_int(s, 0, 100, &pv)) {
				problem(ps, v, key, "points must be an integer from 0 to 100, not '%s'", s);
				bad = 1;
			} else if (s) {
				r->points = (int)pv;
			}
			kefu_free(s);
		} else if (!strcmp(kname, "words")) {
			have_words = 1;
			int before = word_items;
			read_phrases(ps, v, key, &r->words, &r->n_words, &wcap, &word_items);
			if (word_items == before && (fy_node_is_sequence(v) || fy_node_is_scalar(v))) {
				problem(ps, fy_node_is_sequence(v) ? kn : v, key, "empty list of words");
				bad = 1;
			}
		} else if (!strcmp(kname, "file")) {
			have_words = 1;
			int before = word_items, unreadable = 0;
			if (fy_node_is_scalar(v)) {
				char *s = scalar_dup(ps, v, key);
				if (s && !read_list_file(ps, v, key, s, r, &wcap, &word_items))
					unreadable = 1;
				kefu_free(s);
			} else if (fy_node_is_sequence(v)) {
				void *it2 = NULL;
				struct fy_node *e;
				while ((e = fy_node_sequence_iterate(v, &it2))) {
					char *s = scalar_dup(ps, e, key);
					if (s && !read_list_file(ps, e, key, s, r, &wcap, &word_items))
						unreadable = 1;
					kefu_free(s);
				}
			} else {
				problem(ps, v ? v : kn, key, "expected a file name or a list of them");
				bad = 1;
				continue;
			}
			if (unreadable)
				bad = 1;
			else if (word_items == before) {
				problem(ps, v, key, "empty list: the file has no words");
				bad = 1;
			}
		} else if (!strcmp(kname, "except")) {
			int before = except_items;
			read_phrases(ps, v, key, &r->except, &r->n_except, &ecap, &except_items);
			if (except_items == before && (fy_node_is_sequence(v) || fy_node_is_scalar(v))) {
				problem(ps, kn, key, "empty list of exceptions");
				bad = 1;
			}
		} else if (!strcmp(kname, "pattern")) {
			char *s = scalar_dup(ps, v, key);
			if (s && !s[0]) {
				problem(ps, v, key, "empty pattern");
				bad = 1;
			} else if (s && !valid_utf8(s, strlen(s))) {
				problem(ps, v, key, "pattern is not valid UTF-8");
				bad = 1;
			} else if (s) {
				size_t before = ps->probs->n;
				check_regex(ps, v, key, s);
				if (ps->probs->n != before)
					bad = 1;
			}
			r->pattern = s;
		} else if (!strcmp(kname, "over_s")) {
			char *s = scalar_dup(ps, v, key);
			int64_t d;
			if (s && (kefu_duration_parse(s, strlen(s), &d) || d <= 0)) {
				problem(ps, v, key,
					"over_s must be a positive number of seconds (or 90s, 3m, 1h), not '%s'",
					s);
				bad = 1;
			} else if (s) {
				r->over_s = d;
			}
			kefu_free(s);
		} else if (!strcmp(kname, "below")) {
			char *s = scalar_dup(ps, v, key);
			if (s && (parse_decimal(s, &r->below_num, &r->below_den) || r->below_num == 0)) {
				problem(ps, v, key, "below must be a positive decimal ratio such as 0.5, not '%s'",
					s);
				bad = 1;
			}
			kefu_free(s);
		}
	}
	/* required keys */
	static const char *const required[] = {"id", "severity", "points"};
	for (size_t i = 0; i < 3; i++)
		if (!map_key_node(rn, required[i])) {
			snprintf(key, sizeof key, "rules[%zu].%s", idx, required[i]);
			problem(ps, rn, key, "missing key '%s'", required[i]);
			bad = 1;
		}
	if (kind == KEFU_QA_KEYWORDS && !have_words) {
		snprintf(key, sizeof key, "rules[%zu]", idx);
		problem(ps, rn, key, "a keywords rule needs 'words' or 'file'");
		bad = 1;
	}
	if (kind == KEFU_QA_REGEX && !map_key_node(rn, "pattern")) {
		snprintf(key, sizeof key, "rules[%zu].pattern", idx);
		problem(ps, rn, key, "missing key 'pattern'");
		bad = 1;
	}
	if (kind == KEFU_QA_REPLY_GAP && !map_key_node(rn, "over_s")) {
		snprintf(key, sizeof key, "rules[%zu].over_s", idx);
		problem(ps, rn, key, "missing key 'over_s'");
		bad = 1;
	}
	if (kind == KEFU_QA_QA_RATIO && !map_key_node(rn, "below")) {
		snprintf(key, sizeof key, "rules[%zu].below", idx);
		problem(ps, rn, key, "missing key 'below'");
		bad = 1;
	}
	if (!r->name && r->id)
		r->name = kefu_strndup(r->id, strlen(r->id));
	if (!r->id || (r->id && !r->name))
		bad = 1;
	if (r->id && !r->name)
		ps->oom = 1;
	if (bad) {
		/* keep the id (duplicate detection) but nothing else */
		char *id = r->id;
		r->id = NULL;
		rule_clear(r);
		r->id = id;
		r->line = line;
	}
	rs->n++;
}

/* Collected libfyaml syntax errors become problems. */
static void collect_diag(parser *ps, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e;
	while ((e = fy_diag_errors_iterate(diag, &it)))
		problem_at(ps, e->line, e->column, "", "YAML syntax: %s",
			   e->msg ? e->msg : "error");
}

static void diag_silent(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

int kefu_qa_rules_parse(kefu_qa_rules **out, const char *text, size_t n, const char *name,
			const char *dir, kefu_qa_problems *probs, kefu_err *err)
{
	*out = NULL;
	parser ps;
	memset(&ps, 0, sizeof ps);
	ps.name = name ? name : "<rules>";
	ps.dir = dir;
	ps.probs = probs ? probs : &ps.own;
	size_t first_problem = ps.probs->n;
	ps.hash = kefu_hash_bytes(text, n);
	kefu_qa_rules *rs = kefu_calloc(1, sizeof *rs);
	struct fy_diag *diag = NULL;
	struct fy_document *doc = NULL;
	int rc = 0;
	if (!rs || !(rs->source = kefu_strndup(ps.name, strlen(ps.name)))) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	long dl = kefu_yaml_directive_line(text, n);
	if (dl) { /* libfyaml 0.7.12 can hang on them (yaml_guard.h) */
		problem_at(&ps, dl, 1, "", "YAML directives (lines starting with %%) are not "
					   "supported in rule files");
		goto done;
	}
	struct fy_diag_cfg dc;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_silent;
	dc.colorize = false;
	diag = fy_diag_create(&dc);
	if (!diag) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pc;
	memset(&pc, 0, sizeof pc);
	pc.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_RESOLVE_DOCUMENT;
	pc.diag = diag;
	doc = fy_document_build_from_string(&pc, text, n);
	if (!doc || fy_diag_got_error(diag)) {
		collect_diag(&ps, diag);
		if (ps.probs->n == first_problem)
			problem_at(&ps, 0, 0, "", "not a YAML or JSON document");
		goto done;
	}
	struct fy_node *root = fy_document_root(doc);
	if (!root || !fy_node_is_mapping(root)) {
		problem(&ps, root, "", "the file must be a mapping with a 'rules' list");
		goto done;
	}
	void *it = NULL;
	struct fy_node_pair *pair;
	while ((pair = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *kn = fy_node_pair_key(pair);
		size_t len = 0;
		const char *ks = kn && fy_node_is_scalar(kn) ? fy_node_get_scalar(kn, &len) : NULL;
		if (ks && ((len == 5 && !memcmp(ks, "rules", 5)) || (len == 4 && !memcmp(ks, "name", 4)) ||
			   (len == 11 && !memcmp(ks, "description", 11))))
			continue;
		problem(&ps, kn, ks ? "" : "", "unknown key '%.*s' (rules, name, description)",
			(int)(len > 60 ? 60 : len), ks ? ks : "");
	}
	struct fy_node *rules = map_get(root, "rules");
	if (!rules) {
		problem(&ps, root, "rules", "missing key 'rules'");
		goto done;
	}
	if (!fy_node_is_sequence(rules)) {
		problem(&ps, rules, "rules", "'rules' must be a list");
		goto done;
	}
	size_t count = (size_t)fy_node_sequence_item_count(rules);
	if (count == 0) {
		problem(&ps, map_key_node(root, "rules"), "rules", "empty list of rules");
		goto done;
	}
	rs->r = kefu_calloc(count, sizeof *rs->r);
	if (!rs->r) {
		rc = KEFU_ENOMEM;
		goto done;
	}
	it = NULL;
	struct fy_node *rn;
	size_t idx = 0;
	while ((rn = fy_node_sequence_iterate(rules, &it)) && idx < count)
		parse_rule(&ps, rn, idx++, rs);
	/* text rules need points and a side; behaviour rules ignore side */
done:
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	if (!rc && ps.oom)
		rc = KEFU_ENOMEM;
	if (!rc && ps.probs->n > first_problem) {
		kefu_qa_problem *p = &ps.probs->p[first_problem];
		kefu_err_set(err, KEFU_EPARSE, "%s%s%s", p->key, p->key[0] ? ": " : "", p->msg);
		kefu_err_at(err, p->file, p->line, p->col);
		rc = KEFU_EPARSE;
	} else if (rc == KEFU_ENOMEM) {
		kefu_err_set(err, rc, "out of memory reading rules");
	}
	kefu_qa_problems_clear(&ps.own);
	if (rc) {
		kefu_qa_rules_free(rs);
		return rc;
	}
	rs->hash = ps.hash;
	*out = rs;
	return 0;
}

int kefu_qa_rules_load(kefu_qa_rules **out, const char *path, kefu_qa_problems *probs,
		       kefu_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		kefu_err_set(err, KEFU_EIO, "cannot open rules: %s", strerror(errno));
		kefu_err_at(err, path, 0, 0);
		return KEFU_EIO;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	char chunk[65536];
	size_t got;
	int rc = 0;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (kefu_grow((void **)&buf, &cap, n + got + 1, 1)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
		memcpy(buf + n, chunk, got);
		n += got;
	}
	if (!rc && ferror(f)) {
		rc = kefu_err_set(err, KEFU_EIO, "read error");
		kefu_err_at(err, path, 0, 0);
	}
	fclose(f);
	if (!rc) {
		char dir[4096];
		const char *slash = strrchr(path, '/');
		if (slash)
			snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		else
			dir[0] = '\0';
		if (slash && slash == path)
			snprintf(dir, sizeof dir, "/");
		rc = kefu_qa_rules_parse(out, buf ? buf : "", n, path, dir, probs, err);
	}
	kefu_free(buf);
	return rc;
}
