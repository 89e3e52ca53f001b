#!/usr/bin/env bash
# End-to-end: the taobao-trades-json input format (Open Platform trade
# objects): an API response wrapping an array, JSON Lines with bad lines,
# detection without --format, exact 19-digit tids, unpaid trades, refunds,
# and KPIs from chats plus trades.
# Usage: taobao_json.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; F="$2/fixtures/taobao_json"; W="$2/fixtures/worked"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
csv_get() { awk -F, -v col="$2" -v key="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next}
  index($0, key ",")==1 {print $c; exit}' "$1"; }
check() { local got; got=$(csv_get "$1" "$2" "$3"); [ "$got" = "$4" ] && ok || bad "$3 $2 = '$got', want '$4'"; }

"$KEFU" import --db "$TMP/a.db" --format taobao-trades-json --shop s1 "$F/trades_array.json" >"$TMP/out" 2>"$TMP/err"
[ $? = 0 ] && ok || { bad "import array"; cat "$TMP/err"; }
grep -q "added 3" "$TMP/out" && ok || bad "3 trades added"
"$KEFU" export orders --db "$TMP/a.db" >"$TMP/orders.csv" || bad "export"
check "$TMP/orders.csv" amount "s1,3012345678901234567" 100.00
check "$TMP/orders.csv" refund "s1,3012345678901234568" 10.00
check "$TMP/orders.csv" items "s1,3012345678901234568" 2
check "$TMP/orders.csv" paid "s1,3012345678901234569" ""
check "$TMP/orders.csv" status "s1,3012345678901234569" WAIT_BUYER_PAY

# detected without --format; bad lines rejected at their position
"$KEFU" import --db "$TMP/b.db" --shop s1 "$F/trades.jsonl" >"$TMP/out" 2>"$TMP/err"
[ $? = 3 ] && ok || bad "rejected trades give exit 3"
grep -q "trades.jsonl:3:" "$TMP/err" && ok || bad "invalid JSON line reported at 3"
grep -q "trades.jsonl:4:.*paid before created" "$TMP/err" && ok || bad "paid before created at 4"
grep -q "added 2" "$TMP/out" && ok || bad "2 good trades added"

# a shop is required
"$KEFU" import --db "$TMP/c.db" --format taobao-trades-json "$F/trades_array.json" >/dev/null 2>"$TMP/err"
[ $? != 0 ] && grep -q "give --shop" "$TMP/err" && ok || bad "missing --shop refused"

# KPIs from the worked example's chats with its orders as trades
"$KEFU" kpi --input-shop s1 --format csv "$W/messages.csv" "$F/trades_array.json" >"$TMP/kpi.csv" 2>"$TMP/err"
[ $? = 0 ] && ok || { bad "kpi with trades"; cat "$TMP/err"; }
check "$TMP/kpi.csv" sales_fen "s1,s1:amy,2023-03-01" 10000
check "$TMP/kpi.csv" sales_fen "s1,s1:amy,2023-03-02" 5000
check "$TMP/kpi.csv" converted "s1,s1:amy,2023-03-01" 2

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
