/*
 * auth_tokens.c - API tokens for scripts and BI tools (auth.h): made for
 * an existing user, shown once, stored as a BLAKE2b hash in auth_tokens
 * (the "auth" module, version 2), checked on every request that carries
 * `Authorization: Bearer kefu_...`, revoked by deleting the row. A token
 * has its user's rights and nothing more; deleting the user deletes its
 * tokens. Prepared statements only.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "kefu/auth.h"

static int db_fail(sqlite3 *db, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

int kefu_api_token_add(kefu_store *st, const char *user, const char *label, int64_t now,
		       int64_t expires, char out[KEFU_API_TOKEN_LEN + 1], int64_t *id,
		       kefu_err *err)
{
	kefu_user *u = NULL;
	int rc = kefu_user_get(st, user, &u, err);
	kefu_user_free(u);
	if (rc)
		return rc;
	if (!label || !label[0] || strlen(label) > 200)
		return kefu_err_set(err, KEFU_EINVAL, "a token needs a label of 1-200 bytes");
	char raw[KEFU_TOKEN_LEN + 1], th[KEFU_TOKEN_LEN + 1];
	kefu_auth_new_token(raw);
	memcpy(out, KEFU_API_TOKEN_PREFIX, 5);
	memcpy(out + 5, raw, KEFU_TOKEN_LEN + 1);
	kefu_auth_token_hash(out, th);
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO auth_tokens(token_hash, user, label, created, expires)"
			       " VALUES(?1, ?2, ?3, ?4, ?5)",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "token");
	sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	if (expires)
		sqlite3_bind_int64(s, 5, expires);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_fail(db, err, "token");
	sqlite3_finalize(s);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(db);
	sodium_memzero(raw, sizeof raw);
	return rc;
}

static int64_t col_or0(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

int kefu_api_token_list(kefu_store *st, const char *user, kefu_api_token **out, size_t *n,
			kefu_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, user, label, created, expires, last_used FROM auth_tokens"
			       " WHERE ?1 IS NULL OR user = ?1 ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "tokens");
	if (user)
		sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	kefu_api_token *v = NULL;
	size_t k = 0, cap = 0;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			kefu_api_token *nv = realloc(v, ncap * sizeof *nv);
			if (!nv) {
				rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		kefu_api_token *t = &v[k];
		t->id = sqlite3_column_int64(s, 0);
		t->user = strdup((const char *)sqlite3_column_text(s, 1));
		t->label = strdup((const char *)sqlite3_column_text(s, 2));
		t->created = sqlite3_column_int64(s, 3);
		t->expires = col_or0(s, 4);
		t->last_used = col_or0(s, 5);
		k++;
		if (!t->user || !t->label) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(db, err, "tokens");
	sqlite3_finalize(s);
	if (rc) {
		kefu_api_token_list_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

void kefu_api_token_list_free(kefu_api_token *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].user);
		free(v[i].label);
	}
	free(v);
}

int kefu_api_token_revoke(kefu_store *st, int64_t id, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "DELETE FROM auth_tokens WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, err, "token");
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_fail(db, err, "token");
	sqlite3_finalize(s);
	if (!rc && sqlite3_changes(db) == 0)
		rc = kefu_err_set(err, KEFU_ENOTFOUND, "no token %lld", (long long)id);
	return rc;
}

int kefu_api_token_user(kefu_store *st, const char *token, int64_t now, kefu_user **user_out,
			kefu_err *err)
{
	*user_out = NULL;
	if (!token || strlen(token) != KEFU_API_TOKEN_LEN ||
	    strncmp(token, KEFU_API_TOKEN_PREFIX, 5) != 0)
		return kefu_err_set(err, KEFU_EAUTH, "not a kefu API token");
	char th[KEFU_TOKEN_LEN + 1];
	kefu_auth_token_hash(token, th);
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT " USER_COLS ", t.id, coalesce(t.last_used, 0) FROM auth_tokens t"
			       " JOIN auth_users u"
			       " ON u.name = t.user WHERE t.token_hash = ?1"
			       " AND (t.expires IS NULL OR t.expires > ?2)",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "token");
	sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	int step = sqlite3_step(s), rc;
	int64_t id = 0, last = 0;
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 8);
		last = sqlite3_column_int64(s, 9);
		rc = kefu_auth_user_from_row(s, user_out) ? kefu_err_set(err, KEFU_ESTORE, "damaged user")
							  : 0;
	} else if (step == SQLITE_DONE) {
		rc = kefu_err_set(err, KEFU_EAUTH, "unknown, expired or revoked token");
	} else {
		rc = db_fail(db, err, "token");
	}
	sqlite3_finalize(s);
	if (!rc && now - last >= 60) {
		/* last use to the minute, best effort: a store busy with an
		 * import must neither delay nor turn away a valid call */
		sqlite3_stmt *u;
		sqlite3_busy_timeout(db, 0);
		if (sqlite3_prepare_v2(db, "UPDATE auth_tokens SET last_used = ?2 WHERE id = ?1", -1,
				       &u, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(u, 1, id);
			sqlite3_bind_int64(u, 2, now);
			sqlite3_step(u);
			sqlite3_finalize(u);
		}
		sqlite3_busy_timeout(db, KEFU_STORE_BUSY_MS);
	}
	return rc;
}
