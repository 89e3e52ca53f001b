/*
 * tenancy.c - the one place that turns a logged-in user into the shop and
 * agent filter of a data query (auth.h). Every server handler that reads
 * KPI rows, chats, hourly volume or settings goes through these functions;
 * none decides rights on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "kefu/auth.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_strp(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(char *const *)elem);
}

static int in_list(char *const *v, size_t n, const char *s)
{
	return n && bsearch(s, v, n, sizeof *v, cmp_strp) != NULL;
}

static int in_ids(const uint32_t *v, size_t n, uint32_t id)
{
	return n && bsearch(&id, v, n, sizeof *v, cmp_u32) != NULL;
}

/* Names to sorted unique ids (unknown names match nothing). Never NULL on
 * success, even when empty: an empty filter keeps no rows. */
static uint32_t *resolve(const kefu_dict *d, const char *const *names, size_t n, size_t *count)
{
	uint32_t *ids = malloc((n + 1) * sizeof *ids);
	size_t k = 0;
	if (!ids)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		if (kefu_dict_find(d, names[i], strlen(names[i]), &id) == 0)
			ids[k++] = id;
	}
	qsort(ids, k, sizeof *ids, cmp_u32);
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		if (!m || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	*count = m;
	return ids;
}

/* The agent ids a supervisor or agent may see (sorted). */
static uint32_t *allowed_agents(const kefu_user *u, const kefu_dataset *ds, size_t *count)
{
	if (u->role == KEFU_ROLE_AGENT) {
		const char *nm = u->agent ? u->agent : "";
		return resolve(ds->agents, &nm, 1, count);
	}
	uint32_t na = kefu_dict_size(ds->agents);
	uint32_t *ids = malloc(((size_t)na + 1) * sizeof *ids);
	size_t k = 0;
	if (!ids)
		return NULL;
	for (uint32_t a = 0; a < na; a++) {
		uint32_t row = ds->roster.row_of_agent ? ds->roster.row_of_agent[a] : KEFU_NO_ID;
		if (row == KEFU_NO_ID || ds->roster.team[row] == KEFU_NO_ID)
			continue;
		kefu_str t = kefu_dict_get(ds->teams, ds->roster.team[row]);
		char *tn = strndup(t.p, t.n);
		if (!tn) {
			free(ids);
			return NULL;
		}
		if (in_list(u->teams, u->n_teams, tn))
			ids[k++] = a;
		free(tn);
	}
	*count = k;
	return ids;
}

/* Shops in which any of the agents has a message (sorted ids). */
static uint32_t *shops_of_agents(const kefu_dataset *ds, const uint32_t *agents, size_t na,
				 size_t *count)
{
	uint32_t ns = kefu_dict_size(ds->shops);
	unsigned char *seen = calloc((size_t)ns + 1, 1);
	uint32_t *ids = malloc(((size_t)ns + 1) * sizeof *ids);
	size_t k = 0;
	if (!seen || !ids) {
		free(seen);
		free(ids);
		return NULL;
	}
	for (size_t i = 0; i < ds->msg.n && na; i++)
		if (ds->msg.shop[i] < ns && !seen[ds->msg.shop[i]] &&
		    in_ids(agents, na, ds->msg.agent[i]))
			seen[ds->msg.shop[i]] = 1;
	for (uint32_t s = 0; s < ns; s++)
		if (seen[s])
			ids[k++] = s;
	free(seen);
	*count = k;
	return ids;
}

