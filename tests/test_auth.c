/*
 * test_auth.c - users, passwords, sessions, CSRF and tenancy (auth.h):
 * role and user validation, the store module (add/get/list/passwd/del),
 * login with lockout and its expiry, sessions stored only as hashes and
 * their expiry and logout, CSRF tokens bound to their session, the hash
 * limiter under concurrent logins, the default Argon2id cost, and the
 * tenancy filter of every role against a small dataset, down to the rows of
 * the KPI report it selects.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "kefu/auth.h"
#include "testutil.h"

static kefu_auth_opts fast_opts(void)
{
	kefu_auth_opts o = KEFU_AUTH_OPTS_INIT;
	assert_int_equal(kefu_auth_cost_parse("min", &o), 0);
	o.max_failures = 3;
	o.lock_s = 600;
	o.session_ttl_s = 3600;
	return o;
}

typedef struct fixture {
	char path[64];
	kefu_store *st;
	kefu_auth *a;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	kefu_err err = KEFU_ERR_INIT;
	snprintf(f->path, sizeof f->path, "/tmp/kefu-test-auth-XXXXXX");
	int fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	assert_int_equal(kefu_store_open(&f->st, f->path, &err), 0);
	assert_int_equal(kefu_auth_store_init(f->st, &err), 0);
	kefu_auth_opts o = fast_opts();
	assert_int_equal(kefu_auth_new(&f->a, &o, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char p[80];
	kefu_store_close(f->st);
	kefu_auth_free(f->a);
	unlink(f->path);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	free(f);
	return 0;
}

static void add(fixture *f, const char *name, kefu_role role, const char *shops,
		const char *agent, const char *teams, const char *pw)
{
	kefu_user u;
	kefu_err err = KEFU_ERR_INIT;
	memset(&u, 0, sizeof u);
	u.name = (char *)name;
	u.role = role;
	u.agent = (char *)agent;
	if (shops)
		assert_int_equal(kefu_user_add_list(&u.shops, &u.n_shops, shops), 0);
	if (teams)
		assert_int_equal(kefu_user_add_list(&u.teams, &u.n_teams, teams), 0);
	assert_int_equal(kefu_user_add(f->a, f->st, &u, pw, 1000, &err), 0);
	for (size_t i = 0; i < u.n_shops; i++)
		free(u.shops[i]);
	for (size_t i = 0; i < u.n_teams; i++)
		free(u.teams[i]);
	free(u.shops);
	free(u.teams);
}

static void test_roles_and_validation(void **state)
{
	(void)state;
	kefu_role r;
	const char *names[] = {"admin", "supervisor", "merchant", "agent"};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(kefu_role_parse(names[i], &r), 0);
		assert_string_equal(kefu_role_name(r), names[i]);
	}
	assert_int_equal(kefu_role_parse("root", &r), KEFU_EINVAL);
	assert_int_equal(kefu_role_parse("Admin", &r), KEFU_EINVAL);

	char **v = NULL;
	size_t n = 0;
	assert_int_equal(kefu_user_add_list(&v, &n, "b,a,,b,c"), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");

	kefu_err err = KEFU_ERR_INIT;
	kefu_user u;
	memset(&u, 0, sizeof u);
	u.name = "m";
	u.role = KEFU_ROLE_MERCHANT;
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL); /* no shops */
	u.shops = v;
	u.n_shops = n;
	assert_int_equal(kefu_user_validate(&u, &err), 0);
	u.agent = "x";
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL); /* merchant with agent */
	u.agent = NULL;
	u.role = KEFU_ROLE_ADMIN;
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL); /* admin with shops */
	u.shops = NULL;
	u.n_shops = 0;
	assert_int_equal(kefu_user_validate(&u, &err), 0);
	u.role = KEFU_ROLE_AGENT;
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL); /* agent without agent */
	u.agent = "s1:amy";
	assert_int_equal(kefu_user_validate(&u, &err), 0);
	u.agent = NULL;
	u.role = KEFU_ROLE_SUPERVISOR;
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL); /* supervisor without team */
	u.role = KEFU_ROLE_ADMIN;
	u.name = "bad\nname";
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL);
	u.name = "";
	assert_int_equal(kefu_user_validate(&u, &err), KEFU_EINVAL);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void test_store_users(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	add(f, "ma", KEFU_ROLE_MERCHANT, "s2,s1", NULL, NULL, "pw-ma");
	add(f, "boss", KEFU_ROLE_ADMIN, NULL, NULL, NULL, "pw-boss");
	kefu_user u = {.name = "ma", .role = KEFU_ROLE_MERCHANT};
	char *shops[] = {"s1"};
	u.shops = shops;
	u.n_shops = 1;
	assert_int_equal(kefu_user_add(f->a, f->st, &u, "x", 1000, &err), KEFU_EEXIST);

	kefu_user *got = NULL;
	assert_int_equal(kefu_user_get(f->st, "ma", &got, &err), 0);
	assert_int_equal(got->role, KEFU_ROLE_MERCHANT);
	assert_int_equal(got->n_shops, 2);
	assert_string_equal(got->shops[0], "s1");
	assert_string_equal(got->shops[1], "s2");
	assert_null(got->agent);
	assert_int_equal(got->created, 1000);
	kefu_user_free(got);
	assert_int_equal(kefu_user_get(f->st, "nobody", &got, &err), KEFU_ENOTFOUND);
	assert_null(got);

	kefu_user **list = NULL;
	size_t n = 0;
	assert_int_equal(kefu_user_list(f->st, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->name, "boss");
	assert_string_equal(list[1]->name, "ma");
	kefu_user_list_free(list, n);

	/* the stored password is an Argon2id string, not the password */
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(kefu_store_sqlite(f->st),
					    "SELECT pwhash FROM auth_users WHERE name = 'ma'", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	const char *h = (const char *)sqlite3_column_text(s, 0);
	assert_true(strncmp(h, "$argon2id$", 10) == 0);
	assert_null(strstr(h, "pw-ma"));
	sqlite3_finalize(s);

	char tok[KEFU_TOKEN_LEN + 1];
	assert_int_equal(kefu_user_passwd(f->a, f->st, "ma", "new-pw", &err), 0);
	assert_int_equal(kefu_auth_login(f->a, f->st, "ma", "pw-ma", 2000, tok, NULL, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_login(f->a, f->st, "ma", "new-pw", 2000, tok, NULL, &err), 0);
	assert_int_equal(kefu_user_passwd(f->a, f->st, "nobody", "x", &err), KEFU_ENOTFOUND);
	assert_int_equal(kefu_user_del(f->st, "ma", &err), 0);
	assert_int_equal(kefu_user_del(f->st, "ma", &err), KEFU_ENOTFOUND);
	/* the deleted user's session is gone too */
	kefu_user *who = NULL;
	assert_int_equal(kefu_auth_session(f->st, tok, 2001, &who, &err), KEFU_EAUTH);
}

static int count_rows(kefu_store *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(kefu_store_sqlite(st), sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void test_login_sessions(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	add(f, "ag", KEFU_ROLE_AGENT, NULL, "s1:amy", NULL, "secret");
	char tok[KEFU_TOKEN_LEN + 1], th[KEFU_TOKEN_LEN + 1];
	kefu_user *u = NULL;
	assert_int_equal(kefu_auth_login(f->a, f->st, "ag", "secret", 5000, tok, &u, &err), 0);
	assert_int_equal(strlen(tok), KEFU_TOKEN_LEN);
	assert_int_equal(strspn(tok, "0123456789abcdef"), KEFU_TOKEN_LEN);
	assert_string_equal(u->agent, "s1:amy");
	kefu_user_free(u);

	/* only the hash of the token is stored */
	kefu_auth_token_hash(tok, th);
	assert_string_not_equal(th, tok);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM auth_sessions WHERE token_hash = ?1", tok), 0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM auth_sessions WHERE token_hash = ?1", th), 1);

	/* a second login is another token */
	char tok2[KEFU_TOKEN_LEN + 1];
	assert_int_equal(kefu_auth_login(f->a, f->st, "ag", "secret", 5000, tok2, NULL, &err), 0);
	assert_string_not_equal(tok, tok2);

	assert_int_equal(kefu_auth_session(f->st, tok, 5001, &u, &err), 0);
	assert_string_equal(u->name, "ag");
	assert_int_equal(u->role, KEFU_ROLE_AGENT);
	kefu_user_free(u);
	/* expiry: ttl 3600 s */
	assert_int_equal(kefu_auth_session(f->st, tok, 5000 + 3599, &u, &err), 0);
	kefu_user_free(u);
	assert_int_equal(kefu_auth_session(f->st, tok, 5000 + 3600, &u, &err), KEFU_EAUTH);
	assert_null(u);
	/* malformed and unknown tokens */
	assert_int_equal(kefu_auth_session(f->st, "abc", 5001, &u, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_session(f->st, th, 5001, &u, &err), KEFU_EAUTH); /* the hash is no token */
	/* logout ends only that session */
	assert_int_equal(kefu_auth_logout(f->st, tok, &err), 0);
	assert_int_equal(kefu_auth_session(f->st, tok, 5001, &u, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_session(f->st, tok2, 5001, &u, &err), 0);
	kefu_user_free(u);

	/* CSRF: bound to its session token */
	char c1[KEFU_TOKEN_LEN + 1], c2[KEFU_TOKEN_LEN + 1];
	kefu_auth_csrf(tok, c1);
	kefu_auth_csrf(tok2, c2);
	assert_true(kefu_auth_csrf_ok(tok, c1));
	assert_false(kefu_auth_csrf_ok(tok, c2));
	assert_false(kefu_auth_csrf_ok(tok2, c1));
	assert_string_not_equal(c1, tok);
	assert_false(kefu_auth_csrf_ok(tok, NULL));
	assert_false(kefu_auth_csrf_ok(NULL, c1));
	c1[10] ^= 1;
	assert_false(kefu_auth_csrf_ok(tok, c1));
	assert_false(kefu_auth_csrf_ok(tok, "short"));
}

/* API tokens: act as their user until they expire or are revoked; the
 * user's deletion takes them along; only hashes are stored. */
static void test_api_tokens(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	add(f, "ma", KEFU_ROLE_MERCHANT, "shopA", NULL, NULL, "pw");
	add(f, "ad", KEFU_ROLE_ADMIN, NULL, NULL, NULL, "pw2");
	char t1[KEFU_API_TOKEN_LEN + 1], t2[KEFU_API_TOKEN_LEN + 1];
	int64_t id1, id2;
	assert_int_equal(kefu_api_token_add(f->st, "ma", "bi", 2000, 2100, t1, &id1, &err), 0);
	assert_int_equal(kefu_api_token_add(f->st, "ad", "ops", 2000, 0, t2, &id2, &err), 0);
	assert_int_equal(strlen(t1), KEFU_API_TOKEN_LEN);
	assert_int_equal(strncmp(t1, "kefu_", 5), 0);
	assert_string_not_equal(t1, t2);
	assert_int_equal(kefu_api_token_add(f->st, "nobody", "x", 2000, 0, t2, NULL, &err),
			 KEFU_ENOTFOUND);
	assert_int_equal(kefu_api_token_add(f->st, "ma", "", 2000, 0, t2, NULL, &err), KEFU_EINVAL);
	kefu_user *u = NULL;
	assert_int_equal(kefu_api_token_user(f->st, t1, 2050, &u, &err), 0);
	assert_string_equal(u->name, "ma");
	assert_int_equal(u->role, KEFU_ROLE_MERCHANT);
	kefu_user_free(u);
	/* expired at 2100 */
	assert_int_equal(kefu_api_token_user(f->st, t1, 2100, &u, &err), KEFU_EAUTH);
	assert_null(u);
	/* a session token or a changed character is no API token */
	char bad[KEFU_API_TOKEN_LEN + 1];
	memcpy(bad, t2, sizeof bad);
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	assert_int_equal(kefu_api_token_user(f->st, bad, 2050, &u, &err), KEFU_EAUTH);
	assert_int_equal(kefu_api_token_user(f->st, t2 + 5, 2050, &u, &err), KEFU_EAUTH);
	/* listed without the token; the last use recorded */
	assert_int_equal(kefu_api_token_user(f->st, t2, 5000, &u, &err), 0);
	kefu_user_free(u);
	kefu_api_token *v;
	size_t n;
	assert_int_equal(kefu_api_token_list(f->st, NULL, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, id1);
	assert_int_equal(v[0].last_used, 2050);
	assert_int_equal(v[0].expires, 2100);
	assert_int_equal(v[1].last_used, 5000);
	assert_int_equal(v[1].expires, 0);
	kefu_api_token_list_free(v, n);
	char *stored = NULL;
	{
		sqlite3 *db = kefu_store_sqlite(f->st);
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(token_hash || user || label)"
							" FROM auth_tokens", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		stored = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	assert_null(strstr(stored, t1 + 5));
	assert_null(strstr(stored, t2 + 5));
	free(stored);
	/* revoked; deleting a user deletes its tokens */
	assert_int_equal(kefu_api_token_revoke(f->st, id2, &err), 0);
	assert_int_equal(kefu_api_token_revoke(f->st, id2, &err), KEFU_ENOTFOUND);
	assert_int_equal(kefu_api_token_user(f->st, t2, 5001, &u, &err), KEFU_EAUTH);
	assert_int_equal(kefu_user_del(f->st, "ma", &err), 0);
	assert_int_equal(kefu_api_token_list(f->st, "ma", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	kefu_api_token_list_free(v, n);
}

static void test_lockout(void **state)
{
	fixture *f = *state;
	kefu_err err = KEFU_ERR_INIT;
	char tok[KEFU_TOKEN_LEN + 1];
	add(f, "sup", KEFU_ROLE_SUPERVISOR, NULL, NULL, "t1", "right");
	assert_int_equal(kefu_auth_login(f->a, f->st, "nobody", "x", 100, tok, NULL, &err), KEFU_EAUTH);
	/* two failures, then a success resets the count */
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "wrong", 100, tok, NULL, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "wrong", 100, tok, NULL, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 100, tok, NULL, &err), 0);
	/* three failures in a row lock for 600 s */
	for (int i = 0; i < 3; i++)
		assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "wrong", 200, tok, NULL, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 200, tok, NULL, &err), KEFU_ELOCKED);
	assert_string_equal(tok, "");
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 799, tok, NULL, &err), KEFU_ELOCKED);
	kefu_user *u = NULL;
	assert_int_equal(kefu_user_get(f->st, "sup", &u, &err), 0);
	assert_int_equal(u->locked_until, 800);
	kefu_user_free(u);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 800, tok, NULL, &err), 0);
	/* the count starts over after the lock */
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "wrong", 900, tok, NULL, &err), KEFU_EAUTH);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 900, tok, NULL, &err), 0);
	/* passwd clears a lock */
	for (int i = 0; i < 3; i++)
		kefu_auth_login(f->a, f->st, "sup", "wrong", 1000, tok, NULL, &err);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right", 1000, tok, NULL, &err), KEFU_ELOCKED);
	assert_int_equal(kefu_user_passwd(f->a, f->st, "sup", "right2", &err), 0);
	assert_int_equal(kefu_auth_login(f->a, f->st, "sup", "right2", 1000, tok, NULL, &err), 0);
}

