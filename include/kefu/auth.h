/*
 * auth.h - users, roles, passwords, sessions and tenancy for `kefu serve`
 * and `kefu user` (docs/SERVER.md).
 *
 * Roles: admin (the provider: everything), supervisor (the agents of its
 * teams), merchant (its own shops, read-only), agent (itself). Passwords are
 * Argon2id strings from libsodium's crypto_pwhash_str; at most
 * kefu_auth_opts.max_hashes hashes run at once (each takes memlimit bytes).
 * After max_failures wrong passwords in a row an account is locked for
 * lock_s seconds. A session token is 32 random bytes (64 hex characters)
 * given to the client once; the store keeps only its BLAKE2b hash. The CSRF
 * token is a keyed hash of the session token, so it needs no storage and
 * cannot be turned back into the session token.
 *
 * Tenancy (lib/tenancy.c) is the one place that turns a user into the
 * shop and agent filter every data query runs with.
 *
 * Ownership: kefu_user values returned by the store belong to the caller
 * (kefu_user_free / kefu_user_list_free). A kefu_auth is shared by all
 * threads (its hash limiter is thread-safe); a kefu_store is used by one
 * thread at a time (store.h).
 */
#ifndef KEFU_AUTH_H
#define KEFU_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "kefu/common.h"
#include "kefu/dataset.h"
#include "kefu/report.h"
#include "kefu/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes beyond common.h. */
#define KEFU_EAUTH (-20)      /* unknown user or wrong password (one message for both) */
#define KEFU_ELOCKED (-21)    /* too many failures: locked until err's message says */
#define KEFU_EFORBIDDEN (-22) /* the user may not see or do this */
#define KEFU_EEXIST (-23)     /* user already exists */

typedef enum kefu_role {
	KEFU_ROLE_ADMIN,
	KEFU_ROLE_SUPERVISOR,
	KEFU_ROLE_MERCHANT,
	KEFU_ROLE_AGENT
} kefu_role;

/* "admin", "supervisor", "merchant", "agent"; 0 or KEFU_EINVAL. */
int kefu_role_parse(const char *s, kefu_role *out);
const char *kefu_role_name(kefu_role r);

typedef struct kefu_user {
	char *name;
	kefu_role role;
	char **shops; /* merchant: its shops; others: optional restriction. Sorted, unique */
	size_t n_shops;
	char *agent;  /* agent role: its sub-account; NULL otherwise */
	char **teams; /* supervisor: its teams. Sorted, unique */
	size_t n_teams;
	int64_t failures, locked_until, created;
} kefu_user;

void kefu_user_free(kefu_user *u);
void kefu_user_list_free(kefu_user **v, size_t n);
/* Checks the role's required fields (merchant: >= 1 shop; agent: agent;
 * supervisor: >= 1 team) and the name (1..64 bytes, UTF-8 without control
 * characters). 0 or KEFU_EINVAL with the reason. */
int kefu_user_validate(const kefu_user *u, kefu_err *err);
/* Splits "a,b,c" into a sorted unique list appended to *v (empty items are
 * ignored). 0 or KEFU_ENOMEM. */
int kefu_user_add_list(char ***v, size_t *n, const char *csv);

typedef struct kefu_auth_opts {
	unsigned long long opslimit; /* 0: crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t memlimit;             /* 0: crypto_pwhash_MEMLIMIT_INTERACTIVE */
	int max_hashes;              /* hashes at once; 0: 2 */
	int max_failures;            /* wrong passwords before a lock; 0: 5 */
	int64_t lock_s;              /* lock duration; 0: 900 */
	int64_t session_ttl_s;       /* session lifetime; 0: 8 hours */
} kefu_auth_opts;

#define KEFU_AUTH_OPTS_INIT {0, 0, 0, 0, 0, 0}

typedef struct kefu_auth kefu_auth;

/* Named Argon2id costs for the command line: "interactive" (libsodium's
 * INTERACTIVE: 2 passes, 64 MiB; the default), "moderate" (3 passes,
 * 256 MiB) and "min" (1 pass, 8 KiB: tests only). 0 or KEFU_EINVAL. */
int kefu_auth_cost_parse(const char *name, kefu_auth_opts *o);

int kefu_auth_new(kefu_auth **out, const kefu_auth_opts *opts, kefu_err *err);
void kefu_auth_free(kefu_auth *a);
/* Highest number of hashes that ever ran at once (tests). */
int kefu_auth_peak_hashes(kefu_auth *a);

#define KEFU_PWHASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define KEFU_TOKEN_LEN 64   /* hex characters of a session or CSRF token */

/* Argon2id string of password (waits for a hash slot). */
int kefu_auth_hash_password(kefu_auth *a, const char *password, char out[KEFU_PWHASH_LEN],
			    kefu_err *err);
/* 0 when password matches hash, KEFU_EAUTH otherwise (waits for a slot). */
int kefu_auth_verify_password(kefu_auth *a, const char *hash, const char *password);
/* Hex of the BLAKE2b-256 hash of a token (what the store keeps). */
void kefu_auth_token_hash(const char *token, char out[KEFU_TOKEN_LEN + 1]);
/* The CSRF token that belongs to a session token. */
void kefu_auth_csrf(const char *token, char out[KEFU_TOKEN_LEN + 1]);
/* 1 when csrf is the CSRF token of session token (constant time). */
int kefu_auth_csrf_ok(const char *token, const char *csrf);

/* ------------------------------------------------- store (auth_store.c) */

