/*
 * auth_int.h - what auth.c shares with auth_store.c (not public API).
 */
#ifndef KEFU_AUTH_INT_H
#define KEFU_AUTH_INT_H

#include <sqlite3.h>

#include "kefu/auth.h"

/* The user columns of auth_users u, in the order kefu_auth_user_from_row
 * reads them from a result row. */
#define USER_COLS "u.name, u.role, u.shops, u.agent, u.teams, u.failures, u.locked_until, u.created"
int kefu_auth_user_from_row(sqlite3_stmt *s, kefu_user **out);

/* Options with defaults filled in. */
const kefu_auth_opts *kefu_auth_opts_of(const kefu_auth *a);
/* A hash of a random password, verified for unknown users so that they
 * cost as much time as known ones. */
const char *kefu_auth_dummy_hash(const kefu_auth *a);
/* A fresh random session token (64 hex characters). */
void kefu_auth_new_token(char out[KEFU_TOKEN_LEN + 1]);

#endif
