#!/usr/bin/env bash
# End-to-end: `kefu kpi` / `kefu chats` command line on the worked example
# (metrics.md section 10): help and usage exit codes, CSV values by column
# name, output files, rejected rows, and the store path giving the same
# numbers as reading the files directly.
# Usage: kpi_cli.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; TESTS=$2
W="$TESTS/fixtures/worked"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*"; fails=$((fails+1)); }
expect_exit() { # code, description, command...
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want"; cat "$TMP/err"; fi
}
# value of column $2 in the CSV row whose first columns match $3 (comma-joined key)
csv_get() { # file, column, key-prefix
  awk -F, -v col="$2" -v key="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next}
    index($0, key ",")==1 {print $c; exit}' "$1"
}
check() { # file, column, key, want
  local got; got=$(csv_get "$1" "$2" "$3")
  if [ "$got" = "$4" ]; then ok; else bad "$3 $2 = '$got', want '$4'"; fi
}

expect_exit 0 "kefu --help" "$KEFU" --help
expect_exit 0 "kefu --version" "$KEFU" --version
grep -q "^kefu " "$TMP/out" && ok || bad "--version prints the version"
expect_exit 2 "unknown command" "$KEFU" nosuch
expect_exit 0 "kpi --help" "$KEFU" kpi --help
grep -q -- "--judge-rule" "$TMP/out" && ok || bad "kpi --help lists --judge-rule"
expect_exit 2 "kpi without input" "$KEFU" kpi
expect_exit 2 "kpi bad --by" "$KEFU" kpi --by nobody "$W/messages.csv"
expect_exit 2 "kpi bad --set" "$KEFU" kpi --set max_wait=13h "$W/messages.csv"
expect_exit 2 "kpi unknown setting" "$KEFU" kpi --set nope=1 "$W/messages.csv"

expect_exit 0 "kpi csv" "$KEFU" kpi --format csv "$W/messages.csv" "$W/orders.csv"
cp "$TMP/out" "$TMP/kpi.csv"
check "$TMP/kpi.csv" consults "s1,s1:amy,2023-03-01" 2
check "$TMP/kpi.csv" avg_resp_s "s1,s1:amy,2023-03-01" 143.333333
check "$TMP/kpi.csv" first_resp_s "s1,s1:amy,2023-03-01" 140
check "$TMP/kpi.csv" duration_sum_s "s1,s1:amy,2023-03-01" 690
check "$TMP/kpi.csv" sales_fen "s1,s1:amy,2023-03-02" 5000
check "$TMP/kpi.csv" unanswered "s1,s1:bob,2023-03-01" 1
check "$TMP/kpi.csv" reply_rate "s1,s1:bob,2023-03-01" 0.5
check "$TMP/kpi.csv" agent_msgs "s1,s1:bob,2023-03-02" 1
check "$TMP/kpi.csv" conv_rate "s1,s1:bob,2023-03-01" 0

expect_exit 0 "kpi by shop" "$KEFU" kpi --by shop --format csv "$W/messages.csv" "$W/orders.csv"
check "$TMP/out" paid_fen "s1,2023-03-01" 13000
check "$TMP/out" silent_fen "s1,2023-03-01" 3000

expect_exit 0 "kpi zh table" "$KEFU" kpi --zh "$W/messages.csv" "$W/orders.csv"
grep -q "询单转化率" "$TMP/out" && ok || bad "--zh prints Chinese labels"
grep -q "143.33" "$TMP/out" && ok || bad "table shows 2-decimal means"

expect_exit 0 "kpi json" "$KEFU" kpi --format json "$W/messages.csv" "$W/orders.csv"
grep -q '"judge_rule=order_first\|judge_rule=order_first' "$TMP/out" && ok || bad "json states settings"
grep -q '"avg_resp_s": 143.333333' "$TMP/out" && ok || bad "json avg_resp_s exact"
grep -q '"first_resp_s": null' "$TMP/out" && ok || bad "json null for empty denominators"

expect_exit 0 "kpi -o files" "$KEFU" kpi -o "$TMP/a.csv" -o "$TMP/a.json" "$W/messages.csv" "$W/orders.csv"
[ -s "$TMP/a.csv" ] && [ -s "$TMP/a.json" ] && ok || bad "-o wrote both files"
cmp -s "$TMP/a.csv" "$TMP/kpi.csv" && ok || bad "-o a.csv equals --format csv"
expect_exit 2 "kpi -o unknown extension" "$KEFU" kpi -o "$TMP/a.pdf" "$W/messages.csv"

