/*
 * serve_review.c - GET /api/v1/contracts/{id}/review: the renewal review
 * of a contract (the same page as `kefu review --contract ID -o x.html`)
 * for an admin, or for a merchant that holds every shop of the contract.
 * Anyone else gets the same 404 as for a contract that does not exist, so
 * contract ids of other merchants are not revealed.
 *
 * The review runs the engine with the contract's judge rule on its own
 * store connection (bill_session), not on the dashboard's cached run,
 * which may use another rule: a review is rare and may take seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bill_session.h"
#include "kefu/auth.h"
#include "kefu/billing.h"
#include "kefu/renewal.h"
#include "kefu/tz.h"
#include "kefu/vendor.h"
#include "serve.h"

/* The page is static HTML with inline CSS and no script at all. */
static const char review_csp[] = "default-src 'none'; style-src 'unsafe-inline'; "
				 "img-src data:; base-uri 'none'; form-action 'none'; "
				 "frame-ancestors 'none'";

void serve_contracts(serve_req *q, serve_resp *r)
{
	kefu_err err = KEFU_ERR_INIT;
	char **ids = NULL;
	size_t n = 0;
	json_t *arr = json_array(), *o = NULL;
	if (!arr || kefu_contract_store_ids(q->st, &ids, &n, &err)) {
		serve_error(r, 500, "cannot list contracts");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		kefu_contract *ct = NULL;
		if (kefu_contract_store_get(q->st, ids[i], &ct, &err)) {
			serve_error(r, 500, "cannot read a contract");
			goto done;
		}
		if (kefu_tenancy_contract_visible(q->user, ct->shops, ct->n_shops)) {
			char from[16], to[16];
			kefu_day_format(ct->start_day, from);
			kefu_day_format(ct->end_day, to);
			json_t *shops = json_array();
			for (size_t k = 0; shops && k < ct->n_shops; k++)
				json_array_append_new(shops, json_string(ct->shops[k]));
			json_array_append_new(arr, json_pack("{s:s,s:s,s:o*,s:s,s:s}", "id", ct->id,
							     "vendor", ct->vendor ? ct->vendor : "",
							     "shops", shops, "from", from, "to", to));
		}
		kefu_contract_free(ct);
	}
	o = json_pack("{s:O}", "contracts", arr);
	free(r->body);
	r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	r->len = r->body ? strlen(r->body) : 0;
	r->status = r->body ? 200 : 500;
	r->ctype = "application/json; charset=utf-8";
done:
	json_decref(o);
	json_decref(arr);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

void serve_review(serve_req *q, serve_resp *r)
{
	kefu_err err = KEFU_ERR_INIT;
	kefu_contract *ct = NULL;
	kefu_invoice *inv = NULL;
	size_t ninv = 0;
	kefu_vendor *v = NULL;
	kefu_renewal *rv = NULL;
	char *buf = NULL;
	size_t len = 0;
	int have_session = 0;
	bill_session bs;
	if (!q->param || kefu_contract_store_get(q->st, q->param, &ct, &err) ||
	    !kefu_tenancy_contract_visible(q->user, ct->shops, ct->n_shops)) {
		serve_error(r, 404, "no such contract");
		goto done;
	}
	if (kefu_vendor_get(&v, q->st, ct->vendor, &err))
		v = NULL; /* a vendor without a record is named by its id */
	kefu_err_clear(&err);
	if (kefu_billing_load(q->st, ct->id, 0, 0, &inv, &ninv, &err)) {
		serve_error(r, 500, "cannot read the contract's invoices");
		goto done;
	}
	if (bill_session_open(&bs, q->ctx->db, "serve")) {
		serve_error(r, 500, "cannot open the store");
		goto done;
	}
	have_session = 1;
	kefu_billing_data d;
	if (bill_session_data(&bs) || bill_session_kpi(&bs, ct->judge_rule, &d)) {
		serve_error(r, 500, "cannot compute the contract's KPIs");
		goto done;
	}
	kefu_renewal_opts ro = {ct, &d, ninv ? inv : NULL, ninv, INT64_MIN, v ? v->name : NULL};
	FILE *f = open_memstream(&buf, &len);
	if (!f || kefu_renewal_build(&rv, &ro, &err) || kefu_renewal_html(f, rv, &err)) {
		if (f)
			fclose(f);
		serve_error(r, 500, err.msg[0] ? err.msg : "out of memory");
		goto done;
	}
	if (fclose(f) != 0) {
		serve_error(r, 500, "out of memory");
		goto done;
	}
	free(r->body);
	r->body = buf;
	r->len = len;
	buf = NULL;
	r->status = 200;
	r->ctype = "text/html; charset=utf-8";
	r->csp = review_csp;
done:
	free(buf);
	kefu_renewal_free(rv);
	if (have_session)
		bill_session_close(&bs);
	kefu_invoices_free(inv, ninv);
	kefu_vendor_free(v);
	kefu_contract_free(ct);
}
