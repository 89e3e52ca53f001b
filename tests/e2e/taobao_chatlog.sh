#!/usr/bin/env bash
# End-to-end: the taobao-chatlog-json input format (Open Platform chat
# records) and --map on JSON Lines input.
# - The worked example's chats rewritten as chat records (array of
#   {from_id, to_id, msgs:{msg:[...]}}) give the same KPI rows as the
#   canonical CSV without its one auto-reply (S) row: the API has no S.
# - JSON Lines of single messages and an API response wrapper: direction
#   0/1 as numbers or strings, epoch milliseconds, ISO 8601 times, the
#   cntaobao prefix stripped; a missing or unknown direction and a broken
#   line are rejected at their position.
# - --map over JSON Lines: first object's keys are the columns, numbers
#   keep their exact text, null is empty, nested values and unknown keys
#   are row errors.
# Usage: taobao_chatlog.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; F="$2/fixtures/taobao_json"; W="$2/fixtures/worked"; J="$2/fixtures/jsonl_map"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }

# 1. same KPIs as the canonical messages (minus S)
grep -v ',S,' "$W/messages.csv" >"$TMP/messages_noS.csv"
"$KEFU" kpi --format csv "$TMP/messages_noS.csv" "$W/orders.csv" >"$TMP/want.csv" 2>"$TMP/err" ||
  { bad "kpi canonical"; cat "$TMP/err"; }
"$KEFU" kpi --format csv --input-shop s1 "$F/chatlog_records.json" "$W/orders.csv" \
  >"$TMP/got.csv" 2>"$TMP/err" || { bad "kpi chatlog (detected)"; cat "$TMP/err"; }
cmp -s "$TMP/want.csv" "$TMP/got.csv" && ok || { bad "chatlog KPIs differ"; diff "$TMP/want.csv" "$TMP/got.csv"; }
[ "$(wc -l <"$TMP/got.csv")" -gt 1 ] && ok || bad "KPI rows present"
# --format applies to every file of a run: chats and orders in two imports
"$KEFU" import --db "$TMP/w.db" --shop s1 --format taobao-chatlog-json \
  "$F/chatlog_records.json" >/dev/null 2>"$TMP/err" || { bad "import chatlog"; cat "$TMP/err"; }
"$KEFU" import --db "$TMP/w.db" "$W/orders.csv" >/dev/null 2>&1 || bad "import orders"
"$KEFU" kpi --db "$TMP/w.db" --format csv >"$TMP/got2.csv" 2>"$TMP/err"
cmp -s "$TMP/want.csv" "$TMP/got2.csv" && ok || { bad "stored chatlog KPIs differ"; diff "$TMP/want.csv" "$TMP/got2.csv"; }

# 2. JSON Lines messages and an API response
"$KEFU" import --db "$TMP/a.db" --shop s1 "$F/chatlog.jsonl" >"$TMP/out" 2>"$TMP/err"
[ $? = 3 ] && ok || bad "rejected messages give exit 3"
grep -q "added 3" "$TMP/out" && ok || { bad "3 messages added"; cat "$TMP/out"; }
grep -q "chatlog.jsonl:3: dir:" "$TMP/err" && ok || bad "missing direction at 3"
grep -q "chatlog.jsonl:4: invalid JSON" "$TMP/err" && ok || bad "broken line at 4"
grep -q "chatlog.jsonl:5: dir:" "$TMP/err" && ok || bad "direction 7 at 5"
"$KEFU" export messages --db "$TMP/a.db" >"$TMP/m.csv"
grep -qx 's1,buyer_2,小店:阿美,B,2023-03-01 11:00:00,hi' "$TMP/m.csv" && ok || bad "B message, prefix stripped"
grep -q '^s1,buyer_2,小店:阿美,A,2023-03-01 11:00:30,"您好$' "$TMP/m.csv" && ok || bad "epoch ms, string direction, newline kept"
grep -qx 's1,buyer_3,小店:阿美,B,2023-03-01 11:05:00,还在吗' "$TMP/m.csv" && ok || bad "API response wrapper"
# importing again adds nothing
"$KEFU" import --db "$TMP/a.db" --shop s1 "$F/chatlog.jsonl" >"$TMP/out" 2>/dev/null
grep -q "added 0, unchanged 3" "$TMP/out" && ok || { bad "re-import unchanged"; cat "$TMP/out"; }
# a shop is required
"$KEFU" import --db "$TMP/b.db" --format taobao-chatlog-json "$F/chatlog.jsonl" >/dev/null 2>"$TMP/err"
[ $? != 0 ] && grep -q "give --shop" "$TMP/err" && ok || bad "missing --shop refused"

# 3. --map over JSON Lines
MAP='order_id=单号,buyer=旺旺,created=下单,paid=付款|unpaid,amount=金额,items=件数,status=状态|status'
"$KEFU" import --db "$TMP/j.db" --shop s1 --map "$MAP" --reject "$TMP/rej.csv" "$J/orders.jsonl" \
  >"$TMP/out" 2>"$TMP/err"
[ $? = 3 ] && ok || { bad "jsonl map exit 3"; cat "$TMP/err"; }
grep -q "read 8, added 3" "$TMP/out" && ok || { bad "3 of 8 orders added"; cat "$TMP/out"; }
grep -q "orders.jsonl:4: 金额: more than 2 decimals" "$TMP/err" && ok || bad "1.005 rejected at 4"
grep -q "orders.jsonl:5: key 'extra' is not in the first object" "$TMP/err" && ok || bad "unknown key at 5"
grep -q "orders.jsonl:6: invalid JSON" "$TMP/err" && ok || bad "bad line at 6"
grep -q "orders.jsonl:7: key '旺旺': nested" "$TMP/err" && ok || bad "nested value at 7"
grep -q "orders.jsonl:8: not a JSON object" "$TMP/err" && ok || bad "array line at 8"
[ "$(tail -n +2 "$TMP/rej.csv" | grep -c '^')" = 5 ] && ok || bad "5 reject rows"
"$KEFU" export orders --db "$TMP/j.db" >"$TMP/o.csv"
grep -q '^s1,A1,b1,2023-03-01 10:00:00,2023-03-01 10:01:00,12.50,1,TRADE_FINISHED' "$TMP/o.csv" && ok || bad "A1 exact"
grep -q '^s1,A2,b2,2023-03-01 11:00:00,,30.00,2,WAIT_BUYER_PAY' "$TMP/o.csv" && ok || bad "A2 null paid = unpaid"
grep -q '^s1,A6,b6,.*,99999999.99,3,TRADE_FINISHED' "$TMP/o.csv" && ok || bad "A6 large amount exact"
# --map JSON Lines in kpi too (the same loader)
"$KEFU" kpi --input-shop s1 --map "$MAP" --format csv --by shop --per range "$J/orders.jsonl" \
  >/dev/null 2>"$TMP/err"
[ $? = 3 ] && ok || bad "kpi over mapped JSON Lines (rows rejected: exit 3)"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
