/*
 * auth.c - roles, user records, Argon2id password hashing behind a small
 * counting semaphore, session and CSRF tokens (auth.h). The store side is
 * in auth_store.c, the tenancy filter in tenancy.c.
 */
#include "kefu/auth.h"
#include "auth_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"admin", "supervisor", "merchant", "agent"};

int kefu_role_parse(const char *s, kefu_role *out)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, role_names[i])) {
			*out = (kefu_role)i;
			return 0;
		}
	return KEFU_EINVAL;
}

const char *kefu_role_name(kefu_role r)
{
	return (unsigned)r < 4 ? role_names[r] : "?";
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kefu_user_free(kefu_user *u)
{
	if (!u)
		return;
	free(u->name);
	free(u->agent);
	free_list(u->shops, u->n_shops);
	free_list(u->teams, u->n_teams);
	free(u);
}

void kefu_user_list_free(kefu_user **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kefu_user_free(v[i]);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kefu_user_add_list(char ***v, size_t *n, const char *csv)
{
	const char *p = csv;
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len) {
			char **nv = realloc(*v, (*n + 1) * sizeof *nv);
			if (!nv)
				return KEFU_ENOMEM;
			*v = nv;
			if (!(nv[*n] = strndup(p, len)))
				return KEFU_ENOMEM;
			(*n)++;
		}
		p = e ? e + 1 : NULL;
	}
	if (*n > 1) {
		qsort(*v, *n, sizeof **v, cmp_str);
		size_t k = 1;
		for (size_t i = 1; i < *n; i++) {
			if (!strcmp((*v)[i], (*v)[k - 1]))
				free((*v)[i]);
			else
				(*v)[k++] = (*v)[i];
		}
		*n = k;
	}
	return 0;
}

static int name_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int kefu_user_validate(const kefu_user *u, kefu_err *err)
{
	if (!name_ok(u->name, 64))
		return kefu_err_set(err, KEFU_EINVAL,
				    "user name must be 1 to 64 bytes without control characters");
	if ((unsigned)u->role > KEFU_ROLE_AGENT)
		return kefu_err_set(err, KEFU_EINVAL, "unknown role");
	for (size_t i = 0; i < u->n_shops; i++)
		if (!name_ok(u->shops[i], 256))
			return kefu_err_set(err, KEFU_EINVAL, "invalid shop name");
	for (size_t i = 0; i < u->n_teams; i++)
		if (!name_ok(u->teams[i], 256))
			return kefu_err_set(err, KEFU_EINVAL, "invalid team name");
	if (u->agent && !name_ok(u->agent, 256))
		return kefu_err_set(err, KEFU_EINVAL, "invalid agent name");
	switch (u->role) {
	case KEFU_ROLE_MERCHANT:
		if (!u->n_shops)
			return kefu_err_set(err, KEFU_EINVAL, "a merchant needs --shops");
		if (u->agent || u->n_teams)
			return kefu_err_set(err, KEFU_EINVAL, "a merchant has shops, not an agent or team");
		break;
	case KEFU_ROLE_AGENT:
		if (!u->agent)
			return kefu_err_set(err, KEFU_EINVAL, "an agent needs --agent");
		if (u->n_teams)
			return kefu_err_set(err, KEFU_EINVAL, "an agent has no teams");
		break;
	case KEFU_ROLE_SUPERVISOR:
		if (!u->n_teams)
			return kefu_err_set(err, KEFU_EINVAL, "a supervisor needs --team");
		if (u->agent)
			return kefu_err_set(err, KEFU_EINVAL, "a supervisor has teams, not an agent");
		break;
	case KEFU_ROLE_ADMIN:
		if (u->agent || u->n_teams || u->n_shops)
			return kefu_err_set(err, KEFU_EINVAL, "an admin sees everything: no shops, agent or team");
		break;
	}
	return 0;
}