int kefu_tenancy_scope(const kefu_user *u, const kefu_dataset *ds, const kefu_selection *req,
		       kefu_report_opts *ro, uint32_t **shop_ids, uint32_t **agent_ids,
		       kefu_err *err)
{
	static const kefu_selection none = {NULL, 0, NULL, 0};
	uint32_t *sh = NULL, *ag = NULL, *allowed = NULL;
	size_t nsh = 0, nag = 0, nallowed = 0;
	int rc = 0;
	*shop_ids = *agent_ids = NULL;
	ro->shops = ro->agents = NULL;
	ro->n_shops = ro->n_agents = 0;
	if (!req)
		req = &none;
	if (!u)
		return kefu_err_set(err, KEFU_EFORBIDDEN, "not logged in");

	/* agents: admin and merchant as requested; agent and supervisor
	 * within their own */
	if (u->role == KEFU_ROLE_AGENT || u->role == KEFU_ROLE_SUPERVISOR) {
		if (!(allowed = allowed_agents(u, ds, &nallowed)))
			goto oom;
		for (size_t i = 0; i < req->n_agents; i++) {
			uint32_t id;
			const char *nm = req->agents[i];
			if (kefu_dict_find(ds->agents, nm, strlen(nm), &id) != 0 ||
			    !in_ids(allowed, nallowed, id)) {
				rc = kefu_err_set(err, KEFU_EFORBIDDEN, "agent not visible to this user");
				goto cleanup;
			}
		}
		if (req->n_agents) {
			if (!(ag = resolve(ds->agents, req->agents, req->n_agents, &nag)))
				goto oom;
		} else {
			ag = allowed;
			nag = nallowed;
			allowed = NULL;
		}
	} else if (req->n_agents) {
		if (!(ag = resolve(ds->agents, req->agents, req->n_agents, &nag)))
			goto oom;
	}

	/* shops */
	if (u->role == KEFU_ROLE_ADMIN) {
		if (req->n_shops && !(sh = resolve(ds->shops, req->shops, req->n_shops, &nsh)))
			goto oom;
	} else if (u->n_shops) {
		for (size_t i = 0; i < req->n_shops; i++)
			if (!in_list(u->shops, u->n_shops, req->shops[i])) {
				rc = kefu_err_set(err, KEFU_EFORBIDDEN, "shop not visible to this user");
				goto cleanup;
			}
		sh = req->n_shops ? resolve(ds->shops, req->shops, req->n_shops, &nsh)
				  : resolve(ds->shops, (const char *const *)u->shops, u->n_shops, &nsh);
		if (!sh)
			goto oom;
	} else if (u->role == KEFU_ROLE_MERCHANT) {
		/* a merchant without shops sees nothing */
		if (req->n_shops) {
			rc = kefu_err_set(err, KEFU_EFORBIDDEN, "shop not visible to this user");
			goto cleanup;
		}
		if (!(sh = malloc(sizeof *sh)))
			goto oom;
	} else {
		/* agent / supervisor without a shop list: the shops its agents
		 * worked in */
		uint32_t *mine = shops_of_agents(ds, ag, nag, &nsh);
		if (!mine)
			goto oom;
		for (size_t i = 0; i < req->n_shops; i++) {
			uint32_t id;
			const char *nm = req->shops[i];
			if (kefu_dict_find(ds->shops, nm, strlen(nm), &id) != 0 ||
			    !in_ids(mine, nsh, id)) {
				free(mine);
				rc = kefu_err_set(err, KEFU_EFORBIDDEN, "shop not visible to this user");
				goto cleanup;
			}
		}
		if (req->n_shops) {
			free(mine);
			if (!(sh = resolve(ds->shops, req->shops, req->n_shops, &nsh)))
				goto oom;
		} else {
			sh = mine;
		}
	}
	ro->shops = sh;
	ro->n_shops = nsh;
	ro->agents = ag;
	ro->n_agents = nag;
	*shop_ids = sh;
	*agent_ids = ag;
	sh = ag = NULL;
	goto cleanup;
oom:
	rc = kefu_err_set(err, KEFU_ENOMEM, "out of memory");
cleanup:
	free(sh);
	free(ag);
	free(allowed);
	return rc;
}

int kefu_tenancy_shop_visible(const kefu_user *u, const char *shop)
{
	if (!u || !shop)
		return 0;
	if (u->role == KEFU_ROLE_ADMIN)
		return 1;
	return in_list(u->shops, u->n_shops, shop);
}

int kefu_tenancy_contract_visible(const kefu_user *u, char *const *shops, size_t n)
{
	if (!u)
		return 0;
	if (u->role == KEFU_ROLE_ADMIN)
		return 1;
	if (u->role != KEFU_ROLE_MERCHANT || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!in_list(u->shops, u->n_shops, shops[i]))
			return 0;
	return 1;
}

int kefu_tenancy_can_admin(const kefu_user *u)
{
	return u && u->role == KEFU_ROLE_ADMIN;
}
