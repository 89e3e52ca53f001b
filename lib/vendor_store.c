/*
 * vendor_store.c - the vendor module's tables in the store (vendors, their
 * declared agents, assessments and the scores of each assessment) and the
 * ranking of vendors by their latest assessment (vendor.h).
 */
#include "kefu/vendor.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "kefu/store.h"

static const char vendor_sql[] =
	"CREATE TABLE IF NOT EXISTS vendor ("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL, contact TEXT NOT NULL DEFAULT '',"
	" note TEXT NOT NULL DEFAULT '') STRICT;"
	"CREATE TABLE IF NOT EXISTS vendor_agent ("
	" vendor TEXT NOT NULL REFERENCES vendor(id), agent TEXT NOT NULL,"
	" PRIMARY KEY (vendor, agent)) STRICT;"
	"CREATE TABLE IF NOT EXISTS vendor_assessment ("
	" id INTEGER PRIMARY KEY, vendor TEXT NOT NULL REFERENCES vendor(id),"
	" assessor TEXT NOT NULL, date TEXT NOT NULL, card_name TEXT NOT NULL,"
	" card_file TEXT NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS vendor_score ("
	" assessment INTEGER NOT NULL REFERENCES vendor_assessment(id), seq INTEGER NOT NULL,"
	" group_id TEXT NOT NULL, group_name TEXT NOT NULL, criterion TEXT NOT NULL,"
	" name TEXT NOT NULL, weight_x100 INTEGER NOT NULL, required INTEGER NOT NULL,"
	" min INTEGER NOT NULL, score INTEGER, note TEXT, evidence TEXT,"
	" evidence_found INTEGER NOT NULL, line INTEGER NOT NULL,"
	" PRIMARY KEY (assessment, seq)) STRICT;";

int kefu_vendor_store_init(kefu_store *st, kefu_err *err)
{
	return kefu_store_ensure_module(st, "vendor", 1, vendor_sql, err);
}

void kefu_vendor_free(kefu_vendor *v)
{
	if (!v)
		return;
	kefu_free(v->id);
	kefu_free(v->name);
	kefu_free(v->contact);
	kefu_free(v->note);
	for (size_t i = 0; i < v->n_agents; i++)
		kefu_free(v->agents[i]);
	kefu_free(v->agents);
	kefu_free(v);
}

int kefu_vendor_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64 || !strcmp(id, "inhouse") || !strcmp(id, "unknown"))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f || id[i] == ',')
			return 0;
	return id[0] != ' ' && id[n - 1] != ' ';
}

static int db_fail(kefu_err *err, sqlite3 *db, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "vendor store: %s: %s", what, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, kefu_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(err, db, sql);
	return 0;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);
	return kefu_strndup(t ? (const char *)t : "", t ? (size_t)n : 0);
}

