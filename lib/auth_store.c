/*
 * auth_store.c - users and sessions in the store, as the "auth" module
 * (kefu_store_ensure_module): auth_users keeps the Argon2id string, the
 * failure count and the lock; auth_sessions keeps only hashes of session
 * tokens. Shop and team lists are stored as JSON arrays. Prepared
 * statements only.
 */
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "kefu/auth.h"

static const char auth_sql[] =
	"CREATE TABLE IF NOT EXISTS auth_users(name TEXT PRIMARY KEY, role TEXT NOT NULL,"
	" shops TEXT NOT NULL, agent TEXT, teams TEXT NOT NULL, pwhash TEXT NOT NULL,"
	" failures INTEGER NOT NULL DEFAULT 0, locked_until INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS auth_sessions(token_hash TEXT PRIMARY KEY,"
	" user TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL) STRICT;"
	"CREATE INDEX IF NOT EXISTS auth_sessions_user ON auth_sessions(user);"
	/* version 2: API tokens (auth_tokens.c); only their hashes are kept */
	"CREATE TABLE IF NOT EXISTS auth_tokens(id INTEGER PRIMARY KEY,"
	" token_hash TEXT NOT NULL UNIQUE, user TEXT NOT NULL, label TEXT NOT NULL,"
	" created INTEGER NOT NULL, expires INTEGER, last_used INTEGER) STRICT;"
	"CREATE INDEX IF NOT EXISTS auth_tokens_user ON auth_tokens(user);";

int kefu_auth_store_init(kefu_store *st, kefu_err *err)
{
	return kefu_store_ensure_module(st, "auth", 2, auth_sql, err);
}

static int db_fail(sqlite3 *db, kefu_err *err, const char *what)
{
	return kefu_err_set(err, KEFU_ESTORE, "%s: %s", what, sqlite3_errmsg(db));
}

/* Prepares sql; returns 0 or KEFU_ESTORE. */
static int prep(sqlite3 *db, sqlite3_stmt **s, const char *sql, kefu_err *err)
{
	if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK)
		return db_fail(db, err, "auth store");
	return 0;
}

static char *list_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static int list_parse(const char *s, char ***v, size_t *n)
{
	json_error_t je;
	json_t *a = json_loads(s ? s : "[]", 0, &je);
	if (!json_is_array(a)) {
		json_decref(a);
		return KEFU_ESTORE;
	}
	size_t k = json_array_size(a);
	*v = calloc(k + 1, sizeof **v);
	*n = 0;
	for (size_t i = 0; *v && i < k; i++) {
		const char *x = json_string_value(json_array_get(a, i));
		if (x && ((*v)[*n] = strdup(x)))
			(*n)++;
	}
	json_decref(a);
	return *v ? 0 : KEFU_ENOMEM;
}