/* Creates the module tables (auth_users, auth_sessions) if needed. */
int kefu_auth_store_init(kefu_store *st, kefu_err *err);
/* Adds a user with a password (KEFU_EEXIST if the name is taken). */
int kefu_user_add(kefu_auth *a, kefu_store *st, const kefu_user *u, const char *password,
		  int64_t now, kefu_err *err);
/* New password; clears failures and the lock, ends the user's sessions. */
int kefu_user_passwd(kefu_auth *a, kefu_store *st, const char *name, const char *password,
		     kefu_err *err);
/* Deletes the user and its sessions (KEFU_ENOTFOUND if none). */
int kefu_user_del(kefu_store *st, const char *name, kefu_err *err);
/* The user called name (KEFU_ENOTFOUND). */
int kefu_user_get(kefu_store *st, const char *name, kefu_user **out, kefu_err *err);
/* Every user, by name. */
int kefu_user_list(kefu_store *st, kefu_user ***out, size_t *n, kefu_err *err);

/*
 * Checks name/password at time now. On success creates a session and
 * writes its token (KEFU_TOKEN_LEN hex + NUL) to token_out and the user to
 * *user_out (may be NULL). KEFU_EAUTH for an unknown user or a wrong
 * password (an unknown user costs a hash as well), KEFU_ELOCKED while the
 * account is locked (no hash is computed). The store is not in a
 * transaction while the hash runs.
 */
int kefu_auth_login(kefu_auth *a, kefu_store *st, const char *name, const char *password,
		    int64_t now, char token_out[KEFU_TOKEN_LEN + 1], kefu_user **user_out,
		    kefu_err *err);
/* The user of a live session (KEFU_EAUTH when unknown or expired). */
int kefu_auth_session(kefu_store *st, const char *token, int64_t now, kefu_user **user_out,
		      kefu_err *err);
/* Ends a session (no error if it does not exist). */
int kefu_auth_logout(kefu_store *st, const char *token, kefu_err *err);

/* --------------------------------------------- API tokens (auth_tokens.c) */

/* An API token is "kefu_" and 64 hex characters. It acts as its user, for
 * scripts and BI tools that call the API without a browser session
 * (`Authorization: Bearer kefu_...`). The store keeps only its BLAKE2b
 * hash; the token is shown once, when it is made. */
#define KEFU_API_TOKEN_PREFIX "kefu_"
#define KEFU_API_TOKEN_LEN (5 + KEFU_TOKEN_LEN)

typedef struct kefu_api_token {
	int64_t id;
	char *user, *label;
	int64_t created, expires, last_used; /* expires 0 = never; last_used 0 = never */
} kefu_api_token;

/* Makes a token for an existing user (KEFU_ENOTFOUND otherwise), valid
 * until expires (0 = no end); writes it to out and its id to *id. */
int kefu_api_token_add(kefu_store *st, const char *user, const char *label, int64_t now,
		       int64_t expires, char out[KEFU_API_TOKEN_LEN + 1], int64_t *id,
		       kefu_err *err);
/* Every token (of user, or of everybody when user is NULL), by id. */
int kefu_api_token_list(kefu_store *st, const char *user, kefu_api_token **out, size_t *n,
			kefu_err *err);
void kefu_api_token_list_free(kefu_api_token *v, size_t n);
/* Deletes token id (KEFU_ENOTFOUND when there is none). */
int kefu_api_token_revoke(kefu_store *st, int64_t id, kefu_err *err);
/* The user of a live token at time now, recording its use (KEFU_EAUTH
 * for an unknown, malformed, expired or revoked token). */
int kefu_api_token_user(kefu_store *st, const char *token, int64_t now, kefu_user **user_out,
			kefu_err *err);

/* ------------------------------------------------- tenancy (tenancy.c) */

/* What a request asks for, by name (NULL/0 = not asked). */
typedef struct kefu_selection {
	const char *const *shops;
	size_t n_shops;
	const char *const *agents;
	size_t n_agents;
} kefu_selection;

/*
 * The one tenancy filter. Combines the user's rights with the request:
 *   admin       the request as given (unknown names match nothing);
 *   merchant    its shops; a requested shop outside them is KEFU_EFORBIDDEN;
 *   supervisor  the roster agents of its teams (and its shops if it has any);
 *   agent       its own sub-account (and its shops if it has any);
 * a requested agent outside the allowed ones is KEFU_EFORBIDDEN. Non-admin
 * users without a shop list are limited to the shops their agents have
 * messages in. Sets ro->shops/ro->agents (sorted ids) and stores the
 * arrays in *shop_ids / *agent_ids, which the caller frees (NULL when
 * unrestricted).
 */
int kefu_tenancy_scope(const kefu_user *u, const kefu_dataset *ds, const kefu_selection *req,
		       kefu_report_opts *ro, uint32_t **shop_ids, uint32_t **agent_ids,
		       kefu_err *err);
/* 1 when the user may see settings and names of shop (by name). */
int kefu_tenancy_shop_visible(const kefu_user *u, const char *shop);
/* 1 when the user may read the renewal review of a contract covering
 * shops[0..n): an admin, or a merchant holding every one of them (agents
 * and supervisors do not see contracts). */
int kefu_tenancy_contract_visible(const kefu_user *u, char *const *shops, size_t n);
/* 1 when the user may change users (admin only). Every write goes through it. */
int kefu_tenancy_can_admin(const kefu_user *u);

#ifdef __cplusplus
}
#endif
#endif