int kefu_auth_cost_parse(const char *name, kefu_auth_opts *o)
{
	if (!strcmp(name, "interactive")) {
		o->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		o->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else if (!strcmp(name, "moderate")) {
		o->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
		o->memlimit = crypto_pwhash_MEMLIMIT_MODERATE;
	} else if (!strcmp(name, "min")) {
		o->opslimit = crypto_pwhash_OPSLIMIT_MIN;
		o->memlimit = crypto_pwhash_MEMLIMIT_MIN;
	} else {
		return KEFU_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------- hashing */

struct kefu_auth {
	unsigned long long ops;
	size_t mem;
	int max_hashes, running, peak;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	kefu_auth_opts o;
	char dummy_hash[KEFU_PWHASH_LEN]; /* verified for unknown users */
};

int kefu_auth_new(kefu_auth **out, const kefu_auth_opts *opts, kefu_err *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return kefu_err_set(err, KEFU_EINVAL, "libsodium failed to initialise");
	kefu_auth *a = calloc(1, sizeof *a);
	if (!a)
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	kefu_auth_opts o = KEFU_AUTH_OPTS_INIT;
	if (opts)
		o = *opts;
	a->ops = o.opslimit ? o.opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	a->mem = o.memlimit ? o.memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	a->max_hashes = o.max_hashes > 0 ? o.max_hashes : 2;
	if (!o.max_failures)
		o.max_failures = 5;
	if (!o.lock_s)
		o.lock_s = 900;
	if (!o.session_ttl_s)
		o.session_ttl_s = 8 * 3600;
	a->o = o;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	char pw[33];
	unsigned char rnd[16];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
	if (crypto_pwhash_str(a->dummy_hash, pw, strlen(pw), a->ops, a->mem) != 0) {
		kefu_auth_free(a);
		return kefu_err_set(err, KEFU_ENOMEM, "password hashing failed (out of memory)");
	}
	*out = a;
	return 0;
}

void kefu_auth_free(kefu_auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

const kefu_auth_opts *kefu_auth_opts_of(const kefu_auth *a)
{
	return &a->o;
}

const char *kefu_auth_dummy_hash(const kefu_auth *a)
{
	return a->dummy_hash;
}

int kefu_auth_peak_hashes(kefu_auth *a)
{
	pthread_mutex_lock(&a->mu);
	int p = a->peak;
	pthread_mutex_unlock(&a->mu);
	return p;
}

static void slot_take(kefu_auth *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->running >= a->max_hashes)
		pthread_cond_wait(&a->cv, &a->mu);
	a->running++;
	if (a->running > a->peak)
		a->peak = a->running;
	pthread_mutex_unlock(&a->mu);
}

static void slot_give(kefu_auth *a)
{
	pthread_mutex_lock(&a->mu);
	a->running--;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

int kefu_auth_hash_password(kefu_auth *a, const char *password, char out[KEFU_PWHASH_LEN],
			    kefu_err *err)
{
	size_t n = strlen(password);
	if (n == 0 || n > 1024)
		return kefu_err_set(err, KEFU_EINVAL, "password must be 1 to 1024 bytes");
	slot_take(a);
	int rc = crypto_pwhash_str(out, password, n, a->ops, a->mem);
	slot_give(a);
	if (rc != 0)
		return kefu_err_set(err, KEFU_ENOMEM, "password hashing failed (out of memory)");
	return 0;
}

int kefu_auth_verify_password(kefu_auth *a, const char *hash, const char *password)
{
	size_t n = strlen(password);
	if (n > 1024)
		return KEFU_EAUTH;
	slot_take(a);
	int rc = crypto_pwhash_str_verify(hash, password, n);
	slot_give(a);
	return rc == 0 ? 0 : KEFU_EAUTH;
}

void kefu_auth_token_hash(const char *token, char out[KEFU_TOKEN_LEN + 1])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, KEFU_TOKEN_LEN + 1, h, sizeof h);
}

void kefu_auth_csrf(const char *token, char out[KEFU_TOKEN_LEN + 1])
{
	/* The key is not secret: the CSRF token's secrecy comes from the
	 * session token it is derived from. */
	static const unsigned char key[] = "kefu csrf token derivation key.";
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), key,
			   sizeof key - 1);
	sodium_bin2hex(out, KEFU_TOKEN_LEN + 1, h, sizeof h);
}

int kefu_auth_csrf_ok(const char *token, const char *csrf)
{
	char want[KEFU_TOKEN_LEN + 1];
	if (!token || !csrf || strlen(csrf) != KEFU_TOKEN_LEN)
		return 0;
	kefu_auth_csrf(token, want);
	return sodium_memcmp(want, csrf, KEFU_TOKEN_LEN) == 0;
}

void kefu_auth_new_token(char out[KEFU_TOKEN_LEN + 1])
{
	unsigned char b[32];
	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, KEFU_TOKEN_LEN + 1, b, sizeof b);
}
