#!/usr/bin/env bash
# sql_reference.sh - checks the independent SQL implementation of the KPI
# rollup (bench/rollup.sql) and, when available, kefu's C engine against it.
#
# Usage (CTest): bash sql_reference.sh <kefu-binary> <tests-dir> <shared-data-dir>
#  1. Runs bench/rollup.sql with sqlite3 on the worked example of metrics.md
#     section 10 (bench/testdata/worked/) and on a set of edge cases
#     (bench/testdata/edge/) and asserts every number, each one derived by
#     hand below.
#  2. If `kefu kpi` exists: checks kefu on the same two sets, then generates data with `kefu gen --messages 20000
#     --seed 7`, runs `kefu kpi --format csv --by agent --per day` and the SQL
#     rollup on it, and requires the 26 rollup columns to be identical.
#     Without `kefu kpi` this step prints SKIP.
# Exits non-zero on any mismatch, printing the first differing rows.
set -euo pipefail

KEFU=${1:?usage: sql_reference.sh <kefu-binary> <tests-dir> <shared-data-dir>}
TESTS=${2:?tests dir}
ROOT=$(cd "$TESTS/.." && pwd)
BENCH=$ROOT/bench

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "sql_reference: FAIL: the sqlite3 command-line shell is required (apt-get install sqlite3)" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs rollup.sql with sqlite3 on the canonical CSVs of directory $1 and
# writes the result (header + rows, LF line ends) to $2.
sql_rollup() {
	(cd "$1" && { cat "$BENCH/sqlite_load.sql"; printf '.headers on\n.mode csv\n'; cat "$BENCH/rollup.sql"; } |
		sqlite3 -bail :memory:) | tr -d '\r' >"$2"
}

# ---------------------------------------------------------------- step 1
# The worked example (metrics.md section 10), defaults. Texts of the A
# messages, for agent_chars: amy "亲，在的呢" (5 code points), "好的，马上发货"
# (7), "有货" (2) = 14; bob "抱歉久等了, ok" (5 + 4 = 9). Items: o1 1, o2 2.
#
# s1:amy 2023-03-01
#   runs: b1 [10:00:00, 10:00:20] answered 10:00:40 gap 40 (S 10:00:01 ignored);
#         b1 [10:05:00] answered 10:07:30 gap 150; b2 [11:00] answered 11:04 gap 240
#   consults 2 (b1, b2), received 2, unanswered 0, inquiries 2 (no paid order
#   before either chat); first_resp_sum_s 40 + 240 = 280, first_resp_n 2;
#   resp_sum_s 40 + 150 + 240 = 430, resp_n 3; slow_buyers 2 (150 > 60, 240 > 60);
#   rounds_3min 3 (all in 08:00-23:00), rounds_3min_ok 2 (40, 150 <= 180; 240 no);
#   buyer_msgs 4 (b1 3, b2 1), agent_msgs 3, agent_chars 5 + 7 + 2 = 14;
#   duration_sum_s (10:07:30 - 10:00:00) + (11:04 - 11:00) = 450 + 240 = 690;
#   max_concurrent 1 (spans 10:00-10:07:30 and 11:00-11:04 are disjoint);
#   auto_msgs 1; converted 2 (o1 created 10:10 >= f 10:00, < 03-03 and credited
#   to amy by last touch; o2 created 03-02 09:00 >= f 11:00, < 03-03, last touch
#   amy's b2 chat ended 03-01 11:04, 21h56m earlier); converted_next_day 2
#   (o1 paid 03-01, o2 paid 03-02, both < 03-03);
#   sales: order_first, day of payment: o1 on 03-01 -> 10000 fen, 1 buyer,
#   1 order, 1 item.
# s1:amy 2023-03-02: only the o2 sale: 5000 fen, 1 buyer, 1 order, 2 items.
# s1:bob 2023-03-01
#   b3 run [23:59] answered 03-02 00:01 (within max_wait 15m after the day ends)
#   gap 120; b4 run [12:00] never answered.
#   consults 2, received 1, unanswered 1, inquiries 1 (b3); first_resp 120/1;
#   resp 120/1; slow_buyers 1; rounds_3min 1 (b4 at 12:00; b3 at 23:59 is
#   outside), rounds_3min_ok 0; buyer_msgs 2, agent_msgs 0 (the answer counts
#   on its own day), agent_chars 0; duration_sum_s 120 (b3 chat 23:59 -> the
#   answer at 00:01; b4 is not received); max_concurrent 1 (b3 23:59-00:01,
#   b4 12:00-12:00); auto 0; converted 0 (o3 created 03-04 12:00, more than
#   48 h after b3's chat ended: silent); no sales.
# s1:bob 2023-03-02: the 00:01 answer makes a chat with no buyer message:
#   consults 0, agent_msgs 1, agent_chars 9, duration 0 (not received),
#   max_concurrent 1 (span 00:01-00:01).
# o4 (buyer b5, never chatted) is silent: no row.
cat >"$work/expected.csv" <<'EOF'
shop,agent,day,consults,received,unanswered,inquiries,first_resp_sum_s,first_resp_n,resp_sum_s,resp_n,slow_buyers,rounds_3min,rounds_3min_ok,buyer_msgs,agent_msgs,agent_chars,duration_sum_s,max_concurrent,auto_msgs,converted,converted_next_day,sales_fen,sales_buyers,sales_orders,sales_items
s1,s1:amy,2023-03-01,2,2,0,2,280,2,430,3,2,3,2,4,3,14,690,1,1,2,2,10000,1,1,1
s1,s1:amy,2023-03-02,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5000,1,1,2
s1,s1:bob,2023-03-01,2,1,1,1,120,1,120,1,1,1,0,2,0,0,120,1,0,0,0,0,0,0,0
s1,s1:bob,2023-03-02,0,0,0,0,0,0,0,0,0,0,0,0,1,9,0,1,0,0,0,0,0,0,0
EOF

