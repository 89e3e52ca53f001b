#!/usr/bin/env bash
# End-to-end: `kefu qa` on hand-made chats (tests/fixtures/qa/messages.csv)
# imported into a store: check (a good file, a bad one with file:line:column
# and key), run (chat scores and the per-agent daily rollup), hits (the
# exact offending messages), sample (deterministic by seed, critical first),
# review (a manual score overriding the automatic one in reports).
# Usage: qa_cli.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; TESTS=$2
F="$TESTS/fixtures/qa"
DEFAULT="$TESTS/../data/qa/default.yaml"
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

cat > "$TMP/rules.yaml" <<'YAML'
rules:
  - {id: adlaw, kind: keywords, severity: major, points: 5, words: [最好, 最], except: [不是最好, 最近]}
  - id: off
    kind: regex
    severity: critical
    points: 20
    pattern: '(微信|VX|QQ)\s*[:：]?\s*[0-9A-Za-z_-]{5,}'
  - {id: rude, kind: keywords, side: buyer, severity: info, points: 0, words: [傻逼]}
  - {id: slow, kind: reply_gap, over_s: 180, severity: minor, points: 2}
  - {id: noans, kind: unanswered, severity: major, points: 10}
  - {id: copy, kind: auto_reply_copy, severity: minor, points: 3}
  - {id: ratio, kind: qa_ratio, below: 0.5, severity: info, points: 1}
YAML

expect_exit 0 "qa --help" "$KEFU" qa --help
grep -q "qa sample" "$TMP/out" && ok || bad "qa --help lists sample"
expect_exit 2 "qa without subcommand" "$KEFU" qa
expect_exit 2 "qa unknown subcommand" "$KEFU" qa nosuch
expect_exit 0 "qa check good" "$KEFU" qa check "$TMP/rules.yaml"
grep -q "7 rules, ok" "$TMP/out" && ok || bad "check counts the rules"
expect_exit 0 "qa check default rules" "$KEFU" qa check "$DEFAULT"
expect_exit 2 "qa check bad" "$KEFU" qa check "$F/bad.yaml"
grep -q "bad.yaml:6:5: rules\[0\].words: empty list" "$TMP/err" && ok || bad "empty list with line and key"
grep -q "bad.yaml:11:[0-9]*: rules\[1\].pattern: invalid regular expression" "$TMP/err" && ok || bad "invalid regex with line and key"
grep -q "bad.yaml:17:5: rules\[2\].colour: unknown key" "$TMP/err" && ok || bad "unknown key with line and key"
grep -q "7 problems" "$TMP/err" && ok || bad "every problem listed"
expect_exit 4 "qa check missing file" "$KEFU" qa check "$TMP/none.yaml"

DB="$TMP/s.db"
expect_exit 0 "import" "$KEFU" import --db "$DB" "$F/messages.csv"
expect_exit 2 "qa run without rules" "$KEFU" qa run --db "$DB"
expect_exit 2 "qa run with bad rules" "$KEFU" qa run --db "$DB" --rules "$F/bad.yaml"
expect_exit 1 "qa report before any run" "$KEFU" qa report --db "$DB"
expect_exit 0 "qa run" "$KEFU" qa run --db "$DB" --rules "$TMP/rules.yaml" --format csv
cp "$TMP/out" "$TMP/chats.csv"
grep -q "6 chats" "$TMP/err" && ok || bad "run reports the chat count"
# the run's table (built in memory) equals the stored report, in CSV and JSON
expect_exit 0 "qa report csv" "$KEFU" qa report --db "$DB" --format csv
cmp -s "$TMP/out" "$TMP/chats.csv" && ok || bad "qa run output = qa report output (csv)"
expect_exit 0 "qa run json" "$KEFU" qa run --db "$DB" --rules "$TMP/rules.yaml" --format json
nosettings() { awk '/"settings": \{/{skip=1} !skip{print} skip&&/\}/{skip=0}' "$1"; }
nosettings "$TMP/out" > "$TMP/run.json"
expect_exit 0 "qa report json" "$KEFU" qa report --db "$DB" --format json
nosettings "$TMP/out" > "$TMP/report.json"
grep -q '"score"' "$TMP/run.json" && cmp -s "$TMP/report.json" "$TMP/run.json" && ok ||
  bad "qa run output = qa report output (json)"
