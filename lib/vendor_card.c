/*
 * vendor_card.c - the onboarding scorecard (vendor.h): a YAML template of
 * weighted criteria in groups, filled in with a 0-5 score, a note and an
 * optional evidence reference per criterion; parsed with libfyaml, every
 * problem reported as file:line: key: reason; and its exact arithmetic.
 */
#include "kefu/vendor.h"
#include "kefu/yaml_guard.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void kefu_vendor_problems_clear(kefu_vendor_problems *ps)
{
	if (!ps)
		return;
	kefu_free(ps->p);
	memset(ps, 0, sizeof *ps);
}

void kefu_vendor_card_free(kefu_vendor_card *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		kefu_vendor_criterion *k = &c->c[i];
		kefu_free(k->group_id);
		kefu_free(k->group_name);
		kefu_free(k->id);
		kefu_free(k->name);
		kefu_free(k->note);
		kefu_free(k->evidence);
	}
	kefu_free(c->c);
	kefu_free(c->file);
	kefu_free(c->name);
	kefu_free(c->vendor);
	kefu_free(c->assessor);
	kefu_free(c->date);
	kefu_free(c);
}

typedef struct pctx {
	const char *file;
	kefu_vendor_problems *probs;
	kefu_err *err;
	size_t n;    /* problems so far */
	int nomem;
} pctx;

static void problem(pctx *p, long line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(pctx *p, long line, const char *key, const char *fmt, ...)
{
	char reason[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (p->n == 0) {
		kefu_err_set(p->err, KEFU_EPARSE, "%s%s%s", key, key[0] ? ": " : "", reason);
		kefu_err_at(p->err, p->file, line, 0);
	}
	p->n++;
	if (!p->probs)
		return;
	if (kefu_grow((void **)&p->probs->p, &p->probs->cap, p->probs->n + 1, sizeof *p->probs->p)) {
		p->nomem = 1;
		return;
	}
	kefu_vendor_problem *q = &p->probs->p[p->probs->n++];
	q->line = line;
	snprintf(q->key, sizeof q->key, "%s", key);
	snprintf(q->reason, sizeof q->reason, "%s", reason);
}

/* 1-based line of a node: its scalar token, or its first key or item. */
static long node_line(struct fy_node *n)
{
	if (!n)
		return 0;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
		return m ? (long)m->line + 1 : 0;
	}
	case FYNT_MAPPING: {
		void *it = NULL;
		struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
		return pr ? node_line(fy_node_pair_key(pr)) : 0;
	}
	case FYNT_SEQUENCE: {
		void *it = NULL;
		return node_line(fy_node_sequence_iterate(n, &it));
	}
	}
	return 0;
}

/* Scalar text of a node (not NUL-terminated), NULL if not a non-null scalar. */
static const char *scalar(struct fy_node *n, size_t *len)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_null(n))
		return NULL;
	return fy_node_get_scalar(n, len);
}

static int is_null(struct fy_node *n)
{
	if (!n)
		return 1;
	if (fy_node_get_type(n) != FYNT_SCALAR)
		return 0;
	if (fy_node_is_null(n))
		return 1;
	size_t len;
	const char *s = fy_node_get_scalar(n, &len);
	return !s || (len == 1 && s[0] == '~') || (len == 4 && !memcmp(s, "null", 4)) ||
	       (len == 0 && fy_node_get_style(n) == FYNS_PLAIN);
}

/* Required non-empty string value. */
static char *get_text(pctx *p, struct fy_node *v, long line, const char *key)
{
	size_t len;
	const char *s = scalar(v, &len);
	if (!s || len == 0) {
		problem(p, line, key, "expected a non-empty text");
		return NULL;
	}
	char *d = kefu_strndup(s, len);
	if (!d)
		p->nomem = 1;
	return d;
}

static int id_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