sql_rollup "$BENCH/testdata/worked" "$work/worked.csv"
if ! diff -u "$work/expected.csv" "$work/worked.csv"; then
	echo "sql_reference: FAIL: rollup.sql on the worked example differs from metrics.md section 10" >&2
	exit 1
fi
echo "sql_reference: worked example: ok (4 rows x 26 columns)"

# ---------------------------------------------------------------- step 1b
# Edge cases (bench/testdata/edge/), shop e1, D = 2023-05-10, defaults.
# Buyers and what each one tests:
#   c1 (x): exact duplicate B row at D 23:50 (counts once); B D+1 00:05; A D+1
#       00:10 answers both runs: D run gap 1200 (00:10 <= D+1 00:15), D+1 run
#       gap 300. The D chat ends at the answer (D+1 00:10): duration 1200.
#   c2 (x): B D 23:40, A D+1 00:20: beyond max_wait, the D run is unanswered;
#       the A alone makes a D+1 chat (consult 0, agent_msgs 1, "晚了" 2 chars).
#   c3 (x): A, S and B all at D 10:00:00: order B < S < A, so the A answers
#       the run with gap 0; the S counts as auto_msgs.
#   c4: B to x 14:00, S on x 14:01 (transfer notice), B to y 14:01:30, A from
#       y 14:02 ("您好，我是y", 6 code points): x's run stays unanswered (rounds
#       1, ok 0), y answers its run in 30 s.
#   c5 (y): paid o51 on D-2: 售后, received but not an inquiry; o52 created
#       after the chat -> last touch y, 1050 fen, 3 items on D.
#   c6 (y): o61 paid exactly f - 5 days: inside [f - 5d, f) -> not an inquiry.
#   c7 (z): o71 paid exactly at f (D 17:00:00): not before f -> inquiry;
#       created 16:59 before the chat: credit_create none, credit_pay in-chat
#       z -> sale to z (order_first), not a conversion (created < f).
#   c8: chats with x (11:00-11:05, gap 300) and y (11:01-11:05, gap 240), same
#       end; o81 created 11:30 -> last-touch tie -> smallest agent e1:x;
#       converted for x (next day too), not for y. o82 unpaid: nothing.
#   c9: z chat 12:00-12:30:20 (gaps 20, 20), y chat 12:10-12:10:30 (gap 30);
#       o91 created 12:20 is inside z's span: in-chat z wins over y's last
#       touch; z converted, y not.
#   c10, c11 (z): spans 20:00-20:01 and 20:01-20:02 touch -> max_concurrent 2;
#       gaps of 60 s are not slow (slow is > 60).
#   c12 (x): chat D 09:00-09:00:30; o121 created D+1 20:00 (35 h later, last
#       touch x), paid D+2 08:00: converted, not next day; sale on x's D+2 row.
#   c14 (w): only an S message -> no chat, no row for e1:w.
#   c15 (y): run at 08:00:00 is inside the 3-minute window, gap 180 is ok
#       (<= 180) and slow (> 60). c16 (y): run at 23:00:00 is outside.
# Rows:
#   x D: consults 6 (c1 c2 c3 c4 c8 c12), received 4 (c1 c3 c8 c12), inquiries
#     4; first/resp 1200+0+300+30 = 1530 over 4; slow 2 (c1, c8); rounds 4
#     (c3 c4 c8 c12), ok 2 (c3, c12); buyer_msgs 6, agent_msgs 3, chars
#     1+2+2 = 5; duration 1530; max_concurrent 1; auto 2 (c3, c4); converted 2
#     (c8, c12), next day 1 (c8); sales o81 10000 fen, 1 buyer, 1 order, 1 item.
#   x D+1: c1 (gap 300, inquiry) and c2 (A only): consults 1, received 1,
#     inquiries 1, 300/1, 300/1, slow 1, rounds 0 (00:05 is outside), buyer 1,
#     agent 2, chars 1+2 = 3, duration 300, max_concurrent 1.
#   x D+2: o121 only: 6660 fen, 1 buyer, 1 order, 2 items.
#   y D: c4 c5 c6 c8 c9 c15 c16 all received (7); inquiries 5 (not c5, c6);
#     gaps 30+30+10+240+30+180+5 = 525 over 7; slow 2 (c8 240, c15 180);
#     rounds 6 (all but c16), ok 5 (all but c8); buyer 7, agent 7, chars
#     6+1*6 = 12; duration 525; max_concurrent 1; converted 0; sales o52.
#   z D: c7 c9 c10 c11: consults 4, received 4, inquiries 4; first 60+20+60+60
#     = 200 over 4; resp 220 over 5; slow 0; rounds 5, ok 5; buyer 5, agent 5,
#     chars 5; duration 60+1820+60+60 = 2000; max_concurrent 2; converted 1
#     (c9), next day 1; sales o91 3000 + o71 500 = 3500, 2 buyers, 2 orders,
#     2 items.
cat >"$work/expected_edge.csv" <<'EOF'
shop,agent,day,consults,received,unanswered,inquiries,first_resp_sum_s,first_resp_n,resp_sum_s,resp_n,slow_buyers,rounds_3min,rounds_3min_ok,buyer_msgs,agent_msgs,agent_chars,duration_sum_s,max_concurrent,auto_msgs,converted,converted_next_day,sales_fen,sales_buyers,sales_orders,sales_items
e1,e1:x,2023-05-10,6,4,2,4,1530,4,1530,4,2,4,2,6,3,5,1530,1,2,2,1,10000,1,1,1
e1,e1:x,2023-05-11,1,1,0,1,300,1,300,1,1,0,0,1,2,3,300,1,0,0,0,0,0,0,0
e1,e1:x,2023-05-12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,6660,1,1,2
e1,e1:y,2023-05-10,7,7,0,5,525,7,525,7,2,6,5,7,7,12,525,1,0,0,0,1050,1,1,3
e1,e1:z,2023-05-10,4,4,0,4,200,4,220,5,0,5,5,5,5,5,2000,2,0,1,1,3500,2,2,2
EOF
sql_rollup "$BENCH/testdata/edge" "$work/edge.csv"
if ! diff -u "$work/expected_edge.csv" "$work/edge.csv"; then
	echo "sql_reference: FAIL: rollup.sql on bench/testdata/edge differs from the hand-computed rows" >&2
	exit 1
