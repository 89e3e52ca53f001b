#!/usr/bin/env bash
# End-to-end: `kefu report` (docs/REPORTS.md). The HTML report of the worked
# example (metrics.md section 10) opens in headless chromium with the network
# blocked and draws its charts with the hand-computed numbers; 60 hostile
# payloads imported as shops, agents, buyers and chat text (plus a hostile
# --title and a shop name in the settings metadata) run 0 scripts, with and
# without the file's CSP; -o by extension, repeatable, a directory getting
# the default name with the judge rule; no temporary files left behind.
# Usage: report_html.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$(realpath "$1"); TESTS=$(realpath "$2")
W="$TESTS/fixtures/worked"
JS="$TESTS/e2e/report_html.js"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
ok()   { passes=$((passes+1)); }
bad()  { echo "FAIL: $*"; fails=$((fails+1)); }
expect_exit() { # code, description, command...
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want"; cat "$TMP/err"; fi
}
for tool in node /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed"; exit 1; }
done
[ -d "$TESTS/../web/node_modules/playwright-core" ] || { echo "FAIL: web/node_modules/playwright-core missing"; exit 1; }

expect_exit 0 "report --help" "$KEFU" report --help
grep -q -- "--format F" "$TMP/out" && ok || bad "report --help lists --format"
expect_exit 2 "report without input" "$KEFU" report
expect_exit 2 "report bad format" "$KEFU" report --format pdf "$W/messages.csv"
expect_exit 2 "report unknown extension" "$KEFU" report -o "$TMP/x.pdf" "$W/messages.csv"

# Outputs by extension, repeatable, and a directory with the default name.
mkdir -p "$TMP/out_dir"
expect_exit 0 "report -o x4" "$KEFU" report -o "$TMP/r.html" -o "$TMP/r.xlsx" -o "$TMP/r.csv" \
  -o "$TMP/out_dir" "$W/messages.csv" "$W/orders.csv"
for f in r.html r.xlsx r.csv; do [ -s "$TMP/$f" ] && ok || bad "$f written"; done
[ -s "$TMP/out_dir/客服绩效_下单优先判定_2023-03-01至2023-03-02.html" ] && ok \
  || bad "directory gets the default name: $(ls "$TMP/out_dir")"
expect_exit 0 "xlsx into a directory" "$KEFU" report --format xlsx --judge-rule payment \
  --from 2023-03-01 --to 2023-03-31 -o "$TMP/out_dir/" "$W/messages.csv" "$W/orders.csv"
[ -s "$TMP/out_dir/客服绩效_付款判定_2023-03-01至2023-03-31.xlsx" ] && ok \
  || bad "xlsx default name with judge rule and --from/--to: $(ls "$TMP/out_dir")"
(cd "$TMP/out_dir" && "$KEFU" report --format xlsx "$W/messages.csv" "$W/orders.csv" 2>/dev/null)
[ -s "$TMP/out_dir/客服绩效_下单优先判定_2023-03-01至2023-03-02.xlsx" ] && ok \
  || bad "no -o: default name in the current directory"
expect_exit 4 "xlsx into a missing directory" "$KEFU" report -o "$TMP/missing/r.xlsx" "$W/messages.csv"
expect_exit 4 "html into a missing directory" "$KEFU" report -o "$TMP/missing/r.html" "$W/messages.csv"
ls "$TMP" "$TMP/out_dir" | grep -q '\.tmp\.' && bad "temporary files left behind" || ok
grep -q '^shop,agent,from,to,consults' "$TMP/r.csv" && ok || bad "CSV table is --by agent --per range"
expect_exit 0 "kpi -o html" "$KEFU" kpi -o "$TMP/k.html" "$W/messages.csv" "$W/orders.csv"
[ -s "$TMP/k.html" ] && ok || bad "kefu kpi writes .html too"
# stdout: XLSX refused on a terminal only; with -o - it is written
expect_exit 0 "xlsx -o -" "$KEFU" report --format xlsx -o - "$W/messages.csv" "$W/orders.csv"
head -c 2 "$TMP/out" | grep -q PK && ok || bad "xlsx on stdout is a zip"
# The HTML file references nothing outside itself: outside the three
# inline scripts there is no src= or href=.
python3 - "$TMP/r.html" <<'EOF' && ok || bad "HTML references something outside itself"
import re, sys
s = open(sys.argv[1], encoding='utf-8').read()
assert s.count('</script>') == 3, s.count('</script>')
markup = re.sub(r'<script[^>]*>.*?</script>', '', s, flags=re.S)
assert not re.search(r'\b(src|href)\s*=', markup, re.I), 'src/href in markup'
EOF

