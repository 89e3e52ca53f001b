#!/usr/bin/env bash
# End-to-end: `kefu vendor` (docs/VENDORS.md). Vendor records, scorecards
# (a filled fixture card, an invalid one with file:line: key), rank, show,
# the default template, and `vendor compare` on the worked example
# (metrics.md section 10) with amy in vendor huiying and bob in-house, over
# all hours and inside / outside an 11:00-24:00 window, from files and
# from the store. Every expected value is worked out by hand in comments.
# Usage: vendor_cli.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; TESTS=$2
W="$TESTS/fixtures/worked"; V="$TESTS/fixtures/vendor"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export KEFU_DB="$TMP/k.db"
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*"; fails=$((fails+1)); }
expect_exit() { # code, description, command...
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want"; cat "$TMP/err"; fi
}
# value of column $2 in the CSV row whose first columns match $3
csv_get() {
  awk -F, -v col="$2" -v key="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next}
    index($0, key ",")==1 {print $c; exit}' "$1"
}
check() { # file, column, key, want
  local got; got=$(csv_get "$1" "$2" "$3")
  if [ "$got" = "$4" ]; then ok; else bad "$3 $2 = '$got', want '$4'"; fi
}
has() { # file, text, description
  if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in output"; cat "$1"; fi
}

expect_exit 0 "vendor --help" "$KEFU" vendor --help
has "$TMP/out" "kefu vendor <subcommand>" "help"
expect_exit 2 "vendor without subcommand" "$KEFU" vendor
expect_exit 2 "unknown subcommand" "$KEFU" vendor nosuch
expect_exit 2 "inhouse is reserved" "$KEFU" vendor add inhouse
expect_exit 2 "add without id" "$KEFU" vendor add
expect_exit 0 "add huiying" "$KEFU" vendor add huiying --name 汇盈客服 --contact "王经理" --agent s1:zed
expect_exit 0 "add alpha" "$KEFU" vendor add alpha --name Alpha
expect_exit 0 "list" "$KEFU" vendor list --format csv
has "$TMP/out" "huiying,汇盈客服,王经理,s1:zed" "list"

# scorecards
expect_exit 2 "score needs --card" "$KEFU" vendor score alpha
expect_exit 2 "card for another vendor" "$KEFU" vendor score huiying --card "$V/filled-card.yaml"
has "$TMP/err" "the card is for vendor 'alpha'" "vendor mismatch"
expect_exit 2 "invalid card" "$KEFU" vendor score alpha --card "$V/bad-card.yaml" --assessor x
has "$TMP/err" "bad-card.yaml:8: groups[0].criteria[0].weight: expected a positive number" "line and key"
has "$TMP/err" "bad-card.yaml:16: date: expected a date" "every problem listed"
has "$TMP/err" "9 problems" "problem count"
# the fixture: (3*4 + 2*1 + 4*3 + 1.5*0) / 10.5 = 2.476.. ; premises 1 < min 2
expect_exit 0 "score alpha" "$KEFU" vendor score alpha --card "$V/filled-card.yaml"
has "$TMP/out" "recorded assessment #1 of alpha (张三, 2024-03-15): 2.48 / 5 (49.52%)" "score"
has "$TMP/out" "NOT eligible" "required minimum"
has "$TMP/err" "evidence 'evidence/lease.pdf' not found" "evidence warning"
expect_exit 0 "rank" "$KEFU" vendor rank --format csv
check "$TMP/out" vendor "1" alpha
check "$TMP/out" score "1,alpha" 2.47619
check "$TMP/out" score_hardware "1,alpha" 2.8
check "$TMP/out" required_failed "1,alpha" "premises(1<2)"
check "$TMP/out" missing_evidence "1,alpha" "premises cases"
check "$TMP/out" missing "1,alpha" "satisfaction"
check "$TMP/out" eligible "1,alpha" 0
check "$TMP/out" vendor "2" huiying
expect_exit 0 "show alpha" "$KEFU" vendor show alpha
has "$TMP/out" "2.48 / 5" "show score"
has "$TMP/out" "500万注册资本" "show notes"

# the default template round trip
expect_exit 0 "template" "$KEFU" vendor template -o "$TMP/card.yaml"
expect_exit 0 "template dry run" "$KEFU" vendor score alpha --card "$TMP/card.yaml" --assessor x --dry-run
has "$TMP/out" "0 of 12 criteria scored, 12 missing" "template unscored"
expect_exit 1 "score unknown vendor" "$KEFU" vendor score nobody --card "$TMP/card.yaml" --assessor x
has "$TMP/err" "no vendor 'nobody'" "unknown vendor"
sed 's/^        score:$/        score: 5/' "$TMP/card.yaml" > "$TMP/five.yaml"
expect_exit 0 "all fives" "$KEFU" vendor score alpha --card "$TMP/five.yaml" --assessor x --dry-run
has "$TMP/out" "5.00 / 5 (100.00%)" "all fives"