# judge rule from the command line: payment credits o2 at payment time (last touch amy)
expect_exit 0 "kpi judge payment" "$KEFU" kpi --judge-rule payment --format csv "$W/messages.csv" "$W/orders.csv"
check "$TMP/out" sales_fen "s1,s1:amy,2023-03-02" 5000

# a bad row is reported with file:line and the rest still counts
{ cat "$W/messages.csv"; echo 's1,b9,s1:amy,X,2023-03-01 10:00:00,bad dir'; echo 's1,b9,s1:amy,B,2023-02-30 10:00:00,bad date'; } > "$TMP/msgs_bad.csv"
expect_exit 3 "kpi with rejected rows" "$KEFU" kpi --format csv "$TMP/msgs_bad.csv" "$W/orders.csv"
grep -q "msgs_bad.csv:13:" "$TMP/err" && ok || { bad "error names file:line"; cat "$TMP/err"; }
grep -q "msgs_bad.csv:14:" "$TMP/err" && ok || bad "second bad row reported"
check "$TMP/out" consults "s1,s1:amy,2023-03-01" 2

# XLSX input (the worked example saved as Excel would: inline strings, date serials)
X="$TESTS/fixtures/xlsx"
expect_exit 0 "kpi from xlsx" "$KEFU" kpi --format csv "$X/worked_messages.xlsx" "$X/worked_orders.xlsx"
cmp -s "$TMP/out" "$TMP/kpi.csv" && ok || { bad "xlsx input differs from csv input"; diff "$TMP/out" "$TMP/kpi.csv" | head; }
expect_exit 1 "kpi xlsx missing sheet" "$KEFU" kpi --sheet nosuch --format csv "$X/worked_messages.xlsx"
grep -q "sheet .nosuch. not found" "$TMP/err" && ok || bad "missing sheet message"

# chats
expect_exit 0 "chats csv" "$KEFU" chats --format csv "$W/messages.csv" "$W/orders.csv"
check "$TMP/out" credited_orders "s1,s1:amy,b1" o1
check "$TMP/out" first_resp_s "s1,s1:bob,b3" 120

# store: import then kpi --db gives the same CSV as the files
if "$KEFU" import --help >/dev/null 2>&1; then
  expect_exit 0 "import" "$KEFU" import --db "$TMP/w.db" "$W/messages.csv" "$W/orders.csv"
  expect_exit 0 "kpi --db" "$KEFU" kpi --db "$TMP/w.db" --format csv
  cmp -s "$TMP/out" "$TMP/kpi.csv" && ok || { bad "kpi --db differs from kpi FILE"; diff "$TMP/out" "$TMP/kpi.csv" | head; }
  expect_exit 0 "import again" "$KEFU" import --db "$TMP/w.db" "$W/messages.csv" "$W/orders.csv"
  expect_exit 0 "kpi --db after re-import" "$KEFU" kpi --db "$TMP/w.db" --format csv
  cmp -s "$TMP/out" "$TMP/kpi.csv" && ok || bad "re-import changed the numbers"
  expect_exit 5 "kpi --db missing store" "$KEFU" kpi --db "$TMP/missing.db" --format csv
  # the second read comes from the columnar snapshot: same bytes
  expect_exit 0 "kpi --db from snapshot" "$KEFU" kpi --db "$TMP/w.db" --format csv
  cmp -s "$TMP/out" "$TMP/kpi.csv" && ok || bad "snapshot read differs"
  # a new import makes the snapshot stale: the new order must show
  printf 'shop,order_id,buyer,created,paid,amount,items,status\ns1,o5,b2,2023-03-02 09:30:00,2023-03-02 09:31:00,7.00,1,TRADE_FINISHED\n' > "$TMP/o5.csv"
  expect_exit 0 "import o5" "$KEFU" import --db "$TMP/w.db" "$TMP/o5.csv"
  expect_exit 0 "kpi --db after o5" "$KEFU" kpi --db "$TMP/w.db" --format csv
  check "$TMP/out" sales_fen "s1,s1:amy,2023-03-02" 5700
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
