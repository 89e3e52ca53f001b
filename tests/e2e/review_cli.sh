#!/usr/bin/env bash
# End-to-end: `kefu review --contract ID` (docs/VENDORS.md "Renewal review")
# on the billing fixtures (the contract of settlement.md, January data only):
# text, HTML and XLSX outputs, invoices computed or as recorded by `kefu
# bill`, usage errors. January's first response inside coverage is 25.00 s
# (> 20: the 2% penalty of 13935.48 = -278.71), conversion 100% (+139.35).
# Usage: review_cli.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; FX=$2/fixtures/billing
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
DB=$TMP/k.db
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect_exit() { # code, description, command...
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want"; cat "$TMP/err"; fi
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not found"; fi; }

"$KEFU" import --db "$DB" "$FX/messages.csv" "$FX/orders.csv" "$FX/agents.csv" >/dev/null 2>&1 || bad import
"$KEFU" contract add --db "$DB" "$FX/hy-2023-017.yaml" >/dev/null || bad "contract add"
"$KEFU" vendor add huiying --db "$DB" --name 汇盈客服 >/dev/null || bad "vendor add"

expect_exit 0 "review --help" "$KEFU" review --help
expect_exit 2 "review without --contract" "$KEFU" review --db "$DB"
expect_exit 2 "review bad --day" "$KEFU" review --db "$DB" --contract HY-2023-017 --day 2023-1-1
expect_exit 2 "review bad extension" "$KEFU" review --db "$DB" --contract HY-2023-017 -o x.pdf
expect_exit 1 "review unknown contract" "$KEFU" review --db "$DB" --contract NOPE

# January only: one month with data, failed -> do not renew
expect_exit 0 "review to January" "$KEFU" review --db "$DB" --contract HY-2023-017 --day 2023-01-31
has "$TMP/out" "recommendation: do not renew (不续约)" "verdict"
has "$TMP/out" "first_resp_s <= 20 missed in 2023-01 (25.00)" "reason"
has "$TMP/out" "SLA penalties 278.71, bonuses 139.35 over the term" "penalties"
has "$TMP/out" "computed from the data (not recorded)" "invoice source"
has "$TMP/out" "13809.12" "January total"
has "$TMP/out" "汇盈客服" "vendor name"

expect_exit 0 "review html and xlsx" "$KEFU" review --db "$DB" --contract HY-2023-017 \
  -o "$TMP/r.html" -o "$TMP/r.xlsx"
has "$TMP/r.html" "<!DOCTYPE html>" "html page"
has "$TMP/r.html" "不续约" "html verdict"
has "$TMP/r.html" "first_resp_s &lt;= 20" "html escaped"
[ "$(head -c 2 "$TMP/r.xlsx")" = "PK" ] && ok || bad "xlsx is a zip"
ls "$TMP" | grep -q tmp && bad "temporary file left" || ok

# after `kefu bill`, the review shows the recorded invoices
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 --today 2023-02-01 >/dev/null 2>&1 || bad "bill"
expect_exit 0 "review recorded" "$KEFU" review --db "$DB" --contract HY-2023-017 --day 2023-01-31
has "$TMP/out" "recorded in the store" "recorded invoices"
has "$TMP/out" "HY-2023-017-2023-01-P-r1" "invoice id"

echo "review_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