typedef struct hash_job {
	kefu_auth *a;
	int ok;
} hash_job;

static void *hash_worker(void *p)
{
	hash_job *j = p;
	kefu_err err = KEFU_ERR_INIT;
	char h[KEFU_PWHASH_LEN];
	j->ok = 1;
	for (int i = 0; i < 3; i++) {
		if (kefu_auth_hash_password(j->a, "pw", h, &err) ||
		    kefu_auth_verify_password(j->a, h, "pw") ||
		    kefu_auth_verify_password(j->a, h, "pX") != KEFU_EAUTH)
			j->ok = 0;
	}
	return NULL;
}

static int peak_with(int max_hashes)
{
	kefu_auth *a = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kefu_auth_opts o = KEFU_AUTH_OPTS_INIT;
	o.opslimit = 1;
	o.memlimit = 4u << 20; /* a few ms per hash, so that threads overlap */
	o.max_hashes = max_hashes;
	assert_int_equal(kefu_auth_new(&a, &o, &err), 0);
	pthread_t th[6];
	hash_job jobs[6];
	for (int i = 0; i < 6; i++) {
		jobs[i].a = a;
		assert_int_equal(pthread_create(&th[i], NULL, hash_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		assert_true(jobs[i].ok);
	}
	int peak = kefu_auth_peak_hashes(a);
	kefu_auth_free(a);
	return peak;
}

static void test_hash_limit(void **state)
{
	(void)state;
	assert_int_equal(peak_with(1), 1);
	int p = peak_with(2);
	assert_true(p >= 1 && p <= 2);
}

static void test_default_cost(void **state)
{
	(void)state;
	kefu_auth *a = NULL;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_auth_new(&a, NULL, &err), 0);
	char h[KEFU_PWHASH_LEN];
	assert_int_equal(kefu_auth_hash_password(a, "correct horse", h, &err), 0);
	/* libsodium's INTERACTIVE: 64 MiB, 2 passes */
	assert_true(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	assert_int_equal(kefu_auth_verify_password(a, h, "correct horse"), 0);
	assert_int_equal(kefu_auth_verify_password(a, h, "correct horsE"), KEFU_EAUTH);
	assert_int_equal(kefu_auth_hash_password(a, "", h, &err), KEFU_EINVAL);
	kefu_auth_opts o = KEFU_AUTH_OPTS_INIT;
	assert_int_equal(kefu_auth_cost_parse("cheap", &o), KEFU_EINVAL);
	kefu_auth_free(a);
}

/* ------------------------------------------------------------ tenancy */

static const char *const tenancy_csv[] = {
	"shop,buyer,agent,dir,ts,text\n"
	"sA,b1,sA:amy,B,2024-03-01 10:00:00,hi\n"
	"sA,b1,sA:amy,A,2024-03-01 10:00:20,hello\n"
	"sA,b2,sA:bob,B,2024-03-01 11:00:00,hi\n"
	"sA,b2,sA:bob,A,2024-03-01 11:00:30,hello\n"
	"sB,b3,sB:cat,B,2024-03-01 12:00:00,hi\n"
	"sB,b3,sB:cat,A,2024-03-01 12:00:40,hello\n"
	"sB,b4,sA:amy,B,2024-03-02 09:00:00,hi\n"
	"sB,b4,sA:amy,A,2024-03-02 09:01:00,hello\n",
	"agent,vendor,team,name\n"
	"sA:amy,v1,t1,Amy\n"
	"sA:bob,v1,t2,Bob\n"
	"sB:cat,v2,t1,Cat\n",
	NULL};

static kefu_user *mk(kefu_role role, const char *shops, const char *agent, const char *teams)
{
	kefu_user *u = calloc(1, sizeof *u);
	u->name = strdup("u");
	u->role = role;
	u->agent = agent ? strdup(agent) : NULL;
	if (shops)
		kefu_user_add_list(&u->shops, &u->n_shops, shops);
	if (teams)
		kefu_user_add_list(&u->teams, &u->n_teams, teams);
	return u;
}

/* Runs the tenancy filter and returns the shop,agent pairs of the KPI
 * report rows (by agent, per range) as "shop/agent;..." or "FORBIDDEN". */
static char *scoped(tu_run *r, const kefu_user *u, const char *const *shops, size_t ns,
		    const char *const *agents, size_t na)
{
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	ro.per = KEFU_PER_RANGE;
	uint32_t *sh = NULL, *ag = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kefu_selection req = {shops, ns, agents, na};
	int rc = kefu_tenancy_scope(u, r->ds, &req, &ro, &sh, &ag, &err);
	if (rc) {
		assert_int_equal(rc, KEFU_EFORBIDDEN);
		assert_null(sh);
		assert_null(ag);
		return strdup("FORBIDDEN");
	}
	kefu_table *t = NULL;
	assert_int_equal(kefu_report_kpi(&t, r->ds, r->res, &ro, &err), 0);
	char *out = calloc(1, 4096);
	long cs = kefu_table_col(t, "shop"), ca = kefu_table_col(t, "agent");
	for (size_t i = 0; i < t->nrows; i++) {
		strcat(out, kefu_table_cell(t, i, (size_t)cs)->text);
		strcat(out, "/");
		strcat(out, kefu_table_cell(t, i, (size_t)ca)->text);
		strcat(out, ";");
	}
	kefu_table_free(t);
	free(sh);
	free(ag);
	return out;
}

#define EXPECT(r, u, shops, ns, agents, na, want)                                              \
	do {                                                                                   \
		char *got_ = scoped(r, u, shops, ns, agents, na);                              \
		assert_string_equal(got_, want);                                               \
		free(got_);                                                                    \
	} while (0)

static void test_tenancy(void **state)
{
	(void)state;
	tu_run r;
	kefu_dataset *ds = NULL;
	assert_int_equal(kefu_dataset_new(&ds), 0);
	for (int i = 0; tenancy_csv[i]; i++)
		tu_load_text(ds, tenancy_csv[i]);
	kefu_report_opts ro = KEFU_REPORT_OPTS_INIT;
	tu_run_dataset(&r, ds, NULL, &ro);
	const char *A[] = {"sA"}, *B[] = {"sB"}, *AB[] = {"sA", "sB"}, *nosuch[] = {"zz"};
	const char *amy[] = {"sA:amy"}, *bob[] = {"sA:bob"}, *cat[] = {"sB:cat"};
	const char *all = "sA/sA:amy;sA/sA:bob;sB/sA:amy;sB/sB:cat;";

	kefu_user *admin = mk(KEFU_ROLE_ADMIN, NULL, NULL, NULL);
	EXPECT(&r, admin, NULL, 0, NULL, 0, all);
	EXPECT(&r, admin, B, 1, NULL, 0, "sB/sA:amy;sB/sB:cat;");
	EXPECT(&r, admin, nosuch, 1, NULL, 0, "");
	EXPECT(&r, admin, NULL, 0, amy, 1, "sA/sA:amy;sB/sA:amy;");
	assert_true(kefu_tenancy_can_admin(admin));
	assert_true(kefu_tenancy_shop_visible(admin, "sB"));

	kefu_user *ma = mk(KEFU_ROLE_MERCHANT, "sA", NULL, NULL);
	EXPECT(&r, ma, NULL, 0, NULL, 0, "sA/sA:amy;sA/sA:bob;");
	EXPECT(&r, ma, A, 1, NULL, 0, "sA/sA:amy;sA/sA:bob;");
	EXPECT(&r, ma, B, 1, NULL, 0, "FORBIDDEN");
	EXPECT(&r, ma, AB, 2, NULL, 0, "FORBIDDEN");
	EXPECT(&r, ma, nosuch, 1, NULL, 0, "FORBIDDEN");
	/* amy also works in sB: the merchant of sA sees only her sA rows */
	EXPECT(&r, ma, NULL, 0, amy, 1, "sA/sA:amy;");
	EXPECT(&r, ma, NULL, 0, cat, 1, "");
	assert_false(kefu_tenancy_can_admin(ma));
	assert_true(kefu_tenancy_shop_visible(ma, "sA"));
	assert_false(kefu_tenancy_shop_visible(ma, "sB"));
	assert_false(kefu_tenancy_shop_visible(ma, "*x"));

	kefu_user *mab = mk(KEFU_ROLE_MERCHANT, "sB,sA", NULL, NULL);
	EXPECT(&r, mab, NULL, 0, NULL, 0, all);
	EXPECT(&r, mab, B, 1, cat, 1, "sB/sB:cat;");

	kefu_user *ag = mk(KEFU_ROLE_AGENT, NULL, "sA:amy", NULL);
	EXPECT(&r, ag, NULL, 0, NULL, 0, "sA/sA:amy;sB/sA:amy;");
	EXPECT(&r, ag, NULL, 0, amy, 1, "sA/sA:amy;sB/sA:amy;");
	EXPECT(&r, ag, NULL, 0, bob, 1, "FORBIDDEN");
	EXPECT(&r, ag, B, 1, NULL, 0, "sB/sA:amy;");
	assert_false(kefu_tenancy_shop_visible(ag, "sA")); /* no shop list: only '*' settings */
	/* an agent limited to shop sA */
	kefu_user *agA = mk(KEFU_ROLE_AGENT, "sA", "sA:amy", NULL);
	EXPECT(&r, agA, NULL, 0, NULL, 0, "sA/sA:amy;");
	EXPECT(&r, agA, B, 1, NULL, 0, "FORBIDDEN");
	/* bob works only in sA: sB is not his */
	kefu_user *agb = mk(KEFU_ROLE_AGENT, NULL, "sA:bob", NULL);
	EXPECT(&r, agb, B, 1, NULL, 0, "FORBIDDEN");
	/* an agent unknown to the data sees nothing */
	kefu_user *ghost = mk(KEFU_ROLE_AGENT, NULL, "zz:ghost", NULL);
	EXPECT(&r, ghost, NULL, 0, NULL, 0, "");

	kefu_user *sup = mk(KEFU_ROLE_SUPERVISOR, NULL, NULL, "t1");
	EXPECT(&r, sup, NULL, 0, NULL, 0, "sA/sA:amy;sB/sA:amy;sB/sB:cat;");
	EXPECT(&r, sup, NULL, 0, bob, 1, "FORBIDDEN");
	EXPECT(&r, sup, NULL, 0, cat, 1, "sB/sB:cat;");
	EXPECT(&r, sup, A, 1, NULL, 0, "sA/sA:amy;");
	kefu_user *sup2 = mk(KEFU_ROLE_SUPERVISOR, NULL, NULL, "t2,t9");
	EXPECT(&r, sup2, NULL, 0, NULL, 0, "sA/sA:bob;");
	EXPECT(&r, sup2, B, 1, NULL, 0, "FORBIDDEN");

	/* not logged in */
	uint32_t *sh, *agi;
	kefu_err err = KEFU_ERR_INIT;
	assert_int_equal(kefu_tenancy_scope(NULL, r.ds, NULL, &ro, &sh, &agi, &err), KEFU_EFORBIDDEN);
	assert_false(kefu_tenancy_can_admin(NULL));

	kefu_user *users[] = {admin, ma, mab, ag, agA, agb, ghost, sup, sup2};
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		kefu_user_free(users[i]);
	tu_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_and_validation),
		cmocka_unit_test_setup_teardown(test_store_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_tokens, setup, teardown),
		cmocka_unit_test(test_hash_limit),
		cmocka_unit_test(test_default_cost),
		cmocka_unit_test(test_tenancy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