# compare on the worked example, 2023-03-01..02 (o3 on 03-04 is outside):
# huiying (amy): consults 2, received 2, first_resp 140, o1 100 + o2 50 = 15000 fen;
# inhouse (bob): consults 2, received 1; silent o4 3000. paid 18000.
R="$V/agents.csv"
expect_exit 0 "compare" "$KEFU" vendor compare --from 2023-03-01 --to 2023-03-02 --format csv \
  "$W/messages.csv" "$W/orders.csv" "$R"
cp "$TMP/out" "$TMP/cmp.csv"
check "$TMP/cmp.csv" consults "all,,huiying" 2
check "$TMP/cmp.csv" first_resp_s "all,,huiying" 140
check "$TMP/cmp.csv" sales_fen "all,,huiying" 15000
check "$TMP/cmp.csv" conv_rate "all,,huiying" 1
check "$TMP/cmp.csv" share_of_paid "all,,huiying" 0.833333
check "$TMP/cmp.csv" consults "all,,inhouse" 2
check "$TMP/cmp.csv" reply_rate "all,,inhouse" 0.5
check "$TMP/cmp.csv" sales_fen "all,,silent" 3000
check "$TMP/cmp.csv" share_of_paid "all,,silent" 0.166667
[ "$(sed -n 2p "$TMP/cmp.csv" | cut -d, -f3)" = inhouse ] && ok || bad "inhouse first"
# inside 11:00-24:00: amy's b2 (11:00, gap 240, o2 5000), bob's b3 (23:59) and b4
# (12:00); o4 silent paid 15:00:10. Outside: amy's b1 (10:00, o1 10000).
expect_exit 0 "compare coverage" "$KEFU" vendor compare --from 2023-03-01 --to 2023-03-02 \
  --coverage 11:00-24:00 --format csv "$W/messages.csv" "$W/orders.csv" "$R"
cp "$TMP/out" "$TMP/cov.csv"
check "$TMP/cov.csv" consults "inside,11:00-24:00,huiying" 1
check "$TMP/cov.csv" first_resp_s "inside,11:00-24:00,huiying" 240
check "$TMP/cov.csv" sales_fen "inside,11:00-24:00,huiying" 5000
check "$TMP/cov.csv" consults "inside,11:00-24:00,inhouse" 2
check "$TMP/cov.csv" received "inside,11:00-24:00,inhouse" 1
check "$TMP/cov.csv" sales_fen "inside,11:00-24:00,silent" 3000
check "$TMP/cov.csv" share_of_paid "inside,11:00-24:00,huiying" 0.625
check "$TMP/cov.csv" consults "outside,11:00-24:00,huiying" 1
check "$TMP/cov.csv" first_resp_s "outside,11:00-24:00,huiying" 40
check "$TMP/cov.csv" sales_fen "outside,11:00-24:00,huiying" 10000
check "$TMP/cov.csv" consults "outside,11:00-24:00,inhouse" 0
check "$TMP/cov.csv" share_of_paid "outside,11:00-24:00,silent" 0
check "$TMP/cov.csv" dsr_n "outside,11:00-24:00,huiying" ""
expect_exit 2 "bad coverage" "$KEFU" vendor compare --coverage 25:00-01:00 "$W/messages.csv"
expect_exit 0 "compare terminal" "$KEFU" vendor compare --from 2023-03-01 --to 2023-03-02 \
  --coverage 11:00-24:00 "$W/messages.csv" "$W/orders.csv" "$R"
has "$TMP/out" "outside  11:00-24:00" "terminal segments"

# from the store: same numbers, vendor names from `vendor add`
expect_exit 0 "import" "$KEFU" import --db "$KEFU_DB" "$W/messages.csv" "$W/orders.csv" "$R"
expect_exit 0 "compare --db" "$KEFU" vendor compare --db "$KEFU_DB" --from 2023-03-01 \
  --to 2023-03-02 --format csv
check "$TMP/out" name "all,,huiying" 汇盈客服
check "$TMP/out" sales_fen "all,,huiying" 15000
expect_exit 0 "compare -o" "$KEFU" vendor compare --from 2023-03-01 --to 2023-03-02 -o "$TMP/c.json"
python3 -c "import json,sys; d=json.load(open('$TMP/c.json')); print('ok')" >/dev/null 2>&1 && ok || bad "json output parses"
expect_exit 0 "show huiying" "$KEFU" vendor show huiying
has "$TMP/out" "s1:amy" "roster agent shown"
has "$TMP/out" "declared; not in roster" "declared agent reconciled"

echo "vendor_cli: $passes passed, $fails failed"
[ "$fails" = 0 ]