int kefu_user_add(kefu_auth *a, kefu_store *st, const kefu_user *u, const char *password,
		  int64_t now, kefu_err *err)
{
	int rc = kefu_user_validate(u, err);
	if (rc)
		return rc;
	kefu_user *old = NULL;
	if (kefu_user_get(st, u->name, &old, err) == 0) { /* before the costly hash */
		kefu_user_free(old);
		return kefu_err_set(err, KEFU_EEXIST, "user '%s' already exists", u->name);
	}
	char hash[KEFU_PWHASH_LEN];
	if ((rc = kefu_auth_hash_password(a, password, hash, err)))
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	char *shops = list_json(u->shops, u->n_shops), *teams = list_json(u->teams, u->n_teams);
	if (!shops || !teams) {
		rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = prep(db, &s,
		       "INSERT INTO auth_users(name, role, shops, agent, teams, pwhash, created)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		       err)))
		goto cleanup;
	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kefu_role_name(u->role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, shops, -1, SQLITE_STATIC);
	if (u->agent)
		sqlite3_bind_text(s, 4, u->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, teams, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, now);
	int step = sqlite3_step(s);
	if ((step & 0xff) == SQLITE_CONSTRAINT)
		rc = kefu_err_set(err, KEFU_EEXIST, "user '%s' already exists", u->name);
	else if (step != SQLITE_DONE)
		rc = db_fail(db, err, "add user");
cleanup:
	sqlite3_finalize(s);
	free(shops);
	free(teams);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* Runs a one-parameter statement; *changes gets the changed row count. */
static int exec1(sqlite3 *db, const char *sql, const char *p1, int *changes, kefu_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc = prep(db, &s, sql, err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, p1, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(db, err, "auth store");
	sqlite3_finalize(s);
	if (changes)
		*changes = sqlite3_changes(db);
	return rc;
}

int kefu_user_passwd(kefu_auth *a, kefu_store *st, const char *name, const char *password,
		     kefu_err *err)
{
	char hash[KEFU_PWHASH_LEN];
	int rc = kefu_auth_hash_password(a, password, hash, err);
	if (rc)
		return rc;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	if ((rc = prep(db, &s,
		       "UPDATE auth_users SET pwhash = ?2, failures = 0, locked_until = 0"
		       " WHERE name = ?1",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(db, err, "change password");
	else if (sqlite3_changes(db) == 0)
		rc = kefu_err_set(err, KEFU_ENOTFOUND, "no user '%s'", name);
	sqlite3_finalize(s);
	sodium_memzero(hash, sizeof hash);
	if (!rc)
		rc = exec1(db, "DELETE FROM auth_sessions WHERE user = ?1", name, NULL, err);
	if (!rc)
		rc = exec1(db, "DELETE FROM auth_tokens WHERE user = ?1", name, NULL, err);
	return rc;
}

int kefu_user_del(kefu_store *st, const char *name, kefu_err *err)
{
	sqlite3 *db = kefu_store_sqlite(st);
	int changes = 0;
	int rc = exec1(db, "DELETE FROM auth_users WHERE name = ?1", name, &changes, err);
	if (!rc && !changes)
		return kefu_err_set(err, KEFU_ENOTFOUND, "no user '%s'", name);
	if (!rc)
		rc = exec1(db, "DELETE FROM auth_sessions WHERE user = ?1", name, NULL, err);
	if (!rc)
		rc = exec1(db, "DELETE FROM auth_tokens WHERE user = ?1", name, NULL, err);
	return rc;
}


int kefu_auth_user_from_row(sqlite3_stmt *s, kefu_user **out)
{
	kefu_user *u = calloc(1, sizeof *u);
	if (!u)
		return KEFU_ENOMEM;
	const char *agent = (const char *)sqlite3_column_text(s, 3);
	u->name = strdup((const char *)sqlite3_column_text(s, 0));
	u->agent = agent ? strdup(agent) : NULL;
	int rc = kefu_role_parse((const char *)sqlite3_column_text(s, 1), &u->role) ? KEFU_ESTORE : 0;
	if (!rc)
		rc = list_parse((const char *)sqlite3_column_text(s, 2), &u->shops, &u->n_shops);
	if (!rc)
		rc = list_parse((const char *)sqlite3_column_text(s, 4), &u->teams, &u->n_teams);
	u->failures = sqlite3_column_int64(s, 5);
	u->locked_until = sqlite3_column_int64(s, 6);
	u->created = sqlite3_column_int64(s, 7);
	if (!rc && (!u->name || (agent && !u->agent)))
		rc = KEFU_ENOMEM;
	if (rc) {
		kefu_user_free(u);
		return rc;
	}
	*out = u;
	return 0;
}

int kefu_user_get(kefu_store *st, const char *name, kefu_user **out, kefu_err *err)
{
	*out = NULL;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	int rc = prep(db, &s, "SELECT " USER_COLS " FROM auth_users u WHERE u.name = ?1", err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		if ((rc = kefu_auth_user_from_row(s, out)))
			rc = kefu_err_set(err, rc, "user '%s': damaged record", name);
	} else if (step == SQLITE_DONE) {
		rc = kefu_err_set(err, KEFU_ENOTFOUND, "no user '%s'", name);
	} else {
		rc = db_fail(db, err, "get user");
	}
	sqlite3_finalize(s);
	return rc;
}

int kefu_user_list(kefu_store *st, kefu_user ***out, size_t *n, kefu_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	int rc = prep(db, &s, "SELECT " USER_COLS " FROM auth_users u ORDER BY u.name", err);
	if (rc)
		return rc;
	kefu_user **v = NULL;
	size_t k = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		kefu_user **nv = realloc(v, (k + 1) * sizeof *nv);
		if (!nv) {
			rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
			break;
		}
		v = nv;
		if ((rc = kefu_auth_user_from_row(s, &v[k]))) {
			rc = kefu_err_set(err, rc, "damaged user record");
			break;
		}
		k++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(db, err, "list users");
	sqlite3_finalize(s);
	if (rc) {
		kefu_user_list_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

int kefu_auth_login(kefu_auth *a, kefu_store *st, const char *name, const char *password,
		    int64_t now, char token_out[KEFU_TOKEN_LEN + 1], kefu_user **user_out,
		    kefu_err *err)
{
	const kefu_auth_opts *o = kefu_auth_opts_of(a);
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	char hash[KEFU_PWHASH_LEN] = {0};
	int found = 0, rc;
	int64_t locked_until = 0;
	token_out[0] = '\0';
	if (user_out)
		*user_out = NULL;
	if ((rc = prep(db, &s, "SELECT pwhash, locked_until FROM auth_users WHERE name = ?1", err)))
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 0);
		if (h && strlen(h) < sizeof hash) {
			memcpy(hash, h, strlen(h) + 1);
			found = 1;
		}
		locked_until = sqlite3_column_int64(s, 1);
	} else if (step != SQLITE_DONE) {
		rc = db_fail(db, err, "login");
	}
	sqlite3_finalize(s); /* no read transaction stays open while hashing */
	if (rc)
		return rc;
	if (found && locked_until > now)
		return kefu_err_set(err, KEFU_ELOCKED,
				    "account locked after repeated failures; try again in %lld s",
				    (long long)(locked_until - now));
	int ok = kefu_auth_verify_password(a, found ? hash : kefu_auth_dummy_hash(a), password) == 0;
	if (!found || !ok) {
		if (found) {
			/* one statement: counts and locks atomically */
			if ((rc = prep(db, &s,
				       "UPDATE auth_users SET"
				       " locked_until = CASE WHEN failures + 1 >= ?2 THEN ?3 + ?4"
				       "  ELSE locked_until END,"
				       " failures = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE failures + 1 END"
				       " WHERE name = ?1",
				       err)))
				return rc;
			sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_int(s, 2, o->max_failures);
			sqlite3_bind_int64(s, 3, now);
			sqlite3_bind_int64(s, 4, o->lock_s);
			if (sqlite3_step(s) != SQLITE_DONE)
				rc = db_fail(db, err, "login");
			sqlite3_finalize(s);
			if (rc)
				return rc;
		}
		return kefu_err_set(err, KEFU_EAUTH, "wrong user name or password");
	}
	char token[KEFU_TOKEN_LEN + 1], th[KEFU_TOKEN_LEN + 1];
	kefu_auth_new_token(token);
	kefu_auth_token_hash(token, th);
	if ((rc = exec1(db, "UPDATE auth_users SET failures = 0, locked_until = 0 WHERE name = ?1",
			name, NULL, err)))
		return rc;
	if ((rc = prep(db, &s, "DELETE FROM auth_sessions WHERE expires <= ?1", err)))
		return rc;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_step(s);
	sqlite3_finalize(s);
	if ((rc = prep(db, &s,
		       "INSERT INTO auth_sessions(token_hash, user, created, expires)"
		       " VALUES(?1, ?2, ?3, ?4)",
		       err)))
		return rc;
	sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, now + o->session_ttl_s);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(db, err, "create session");
	sqlite3_finalize(s);
	if (rc)
		return rc;
	if (user_out && (rc = kefu_user_get(st, name, user_out, err)))
		return rc;
	memcpy(token_out, token, sizeof token);
	return 0;
}

int kefu_auth_session(kefu_store *st, const char *token, int64_t now, kefu_user **user_out,
		      kefu_err *err)
{
	*user_out = NULL;
	if (!token || strlen(token) != KEFU_TOKEN_LEN)
		return kefu_err_set(err, KEFU_EAUTH, "not logged in");
	char th[KEFU_TOKEN_LEN + 1];
	kefu_auth_token_hash(token, th);
	sqlite3 *db = kefu_store_sqlite(st);
	sqlite3_stmt *s = NULL;
	int rc = prep(db, &s,
		      "SELECT " USER_COLS " FROM auth_sessions s JOIN auth_users u ON s.user = u.name"
		      " WHERE s.token_hash = ?1 AND s.expires > ?2",
		      err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		rc = kefu_auth_user_from_row(s, user_out) ? kefu_err_set(err, KEFU_ESTORE, "damaged user") : 0;
	else if (step == SQLITE_DONE)
		rc = kefu_err_set(err, KEFU_EAUTH, "not logged in");
	else
		rc = db_fail(db, err, "session");
	sqlite3_finalize(s);
	return rc;
}

int kefu_auth_logout(kefu_store *st, const char *token, kefu_err *err)
{
	if (!token)
		return 0;
	char th[KEFU_TOKEN_LEN + 1];
	kefu_auth_token_hash(token, th);
	return exec1(kefu_store_sqlite(st), "DELETE FROM auth_sessions WHERE token_hash = ?1", th,
		     NULL, err);
}