int kefu_vendor_put(kefu_store *st, const char *id, const char *name, const char *contact,
		    const char *note, const char *const *agents, size_t n_agents, int *created,
		    kefu_err *err)
{
	if (created)
		*created = 0;
	if (!kefu_vendor_id_ok(id))
		return kefu_err_set(err, KEFU_EINVAL,
				    "vendor id '%s': must be 1-64 bytes, no commas or control "
				    "characters, and not 'inhouse' or 'unknown' (reserved)",
				    id ? id : "");
	int rc = kefu_vendor_store_init(st, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if ((rc = exec(db, "BEGIN IMMEDIATE", err)))
		return rc;
	int exists = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM vendor WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
		goto dbfail;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	exists = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	s = NULL;
	if (!exists) {
		if (!name || !name[0])
			name = id;
		if (sqlite3_prepare_v2(db, "INSERT INTO vendor(id, name, contact, note) VALUES (?,?,?,?)",
				       -1, &s, NULL) != SQLITE_OK)
			goto dbfail;
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, contact ? contact : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, note ? note : "", -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto dbfail;
		if (created)
			*created = 1;
	} else {
		if (sqlite3_prepare_v2(db,
				       "UPDATE vendor SET name = coalesce(?2, name), contact = "
				       "coalesce(?3, contact), note = coalesce(?4, note) WHERE id = ?1",
				       -1, &s, NULL) != SQLITE_OK)
			goto dbfail;
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		if (name && name[0])
			sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
		if (contact)
			sqlite3_bind_text(s, 3, contact, -1, SQLITE_STATIC);
		if (note)
			sqlite3_bind_text(s, 4, note, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto dbfail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO vendor_agent(vendor, agent) VALUES (?,?)", -1,
			       &s, NULL) != SQLITE_OK)
		goto dbfail;
	for (size_t i = 0; i < n_agents; i++) {
		if (!agents[i] || !agents[i][0]) {
			sqlite3_finalize(s);
			exec(db, "ROLLBACK", err);
			return kefu_err_set(err, KEFU_EINVAL, "empty agent name");
		}
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, agents[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto dbfail;
	}
	sqlite3_finalize(s);
	return exec(db, "COMMIT", err);
dbfail:
	rc = db_fail(err, db, "write vendor");
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int load_vendor(kefu_vendor **out, sqlite3 *db, sqlite3_stmt *row, kefu_err *err)
{
	kefu_vendor *v = kefu_calloc(1, sizeof *v);
	sqlite3_stmt *s = NULL;
	if (!v)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	v->id = col_dup(row, 0);
	v->name = col_dup(row, 1);
	v->contact = col_dup(row, 2);
	v->note = col_dup(row, 3);
	if (!v->id || !v->name || !v->contact || !v->note)
		goto nomem;
	if (sqlite3_prepare_v2(db, "SELECT agent FROM vendor_agent WHERE vendor = ? ORDER BY agent",
			       -1, &s, NULL) != SQLITE_OK) {
		kefu_vendor_free(v);
		return db_fail(err, db, "read agents");
	}
	sqlite3_bind_text(s, 1, v->id, -1, SQLITE_STATIC);
	size_t cap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (kefu_grow((void **)&v->agents, &cap, v->n_agents + 1, sizeof *v->agents))
			goto nomem;
		if (!(v->agents[v->n_agents] = col_dup(s, 0)))
			goto nomem;
		v->n_agents++;
	}
	sqlite3_finalize(s);
	*out = v;
	return 0;
nomem:
	sqlite3_finalize(s);
	kefu_vendor_free(v);
	return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
}

int kefu_vendor_get(kefu_vendor **out, kefu_store *st, const char *id, kefu_err *err)
{
	*out = NULL;
	int rc = kefu_vendor_store_init(st, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, name, contact, note FROM vendor WHERE id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(err, db, "read vendor");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return kefu_err_set(err, KEFU_ENOTFOUND, "no vendor '%s' (add it with kefu vendor add)", id);
	}
	rc = load_vendor(out, db, s, err);
	sqlite3_finalize(s);
	return rc;
}

int kefu_vendor_list(kefu_vendor ***out, size_t *n, kefu_store *st, kefu_err *err)
{
	*out = NULL;
	*n = 0;
	int rc = kefu_vendor_store_init(st, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, name, contact, note FROM vendor ORDER BY id", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(err, db, "list vendors");
	kefu_vendor **arr = NULL;
	size_t cnt = 0, cap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		kefu_vendor *v = NULL;
		if (kefu_grow((void **)&arr, &cap, cnt + 1, sizeof *arr)) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
		if ((rc = load_vendor(&v, db, s, err)))
			break;
		arr[cnt++] = v;
	}
	sqlite3_finalize(s);
	if (rc) {
		for (size_t i = 0; i < cnt; i++)
			kefu_vendor_free(arr[i]);
		kefu_free(arr);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

int kefu_vendor_assess(kefu_store *st, const char *vendor, const kefu_vendor_card *card,
		       const char *assessor, const char *date, const char *card_file,
		       int64_t *id_out, kefu_err *err)
{
	int64_t day;
	if (!assessor || !assessor[0])
		return kefu_err_set(err, KEFU_EINVAL, "an assessment needs an assessor");
	if (!date || strlen(date) != 10 || kefu_day_parse(date, 10, &day))
		return kefu_err_set(err, KEFU_EINVAL, "assessment date: expected YYYY-MM-DD, got '%s'",
				    date ? date : "");
	kefu_vendor *v = NULL;
	int rc = kefu_vendor_get(&v, st, vendor, err);
	kefu_vendor_free(v);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if ((rc = exec(db, "BEGIN IMMEDIATE", err)))
		return rc;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO vendor_assessment(vendor, assessor, date, card_name, "
			       "card_file) VALUES (?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		goto dbfail;
	sqlite3_bind_text(s, 1, vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, assessor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, card->name ? card->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, card_file ? card_file : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(s);
	s = NULL;
	int64_t aid = sqlite3_last_insert_rowid(db);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO vendor_score(assessment, seq, group_id, group_name, "
			       "criterion, name, weight_x100, required, min, score, note, evidence, "
			       "evidence_found, line) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		goto dbfail;
	for (size_t i = 0; i < card->n; i++) {
		const kefu_vendor_criterion *k = &card->c[i];
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		sqlite3_bind_int64(s, 1, aid);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		sqlite3_bind_text(s, 3, k->group_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, k->group_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, k->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, k->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, k->weight_x100);
		sqlite3_bind_int(s, 8, k->required);
		sqlite3_bind_int(s, 9, k->min);
		if (k->score >= 0)
			sqlite3_bind_int(s, 10, k->score);
		if (k->note)
			sqlite3_bind_text(s, 11, k->note, -1, SQLITE_STATIC);
		if (k->evidence)
			sqlite3_bind_text(s, 12, k->evidence, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 13, k->evidence_found);
		sqlite3_bind_int64(s, 14, k->line);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto dbfail;
	}
	sqlite3_finalize(s);
	if ((rc = exec(db, "COMMIT", err)))
		return rc;
	if (id_out)
		*id_out = aid;
	return 0;
dbfail:
	rc = db_fail(err, db, "record assessment");
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static char *opt_dup(sqlite3_stmt *s, int i, int *nomem)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	char *d = col_dup(s, i);
	if (!d)
		*nomem = 1;
	return d;
}

int kefu_vendor_latest(kefu_vendor_card **out, int64_t *id_out, kefu_store *st, const char *vendor,
		       kefu_err *err)
{
	*out = NULL;
	int rc = kefu_vendor_store_init(st, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, assessor, date, card_name, card_file FROM vendor_assessment"
			       " WHERE vendor = ? ORDER BY date DESC, id DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(err, db, "read assessment");
	sqlite3_bind_text(s, 1, vendor, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return kefu_err_set(err, KEFU_ENOTFOUND, "vendor '%s' has no assessment", vendor);
	}
	kefu_vendor_card *c = kefu_calloc(1, sizeof *c);
	int nomem = !c;
	int64_t aid = sqlite3_column_int64(s, 0);
	if (c) {
		c->assessor = opt_dup(s, 1, &nomem);
		c->date = opt_dup(s, 2, &nomem);
		c->name = opt_dup(s, 3, &nomem);
		c->file = opt_dup(s, 4, &nomem);
		c->vendor = kefu_strndup(vendor, strlen(vendor));
		nomem |= !c->vendor;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (nomem) {
		kefu_vendor_card_free(c);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT group_id, group_name, criterion, name, weight_x100, required, min,"
			       " score, note, evidence, evidence_found, line FROM vendor_score"
			       " WHERE assessment = ? ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK) {
		kefu_vendor_card_free(c);
		return db_fail(err, db, "read scores");
	}
	sqlite3_bind_int64(s, 1, aid);
	size_t cap = 0;
	while (!nomem && sqlite3_step(s) == SQLITE_ROW) {
		if (kefu_grow((void **)&c->c, &cap, c->n + 1, sizeof *c->c)) {
			nomem = 1;
			break;
		}
		kefu_vendor_criterion *k = &c->c[c->n++];
		memset(k, 0, sizeof *k);
		k->group_id = col_dup(s, 0);
		k->group_name = col_dup(s, 1);
		k->id = col_dup(s, 2);
		k->name = col_dup(s, 3);
		nomem |= !k->group_id || !k->group_name || !k->id || !k->name;
		k->weight_x100 = sqlite3_column_int64(s, 4);
		k->required = sqlite3_column_int(s, 5);
		k->min = sqlite3_column_int(s, 6);
		k->score = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 7);
		k->note = opt_dup(s, 8, &nomem);
		k->evidence = opt_dup(s, 9, &nomem);
		k->evidence_found = sqlite3_column_int(s, 10);
		k->line = (long)sqlite3_column_int64(s, 11);
	}
	sqlite3_finalize(s);
	if (nomem) {
		kefu_vendor_card_free(c);
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	}
	*out = c;
	if (id_out)
		*id_out = aid;
	return 0;
}

/* ------------------------------------------------------------------ rank */

typedef struct ranked {
	kefu_vendor *v;
	kefu_vendor_card *card; /* NULL: never assessed */
	kefu_vendor_score sc;
} ranked;

/* a/b > c/d with positive denominators (128-bit products). */
static int frac_cmp(int64_t a, int64_t b, int64_t c, int64_t d)
{
	__int128 x = (__int128)a * d, y = (__int128)c * b;
	return x < y ? -1 : x > y;
}

static int cmp_ranked(const void *x, const void *y)
{
	const ranked *a = x, *b = y;
	int aa = a->card != NULL, ba = b->card != NULL;
	if (aa != ba)
		return ba - aa;
	if (aa) {
		if (a->sc.eligible != b->sc.eligible)
			return b->sc.eligible - a->sc.eligible;
		int c = frac_cmp(b->sc.num, b->sc.den, a->sc.num, a->sc.den);
		if (c)
			return c;
	}
	return strcmp(a->v->id, b->v->id);
}

static void cnum(kefu_cell *c, int64_t num, int64_t den)
{
	c->empty = 0;
	c->num = num;
	c->den = den;
}

static int append_text(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (kefu_grow((void **)buf, cap, *len + n + 1, 1))
		return KEFU_ENOMEM;
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

int kefu_vendor_rank(kefu_table **out, kefu_store *st, kefu_err *err)
{
	*out = NULL;
	kefu_vendor **vs = NULL;
	size_t nv = 0;
	ranked *r = NULL;
	kefu_table *t = NULL;
	char **groups = NULL;
	size_t ng = 0, gcap = 0;
	int rc = kefu_vendor_list(&vs, &nv, st, err);
	if (rc)
		return rc;
	r = kefu_calloc(nv + 1, sizeof *r);
	if (!r) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nv; i++)
		r[i].v = vs[i];
	for (size_t i = 0; i < nv; i++) {
		rc = kefu_vendor_latest(&r[i].card, NULL, st, vs[i]->id, err);
		if (rc == KEFU_ENOTFOUND) {
			rc = 0;
			kefu_err_clear(err);
			continue;
		}
		if (rc)
			goto done;
		kefu_vendor_card_score(r[i].card, &r[i].sc);
		for (size_t k = 0; k < r[i].card->n; k++) {
			const char *g = r[i].card->c[k].group_id;
			size_t j = 0;
			while (j < ng && strcmp(groups[j], g))
				j++;
			if (j == ng) {
				if (kefu_grow((void **)&groups, &gcap, ng + 1, sizeof *groups)) {
					rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
					goto done;
				}
				groups[ng++] = r[i].card->c[k].group_id;
			}
		}
	}
	qsort(r, nv, sizeof *r, cmp_ranked);
	if ((rc = kefu_table_new(&t, "kefu vendor rank")))
		goto nomem;
	rc |= kefu_table_add_col(t, "rank", "排名", KEFU_T_INT);
	rc |= kefu_table_add_col(t, "vendor", "外包商", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "name", "名称", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "assessed", "评估日期", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "assessor", "评估人", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "score", "加权得分(满分5)", KEFU_T_MEAN);
	for (size_t j = 0; j < ng; j++) {
		char nm[200];
		snprintf(nm, sizeof nm, "score_%s", groups[j]);
		rc |= kefu_table_add_col(t, nm, nm, KEFU_T_MEAN);
	}
	rc |= kefu_table_add_col(t, "missing", "未评分项", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "missing_evidence", "缺少证明材料", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "required_failed", "必须项未达标", KEFU_T_TEXT);
	rc |= kefu_table_add_col(t, "eligible", "合格", KEFU_T_FLAG);
	if (rc)
		goto nomem;
	for (size_t i = 0; i < nv; i++) {
		kefu_cell *row;
		if (kefu_table_add_row(t, &row))
			goto nomem;
		size_t c = 0;
		const ranked *x = &r[i];
		cnum(&row[c++], (int64_t)i + 1, 0);
		rc |= kefu_cell_set_text(&row[c++], x->v->id, strlen(x->v->id));
		rc |= kefu_cell_set_text(&row[c++], x->v->name, strlen(x->v->name));
		if (!x->card) {
			for (; c < t->ncols; c++)
				if (t->cols[c].type == KEFU_T_TEXT)
					rc |= kefu_cell_set_text(&row[c], "", 0);
			if (rc)
				goto nomem;
			continue;
		}
		rc |= kefu_cell_set_text(&row[c++], x->card->date, strlen(x->card->date));
		rc |= kefu_cell_set_text(&row[c++], x->card->assessor, strlen(x->card->assessor));
		cnum(&row[c++], x->sc.num, x->sc.den);
		for (size_t j = 0; j < ng; j++, c++) {
			kefu_vendor_score gs;
			if (kefu_vendor_group_score(x->card, groups[j], &gs) == 0)
				cnum(&row[c], gs.num, gs.den);
		}
		char *lists[3] = {NULL, NULL, NULL};
		size_t lens[3] = {0, 0, 0}, caps[3] = {0, 0, 0};
		int nomem = 0;
		for (int l = 0; l < 3; l++)
			nomem |= append_text(&lists[l], &lens[l], &caps[l], "");
		for (size_t k = 0; k < x->card->n; k++) {
			const kefu_vendor_criterion *cr = &x->card->c[k];
			char item[256];
			if (cr->score < 0) {
				nomem |= append_text(&lists[0], &lens[0], &caps[0], lens[0] ? " " : "");
				nomem |= append_text(&lists[0], &lens[0], &caps[0], cr->id);
			}
			if (cr->score > 0 && !(cr->evidence && cr->evidence_found)) {
				nomem |= append_text(&lists[1], &lens[1], &caps[1], lens[1] ? " " : "");
				nomem |= append_text(&lists[1], &lens[1], &caps[1], cr->id);
			}
			if (cr->required && cr->score < cr->min) {
				if (cr->score < 0)
					snprintf(item, sizeof item, "%s(-<%d)", cr->id, cr->min);
				else
					snprintf(item, sizeof item, "%s(%d<%d)", cr->id, cr->score, cr->min);
				nomem |= append_text(&lists[2], &lens[2], &caps[2], lens[2] ? " " : "");
				nomem |= append_text(&lists[2], &lens[2], &caps[2], item);
			}
		}
		for (int l = 0; l < 3; l++) {
			if (!nomem)
				nomem |= kefu_cell_set_text(&row[c], lists[l], lens[l]);
			c++;
			kefu_free(lists[l]);
		}
		cnum(&row[c++], x->sc.eligible, 0);
		if (nomem || rc)
			goto nomem;
	}
	*out = t;
	t = NULL;
	rc = 0;
	goto done;
nomem:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
done:
	kefu_table_free(t);
	for (size_t i = 0; i < nv; i++) {
		kefu_vendor_free(r ? r[i].v : vs[i]);
		if (r)
			kefu_vendor_card_free(r[i].card);
	}
	kefu_free(groups);
	kefu_free(r);
	kefu_free(vs);
	return rc;
}