fi
echo "sql_reference: edge cases: ok (5 rows x 26 columns)"

# ---------------------------------------------------------------- step 2
if ! "$KEFU" kpi --help >/dev/null 2>&1; then
	echo "sql_reference: SKIP: 'kefu kpi' is not available yet"
	exit 0
fi

# kefu on the two hand-checked data sets
for set in worked edge; do
	exp=$work/expected.csv
	[ "$set" = edge ] && exp=$work/expected_edge.csv
	if ! "$KEFU" kpi --format csv --by agent --per day "$BENCH/testdata/$set/messages.csv" \
		"$BENCH/testdata/$set/orders.csv" >"$work/kefu_$set.csv" 2>"$work/kefu.err"; then
		echo "sql_reference: FAIL: kefu kpi failed on bench/testdata/$set" >&2
		head -20 "$work/kefu.err" >&2
		exit 1
	fi
	if ! bash "$BENCH/csvcmp.sh" "$exp" "$work/kefu_$set.csv"; then
		echo "sql_reference: FAIL: kefu kpi differs from the expected rows of bench/testdata/$set" >&2
		exit 1
	fi
done

# kefu against rollup.sql on generated data
data=$work/gen
"$KEFU" gen --out "$data" --messages 20000 --seed 7
set +e
"$KEFU" kpi --format csv --by agent --per day \
	"$data/messages.csv" "$data/orders.csv" "$data/ratings.csv" "$data/evals.csv" \
	"$data/agents.csv" >"$work/kefu.csv" 2>"$work/kefu.err"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "sql_reference: FAIL: kefu kpi exited $rc" >&2
	head -20 "$work/kefu.err" >&2
	exit 1
fi
sql_rollup "$data" "$work/sql.csv"
if ! bash "$BENCH/csvcmp.sh" "$work/sql.csv" "$work/kefu.csv"; then
	echo "sql_reference: FAIL: kefu kpi and bench/rollup.sql disagree on generated data (seed 7)" >&2
	exit 1
fi
echo "sql_reference: kefu kpi == rollup.sql on 20000 generated messages"