check "$TMP/chats.csv" score "店A,店A:小美,buyer1,2024-03-01" 73
check "$TMP/chats.csv" rules "店A,店A:小美,buyer1,2024-03-01" "adlaw off slow"
check "$TMP/chats.csv" severity "店A,店A:小美,buyer1,2024-03-01" critical
check "$TMP/chats.csv" max_gap_s "店A,店A:小美,buyer1,2024-03-01" 240
check "$TMP/chats.csv" score "店A,店A:小美,buyer2,2024-03-01" 89
check "$TMP/chats.csv" score "店A,店A:小美,buyer3,2024-03-01" 97
check "$TMP/chats.csv" score "店A,店A:小美,buyer4,2024-03-01" 100
check "$TMP/chats.csv" score "店A,店A:小刚,buyer5,2024-03-02" 100
check "$TMP/chats.csv" hits "店A,店A:小刚,buyer5,2024-03-02" 1
# per agent and day: mean of chat scores (73+89+97+100)/4
expect_exit 0 "qa report by agent" "$KEFU" qa report --db "$DB" --by agent --format csv
check "$TMP/out" score "店A,店A:小美,2024-03-01" 89.75
check "$TMP/out" score_sum "店A,店A:小美,2024-03-01" 359
check "$TMP/out" chats "店A,店A:小美,2024-03-01" 4
check "$TMP/out" chats_hit "店A,店A:小美,2024-03-01" 3
check "$TMP/out" critical_chats "店A,店A:小美,2024-03-01" 1
check "$TMP/out" score "店A,店A:小刚,2024-03-02" 100
# hits: the exact offending messages
expect_exit 0 "qa hits" "$KEFU" qa hits --db "$DB" --rule off --format csv
[ "$(wc -l < "$TMP/out")" = 2 ] && ok || bad "one off-platform hit"
grep -q "2024-03-01 10:05:30,agent,off,critical,20,VX: kefu_2024,加我VX: kefu_2024 给您优惠" "$TMP/out" \
  && ok || bad "off-platform hit with time, matched text and message"