static char *get_id(pctx *p, struct fy_node *v, long line, const char *key)
{
	size_t len;
	const char *s = scalar(v, &len);
	int ok = s && len > 0 && len <= 64;
	for (size_t i = 0; ok && i < len; i++)
		ok = id_char_ok(s[i]);
	if (!ok) {
		problem(p, line, key, "expected an id of letters, digits, '_', '-' or '.' (at most 64)");
		return NULL;
	}
	char *d = kefu_strndup(s, len);
	if (!d)
		p->nomem = 1;
	return d;
}

/* Integer 0..5. */
static int parse_small(const char *s, size_t len, int *out)
{
	if (len != 1 || s[0] < '0' || s[0] > '0' + KEFU_VENDOR_SCORE_MAX)
		return -1;
	*out = s[0] - '0';
	return 0;
}

/* Positive decimal with at most 2 decimals, up to 1000000, into hundredths. */
static int parse_weight(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0, dec = 0;
	int dot = 0, digits = 0;
	for (; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (dot && ++dec > 2)
			return -1;
		v = v * 10 + (s[i] - '0');
		digits++;
		if (v > INT64_C(100000000))
			return -1;
	}
	if (!digits)
		return -1;
	for (; dec < 2; dec++)
		v *= 10;
	if (v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, size_t len, int *out)
{
	if ((len == 4 && !memcmp(s, "true", 4)) || (len == 3 && !memcmp(s, "yes", 3))) {
		*out = 1;
		return 0;
	}
	if ((len == 5 && !memcmp(s, "false", 5)) || (len == 2 && !memcmp(s, "no", 2))) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int date_ok(const char *s, size_t len)
{
	int64_t d;
	return len == 10 && kefu_day_parse(s, len, &d) == 0;
}

/* out = path + sep + name[0..nl), truncated to 159 bytes. */
static void join_key(char out[160], const char *path, const char *sep, const char *name, size_t nl)
{
	size_t off = 0;
	const char *parts[3] = {path, sep, name};
	size_t lens[3] = {strlen(path), strlen(sep), nl};
	for (int i = 0; i < 3; i++) {
		size_t take = lens[i] < 159 - off ? lens[i] : 159 - off;
		memcpy(out + off, parts[i], take);
		off += take;
	}
	out[off] = '\0';
}

static int key_is(const char *k, size_t kl, const char *name)
{
	return kl == strlen(name) && !memcmp(k, name, kl);
}

typedef struct cbuild {
	kefu_vendor_criterion *c;
	size_t n, cap;
} cbuild;

static void parse_criterion(pctx *p, cbuild *cb, struct fy_node *item, const char *path,
			    const char *gid, const char *gname)
{
	char key[160];
	long iline = node_line(item);
	if (!item || fy_node_get_type(item) != FYNT_MAPPING) {
		problem(p, iline, path, "expected a mapping (id, name, weight, ...)");
		return;
	}
	kefu_vendor_criterion k;
	memset(&k, 0, sizeof k);
	k.score = -1;
	k.line = iline;
	int have_weight = 0, have_min = 0;
	long min_line = 0;
	void *it = NULL;
	struct fy_node_pair *pr;
	while ((pr = fy_node_mapping_iterate(item, &it))) {
		size_t kl;
		const char *kt = scalar(fy_node_pair_key(pr), &kl);
		struct fy_node *v = fy_node_pair_value(pr);
		long line = node_line(fy_node_pair_key(pr));
		if (!kt) {
			problem(p, line, path, "keys must be text");
			continue;
		}
		join_key(key, path, ".", kt, kl);
		size_t vl = 0;
		const char *vs = scalar(v, &vl);
		if (key_is(kt, kl, "id")) {
			k.id = get_id(p, v, line, key);
		} else if (key_is(kt, kl, "name")) {
			k.name = get_text(p, v, line, key);
		} else if (key_is(kt, kl, "weight")) {
			have_weight = 1;
			if (!vs || parse_weight(vs, vl, &k.weight_x100))
				problem(p, line, key,
					"expected a positive number with at most 2 decimals, got '%.*s'",
					(int)(vs ? vl : 0), vs ? vs : "");
		} else if (key_is(kt, kl, "required")) {
			if (!vs || parse_bool(vs, vl, &k.required))
				problem(p, line, key, "expected true or false");
		} else if (key_is(kt, kl, "min")) {
			have_min = 1;
			min_line = line;
			if (!vs || parse_small(vs, vl, &k.min))
				problem(p, line, key, "expected an integer 0 to 5, got '%.*s'",
					(int)(vs ? vl : 0), vs ? vs : "");
		} else if (key_is(kt, kl, "score")) {
			if (is_null(v))
				k.score = -1;
			else if (!vs || parse_small(vs, vl, &k.score))
				problem(p, line, key, "expected an integer 0 to 5 or empty, got '%.*s'",
					(int)(vs ? vl : 0), vs ? vs : "");
		} else if (key_is(kt, kl, "guide")) {
			if (!is_null(v) && !vs)
				problem(p, line, key, "expected a text");
		} else if (key_is(kt, kl, "note")) {
			if (!is_null(v)) {
				if (!vs)
					problem(p, line, key, "expected a text");
				else if (!(k.note = kefu_strndup(vs, vl)))
					p->nomem = 1;
			}
		} else if (key_is(kt, kl, "evidence")) {
			if (!is_null(v)) {
				if (!vs || vl == 0)
					problem(p, line, key, "expected a file reference");
				else if (!(k.evidence = kefu_strndup(vs, vl)))
					p->nomem = 1;
			}
		} else {
			problem(p, line, key, "unknown key (id, name, guide, weight, required, min, score, note, evidence)");
		}
	}
	if (!k.id && !fy_node_mapping_lookup_by_string(item, "id", 2))
		problem(p, iline, path, "missing key 'id'");
	if (!k.name && !fy_node_mapping_lookup_by_string(item, "name", 4))
		problem(p, iline, path, "missing key 'name'");
	if (!have_weight)
		problem(p, iline, path, "missing key 'weight'");
	if (have_min && !k.required) {
		join_key(key, path, ".min", "", 0);
		problem(p, min_line, key, "min needs required: true");
	}
	if (k.required && !have_min)
		k.min = 1; /* required alone: must be scored above 0 */
	for (size_t i = 0; k.id && i < cb->n; i++)
		if (!strcmp(cb->c[i].id, k.id)) {
			join_key(key, path, ".id", "", 0);
			problem(p, iline, key, "duplicate criterion id '%s' (also line %ld)", k.id,
				cb->c[i].line);
			break;
		}
	k.group_id = kefu_strndup(gid, strlen(gid));
	k.group_name = kefu_strndup(gname, strlen(gname));
	if (!k.group_id || !k.group_name ||
	    kefu_grow((void **)&cb->c, &cb->cap, cb->n + 1, sizeof *cb->c)) {
		p->nomem = 1;
		kefu_free(k.group_id);
		kefu_free(k.group_name);
		kefu_free(k.id);
		kefu_free(k.name);
		kefu_free(k.note);
		kefu_free(k.evidence);
		return;
	}
	if (!k.id)
		k.id = kefu_strndup("", 0);
	if (!k.name)
		k.name = kefu_strndup("", 0);
	cb->c[cb->n++] = k;
}

static void parse_group(pctx *p, cbuild *cb, struct fy_node *g, const char *path,
			char ***gids, size_t *ngids, size_t *gcap)
{
	char key[160];
	long gline = node_line(g);
	if (!g || fy_node_get_type(g) != FYNT_MAPPING) {
		problem(p, gline, path, "expected a mapping (id, name, criteria)");
		return;
	}
	char *gid = NULL, *gname = NULL;
	struct fy_node *crit = NULL;
	long crit_line = 0;
	void *it = NULL;
	struct fy_node_pair *pr;
	while ((pr = fy_node_mapping_iterate(g, &it))) {
		size_t kl;
		const char *kt = scalar(fy_node_pair_key(pr), &kl);
		struct fy_node *v = fy_node_pair_value(pr);
		long line = node_line(fy_node_pair_key(pr));
		if (!kt) {
			problem(p, line, path, "keys must be text");
			continue;
		}
		join_key(key, path, ".", kt, kl);
		if (key_is(kt, kl, "id"))
			gid = get_id(p, v, line, key);
		else if (key_is(kt, kl, "name"))
			gname = get_text(p, v, line, key);
		else if (key_is(kt, kl, "criteria")) {
			crit = v;
			crit_line = line;
			if (!v || fy_node_get_type(v) != FYNT_SEQUENCE || fy_node_sequence_item_count(v) == 0) {
				problem(p, line, key, "expected a non-empty list of criteria");
				crit = NULL;
			}
		} else
			problem(p, line, key, "unknown key (id, name, criteria)");
	}
	if (!gid && !fy_node_mapping_lookup_by_string(g, "id", 2))
		problem(p, gline, path, "missing key 'id'");
	if (!gname && !fy_node_mapping_lookup_by_string(g, "name", 4))
		problem(p, gline, path, "missing key 'name'");
	if (!fy_node_mapping_lookup_by_string(g, "criteria", 8))
		problem(p, gline, path, "missing key 'criteria'");
	if (gid) {
		for (size_t i = 0; i < *ngids; i++)
			if (!strcmp((*gids)[i], gid)) {
				join_key(key, path, ".id", "", 0);
				problem(p, gline, key, "duplicate group id '%s'", gid);
				break;
			}
		if (kefu_grow((void **)gids, gcap, *ngids + 1, sizeof **gids) == 0)
			(*gids)[(*ngids)++] = gid;
		else {
			p->nomem = 1;
			kefu_free(gid);
			gid = NULL;
		}
	}
	(void)crit_line;
	if (crit) {
		void *si = NULL;
		struct fy_node *item;
		size_t idx = 0;
		while ((item = fy_node_sequence_iterate(crit, &si))) {
			char ix[32];
			snprintf(ix, sizeof ix, ".criteria[%zu]", idx++);
			join_key(key, path, ix, "", 0);
			parse_criterion(p, cb, item, key, gid ? gid : "", gname ? gname : "");
		}
	}
	kefu_free(gname);
}

/* Collects libfyaml's diagnostics (syntax errors) as problems. */
static void syntax_problems(pctx *p, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e;
	int any = 0;
	while ((e = fy_diag_errors_iterate(diag, &it))) {
		if (e->type < FYET_ERROR)
			continue;
		problem(p, (long)e->line, "", "YAML syntax: %s", e->msg ? e->msg : "error");
		any = 1;
	}
	if (!any)
		problem(p, 0, "", "not a valid YAML document");
}

int kefu_vendor_card_parse(kefu_vendor_card **out, const char *file, const char *text, size_t n,
			   kefu_vendor_problems *probs, kefu_err *err)
{
	*out = NULL;
	pctx p = {file ? file : "<card>", probs, err, 0, 0};
	kefu_vendor_card *card = kefu_calloc(1, sizeof *card);
	cbuild cb = {NULL, 0, 0};
	char **gids = NULL;
	size_t ngids = 0, gcap = 0;
	struct fy_diag *diag = NULL;
	struct fy_document *doc = NULL;
	if (!card)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	card->file = kefu_strndup(p.file, strlen(p.file));
	long dl = kefu_yaml_directive_line(text, n);
	if (dl) { /* libfyaml 0.7.12 can hang on them (yaml_guard.h) */
		problem(&p, dl, "", "YAML directives (lines starting with %%) are not supported in "
				    "scorecards");
		goto done;
	}
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	diag = fy_diag_create(&dcfg);
	if (!diag || !card->file) {
		p.nomem = 1;
		goto done;
	}
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {NULL, FYPCF_QUIET | FYPCF_COLLECT_DIAG, NULL, diag};
	doc = fy_document_build_from_string(&cfg, text, n);
	if (!doc) {
		syntax_problems(&p, diag);
		goto done;
	}
	struct fy_node *root = fy_document_root(doc);
	if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
		problem(&p, node_line(root), "", "expected a mapping with name and groups");
		goto done;
	}
	void *it = NULL;
	struct fy_node_pair *pr;
	int have_groups = 0;
	while ((pr = fy_node_mapping_iterate(root, &it))) {
		size_t kl;
		const char *kt = scalar(fy_node_pair_key(pr), &kl);
		struct fy_node *v = fy_node_pair_value(pr);
		long line = node_line(fy_node_pair_key(pr));
		char key[160];
		if (!kt) {
			problem(&p, line, "", "keys must be text");
			continue;
		}
		snprintf(key, sizeof key, "%.*s", (int)kl, kt);
		size_t vl = 0;
		const char *vs = scalar(v, &vl);
		if (key_is(kt, kl, "kind")) {
			if (!vs || !key_is(vs, vl, "kefu-vendor-scorecard"))
				problem(&p, line, key, "expected kefu-vendor-scorecard");
		} else if (key_is(kt, kl, "name")) {
			card->name = get_text(&p, v, line, key);
		} else if (key_is(kt, kl, "vendor")) {
			if (!is_null(v))
				card->vendor = get_text(&p, v, line, key);
		} else if (key_is(kt, kl, "assessor")) {
			if (!is_null(v))
				card->assessor = get_text(&p, v, line, key);
		} else if (key_is(kt, kl, "date")) {
			if (!is_null(v)) {
				if (!vs || !date_ok(vs, vl))
					problem(&p, line, key, "expected a date YYYY-MM-DD");
				else if (!(card->date = kefu_strndup(vs, vl)))
					p.nomem = 1;
			}
		} else if (key_is(kt, kl, "groups")) {
			have_groups = 1;
			if (!v || fy_node_get_type(v) != FYNT_SEQUENCE || fy_node_sequence_item_count(v) == 0) {
				problem(&p, line, key, "expected a non-empty list of groups");
				continue;
			}
			void *si = NULL;
			struct fy_node *g;
			size_t idx = 0;
			while ((g = fy_node_sequence_iterate(v, &si))) {
				char gpath[160];
				snprintf(gpath, sizeof gpath, "groups[%zu]", idx++);
				parse_group(&p, &cb, g, gpath, &gids, &ngids, &gcap);
			}
		} else {
			problem(&p, line, key, "unknown key (kind, name, vendor, assessor, date, groups)");
		}
	}
	if (!card->name && !fy_node_mapping_lookup_by_string(root, "name", 4))
		problem(&p, node_line(root), "name", "missing key");
	if (!have_groups)
		problem(&p, node_line(root), "groups", "missing key");
done:
	for (size_t i = 0; i < ngids; i++)
		kefu_free(gids[i]);
	kefu_free(gids);
	fy_document_destroy(doc);
	if (diag)
		fy_diag_destroy(diag);
	card->c = cb.c;
	card->n = cb.n;
	if (p.nomem) {
		kefu_vendor_card_free(card);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	if (p.n) {
		kefu_vendor_card_free(card);
		return KEFU_EPARSE;
	}
	*out = card;
	return 0;
}

int kefu_vendor_card_load(kefu_vendor_card **out, const char *path, kefu_vendor_problems *probs,
			  kefu_err *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return kefu_err_set(err, KEFU_EIO, "%s: cannot open", path);
	size_t cap = 4096, n = 0;
	char *buf = kefu_malloc(cap);
	while (buf) {
		if (n == cap) {
			if (cap > ((size_t)16 << 20)) {
				kefu_free(buf);
				fclose(f);
				return kefu_err_set(err, KEFU_EINVAL, "%s: larger than 16 MB", path);
			}
			char *nb = kefu_realloc(buf, cap * 2);
			if (!nb) {
				kefu_free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	int ioerr = ferror(f);
	fclose(f);
	if (!buf)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	if (ioerr) {
		kefu_free(buf);
		return kefu_err_set(err, KEFU_EIO, "%s: read error", path);
	}
	int rc = kefu_vendor_card_parse(out, path, buf, n, probs, err);
	kefu_free(buf);
	return rc;
}

void kefu_vendor_card_check_evidence(kefu_vendor_card *c, const char *base_dir)
{
	for (size_t i = 0; i < c->n; i++) {
		kefu_vendor_criterion *k = &c->c[i];
		k->evidence_found = 0;
		if (!k->evidence)
			continue;
		char path[4096];
		if (k->evidence[0] == '/' || !base_dir || !base_dir[0])
			snprintf(path, sizeof path, "%s", k->evidence);
		else
			snprintf(path, sizeof path, "%s/%s", base_dir, k->evidence);
		struct stat sb;
		k->evidence_found = stat(path, &sb) == 0;
	}
}

static void score_range(const kefu_vendor_card *c, const char *gid, kefu_vendor_score *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < c->n; i++) {
		const kefu_vendor_criterion *k = &c->c[i];
		if (gid && strcmp(k->group_id, gid))
			continue;
		s->n_criteria++;
		s->den += k->weight_x100;
		if (k->score >= 0) {
			s->n_scored++;
			s->num += k->weight_x100 * k->score;
		} else {
			s->n_missing++;
		}
		if (k->required && k->score < k->min)
			s->n_required_failed++;
		if (k->score > 0 && !(k->evidence && k->evidence_found))
			s->n_no_evidence++;
	}
	s->eligible = s->n_required_failed == 0;
}

int kefu_vendor_card_score(const kefu_vendor_card *c, kefu_vendor_score *out)
{
	score_range(c, NULL, out);
	return 0;
}

int kefu_vendor_group_score(const kefu_vendor_card *c, const char *group_id,
			    kefu_vendor_score *out)
{
	score_range(c, group_id, out);
	return out->n_criteria ? 0 : KEFU_ENOTFOUND;
}

static void cnum(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = 0;
	c->num = num;
	c->den = den;
}

int kefu_vendor_card_table(kefu_table **out, const kefu_vendor_card *c, kefu_err *err)
{
	*out = NULL;
	kefu_table *t = NULL;
	int rc = kefu_table_new(&t, "kefu vendor scorecard");
	static const struct {
		const char *name, *zh;
		kefu_coltype type;
	} cols[] = {
		{"group", "分组", KEFU_T_TEXT},        {"criterion", "评估项", KEFU_T_TEXT},
		{"name", "名称", KEFU_T_TEXT},         {"weight", "权重", KEFU_T_MEAN},
		{"required", "必须项", KEFU_T_FLAG},   {"min", "最低分", KEFU_T_INT},
		{"score", "得分", KEFU_T_INT},         {"weighted", "加权得分", KEFU_T_MEAN},
		{"note", "说明", KEFU_T_TEXT},         {"evidence", "证明材料", KEFU_T_TEXT},
		{"evidence_found", "材料已找到", KEFU_T_FLAG},
	};
	for (size_t i = 0; !rc && i < sizeof cols / sizeof cols[0]; i++)
		rc = kefu_table_add_col(t, cols[i].name, cols[i].zh, cols[i].type);
	for (size_t i = 0; !rc && i < c->n; i++) {
		const kefu_vendor_criterion *k = &c->c[i];
		kefu_cell *row;
		if ((rc = kefu_table_add_row(t, &row)))
			break;
		rc |= kefu_cell_set_text(&row[0], k->group_id, strlen(k->group_id));
		rc |= kefu_cell_set_text(&row[1], k->id, strlen(k->id));
		rc |= kefu_cell_set_text(&row[2], k->name, strlen(k->name));
		cnum(&row[3], k->weight_x100, 100);
		cnum(&row[4], k->required, 0);
		if (k->required)
			cnum(&row[5], k->min, 0);
		if (k->score >= 0) {
			cnum(&row[6], k->score, 0);
			cnum(&row[7], k->weight_x100 * k->score, 100);
		}
		const char *note = k->note ? k->note : "", *ev = k->evidence ? k->evidence : "";
		rc |= kefu_cell_set_text(&row[8], note, strlen(note));
		rc |= kefu_cell_set_text(&row[9], ev, strlen(ev));
		if (k->evidence)
			cnum(&row[10], k->evidence_found, 0);
	}
	if (rc) {
		kefu_table_free(t);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = t;
	return 0;
}