# taobao.weike.performance.put fields (hand-computed: metrics.md section 10
# plus amy's presence: 4 h + 5.5 h on 03-01, 15.5 h from 03-02 09:00 to
# 00:30 the next day; a session on 02-20 is outside the window).
printf 'agent,login,logout\ns1:amy,2023-03-01 08:00:00,2023-03-01 12:00:00\ns1:amy,2023-03-01 13:00:00,2023-03-01 18:30:00\ns1:amy,2023-03-02 09:00:00,2023-03-03 00:30:00\ns1:amy,2023-02-20 09:00:00,2023-02-20 10:00:00\n' >"$TMP/presence.csv"
expect_exit 0 "weike-json" "$KEFU" report --format weike-json --from 2023-03-01 --to 2023-03-02 \
  -o "$TMP/weike.json" "$W/messages.csv" "$W/orders.csv" "$TMP/presence.csv"
python3 - "$TMP/weike.json" <<'EOF' && ok || bad "weike-json fields"
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
assert d['method'] == 'taobao.weike.performance.put'
p = {x['sub_account']: x for x in d['performances']}
a, b = p['s1:amy'], p['s1:bob']
want_a = {'shop': 's1', 'start_date': '2023-03-01', 'end_date': '2023-03-02',
          'first_response_time': 140, 'avg_response_time': 143.333333, 'response_rate': 1,
          'conversion_rate_of_ser': 1, 'sales_amount': 150, 'sales_quantity': 2,
          'unit_price_of_ser': 75, 'sales_bonus': None, 'online_days': 2,
          'total_online_time': 90000, 'avg_online_time_per_day': 45000,
          'avg_online_time': '08:30:00', 'avg_last_online_time': '21:30:00'}
for k, v in want_a.items():
    assert a[k] == v, (k, a[k], v)
assert b['first_response_time'] == 120 and b['response_rate'] == 0.5, b
assert b['unit_price_of_ser'] is None and b['online_days'] is None, b
EOF
expect_exit 2 "weike-json needs --by agent" "$KEFU" report --format weike-json --by shop "$W/messages.csv"

# Worked example in the browser: cards, table, totals, charts.
cat >"$TMP/worked_expect.json" <<'EOF'
{"title": "客服绩效报告", "rows": 2,
 "cards": {"conv_rate": "66.67%", "first_resp_s": "133.33", "consults": "4", "aov": "75.00", "dsr_service": "—"},
 "total": {"咨询人数": "4", "接待人数": "3", "平均首次响应(秒)": "133.33", "询单转化率": "66.67%", "销售额": "150.00"},
 "cells": [{"agent": "s1:amy", "col": "平均响应(秒)", "want": "143.33"},
           {"agent": "s1:amy", "col": "平均首次响应(秒)", "want": "140.00"},
           {"agent": "s1:bob", "col": "未回复人数", "want": "1"},
           {"agent": "s1:bob", "col": "平均首次响应(秒)", "want": "120.00"}],
 "sort": {"col": "未回复人数", "want": ["1", "0"]},
 "resp": "接待会话 3 个；中位数 120 秒，P90 240 秒"}
EOF
if node "$JS" check "$TMP/r.html" "$TMP/worked_expect.json" >"$TMP/worked.log" 2>&1; then ok; else
  bad "worked example in chromium"; cat "$TMP/worked.log"; fi

# Hostile payloads through import, the store and the report.
mkdir -p "$TMP/xss"
node "$JS" payloads "$TMP/xss" || bad "writing payloads"
expect_exit 0 "import payloads" "$KEFU" import --db "$TMP/xss.db" "$TMP/xss/messages.csv" "$TMP/xss/orders.csv"
grep -q "rejected 0" "$TMP/out" && ok || bad "payload rows imported: $(cat "$TMP/out")"
expect_exit 0 "settings for a hostile shop" "$KEFU" settings --db "$TMP/xss.db" \
  --shop "$(cat "$TMP/xss/settings_shop.txt")" slow_reply_s=30
expect_exit 0 "report payloads" "$KEFU" report --db "$TMP/xss.db" --title "$(cat "$TMP/xss/title.txt")" \
  -o "$TMP/xss.html" -o "$TMP/xss.csv"
# the data block holds no raw '<' and no raw U+2028/2029
python3 - "$TMP/xss.html" <<'EOF' && ok || bad "embedded JSON not escaped for HTML"
import sys
s = open(sys.argv[1], encoding='utf-8').read()
i = s.index('id="kefu-data">') + len('id="kefu-data">')
j = s.index('</script>', i)
d = s[i:j]
assert '<' not in d and '>' not in d and '&' not in d, 'raw < > &'
assert '\u2028' not in d and '\u2029' not in d, 'raw U+2028/2029'
assert '\\u003cimg src=x onerror' in d
assert s.count('</script>') == 3, s.count('</script>')
EOF
if node "$JS" check "$TMP/xss.html" "$TMP/xss/expect.json" >"$TMP/xss.log" 2>&1; then ok; else
  bad "hostile payloads in chromium"; cat "$TMP/xss.log"; fi
# CSV of the same report: formula-like names neutralised
grep -q "^\"'=cmd|' /C calc'!A0\"," "$TMP/xss.csv" && ok || bad "CSV neutralises =cmd"
grep -q "^\"'+SUM(1,1)\"," "$TMP/xss.csv" && ok || bad "CSV neutralises +SUM"

echo "report_html: $passes passed, $fails failed"
[ "$fails" = 0 ]