expect_exit 0 "qa hits buyer side" "$KEFU" qa hits --db "$DB" --shop 店A --agent 店A:小刚 --format csv
grep -q ",buyer,rude,info,0,傻逼,你们是傻逼吗," "$TMP/out" && ok || bad "buyer-side hit"
expect_exit 0 "qa hits json" "$KEFU" qa hits --db "$DB" --severity critical --format json
grep -q '"matched": "VX: kefu_2024"' "$TMP/out" && ok || bad "json hits"
# sample: 2 per agent and day; critical first, then lowest, then random; same seed = same sample
expect_exit 0 "qa sample" "$KEFU" qa sample --db "$DB" --per-agent 2 --seed 7 --format csv
cp "$TMP/out" "$TMP/s1.csv"
expect_exit 0 "qa sample again" "$KEFU" qa sample --db "$DB" --per-agent 2 --seed 7 --format csv
cmp -s "$TMP/out" "$TMP/s1.csv" && ok || bad "sample is deterministic by seed"
grep ',店A:小美,' "$TMP/s1.csv" | awk -F, 'NR==1{print $4","$6","$7}' | grep -qx "buyer1,critical,73" && ok || bad "critical chat first"
grep ',店A:小美,' "$TMP/s1.csv" | awk -F, 'NR==2{print $4","$6","$7}' | grep -qx "buyer2,lowest,89" && ok || bad "then the lowest score"
[ "$(grep -c ',店A:小美,' "$TMP/s1.csv")" = 2 ] && ok || bad "two chats for 小美"
[ "$(grep -c ',店A:小刚,' "$TMP/s1.csv")" = 2 ] && ok || bad "two chats for 小刚 (all it has)"
expect_exit 2 "sample without --per-agent" "$KEFU" qa sample --db "$DB"
# review: a manual score overrides the automatic one in reports
CHAT=$(csv_get "$TMP/chats.csv" chat "店A,店A:小美,buyer1,2024-03-01")
expect_exit 0 "qa review" "$KEFU" qa review "$CHAT" --db "$DB" --score 95 --note "客户要求加微信" --reviewer 质检员A
expect_exit 1 "qa review unknown chat" "$KEFU" qa review nosuchchat --db "$DB" --score 95 --reviewer x
expect_exit 2 "qa review without reviewer" "$KEFU" qa review "$CHAT" --db "$DB" --score 95
expect_exit 2 "qa review bad score" "$KEFU" qa review "$CHAT" --db "$DB" --score 101 --reviewer x
expect_exit 0 "qa report after review" "$KEFU" qa report --db "$DB" --format csv
check "$TMP/out" score "店A,店A:小美,buyer1,2024-03-01" 95
check "$TMP/out" auto_score "店A,店A:小美,buyer1,2024-03-01" 73
check "$TMP/out" reviewed "店A,店A:小美,buyer1,2024-03-01" 1
check "$TMP/out" reviewer "店A,店A:小美,buyer1,2024-03-01" 质检员A
expect_exit 0 "qa report by agent after review" "$KEFU" qa report --db "$DB" --by agent --format csv
check "$TMP/out" score "店A,店A:小美,2024-03-01" 95.25
check "$TMP/out" auto_score "店A,店A:小美,2024-03-01" 89.75
# periods are summed from the days, then averaged
expect_exit 0 "qa report per range" "$KEFU" qa report --db "$DB" --by agent --per range --format csv
check "$TMP/out" score "店A,店A:小美,range" 95.25
check "$TMP/out" from "店A,店A:小美,range" 2024-03-01
check "$TMP/out" chats "店A,店A:小刚,range" 2
expect_exit 0 "qa report per week" "$KEFU" qa report --db "$DB" --by agent --per week --format csv
check "$TMP/out" period "店A,店A:小美" 2024-W09
check "$TMP/out" to "店A,店A:小美" 2024-03-03
expect_exit 2 "qa report bad --per" "$KEFU" qa report --db "$DB" --by agent --per year
# reviewed chats leave the sample
expect_exit 0 "qa sample after review" "$KEFU" qa sample --db "$DB" --per-agent 5 --format csv
grep -q "$CHAT" "$TMP/out" && bad "reviewed chat still sampled" || ok
# a second run keeps the review (chat keys are stable)
expect_exit 0 "qa run --from" "$KEFU" qa run --db "$DB" --rules "$TMP/rules.yaml" --from 2024-03-01 --to 2024-03-01 --format csv
check "$TMP/out" score "店A,店A:小美,buyer1,2024-03-01" 95
grep -q "小刚" "$TMP/out" && bad "--to limits the run" || ok
# the default rule set on the same chats
expect_exit 0 "qa run default rules" "$KEFU" qa run --db "$DB" --rules "$DEFAULT" --format csv
check "$TMP/out" rules "店A,店A:小美,buyer1,2024-03-01" "adlaw offplatform slow"
# scan: the benchmark entry point
expect_exit 0 "qa scan" "$KEFU" qa scan --rules "$TMP/rules.yaml" "$F/messages.csv"
grep -q "engine multi: 15 messages, .* 3 hits" "$TMP/out" && ok || bad "scan counts ($(cat "$TMP/out"))"
expect_exit 0 "qa scan reference" "$KEFU" qa scan --engine reference --rules "$TMP/rules.yaml" "$F/messages.csv"
grep -q "15 messages, .* 3 hits" "$TMP/out" && ok || bad "reference scan counts"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
