#!/usr/bin/env bash
# csvcmp.sh - compares the rollup columns of two CSV files exactly.
#
# Usage: bench/csvcmp.sh A.csv B.csv
# Lines starting with '#' (comment/setting lines) are ignored. Columns are
# selected by header name (see COLS), so either file may carry more columns
# in any order. Both files are parsed as RFC 4180 CSV by sqlite3 (quoted
# fields, embedded commas/newlines), then compared as sets of rows keyed by
# (shop, agent, day). Exit 0 when equal; otherwise prints the row counts and
# the first differing rows of each side and exits 1. Needs sqlite3.
set -euo pipefail

COLS=(shop agent day consults received unanswered inquiries first_resp_sum_s first_resp_n
      resp_sum_s resp_n slow_buyers rounds_3min rounds_3min_ok buyer_msgs agent_msgs
      agent_chars duration_sum_s max_concurrent auto_msgs converted converted_next_day
      sales_fen sales_buyers sales_orders sales_items)

if [ $# -ne 2 ]; then
	echo "usage: $0 A.csv B.csv" >&2
	exit 2
fi
a=$1
b=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -v '^#' "$a" | tr -d '\r' >"$work/a.csv" || true
grep -v '^#' "$b" | tr -d '\r' >"$work/b.csv" || true

sel=""
for c in "${COLS[@]}"; do
	sel+="${sel:+, }\"$c\""
done

out=$(sqlite3 -bail "$work/cmp.db" <<EOF 2>&1
.import --csv $work/a.csv a
.import --csv $work/b.csv b
CREATE TABLE sa AS SELECT $sel FROM a;
CREATE TABLE sb AS SELECT $sel FROM b;
.mode csv
.headers off
SELECT 'rows', (SELECT count(*) FROM sa), (SELECT count(*) FROM sb);
SELECT 'only_a', count(*) FROM (SELECT * FROM sa EXCEPT SELECT * FROM sb);
SELECT 'only_b', count(*) FROM (SELECT * FROM sb EXCEPT SELECT * FROM sa);
EOF
) || {
	echo "csvcmp: cannot compare $a and $b:" >&2
	echo "$out" >&2
	exit 1
}
out=$(printf '%s\n' "$out" | tr -d '\r')
rows=$(echo "$out" | grep '^rows,' | cut -d, -f2-)
only_a=$(echo "$out" | grep '^only_a,' | cut -d, -f2)
only_b=$(echo "$out" | grep '^only_b,' | cut -d, -f2)
if [ "$only_a" = 0 ] && [ "$only_b" = 0 ] && [ "${rows%,*}" = "${rows#*,}" ]; then
	echo "csvcmp: identical: ${rows%,*} rows x ${#COLS[@]} columns"
	exit 0
fi
echo "csvcmp: DIFFERENT: rows $a=${rows%,*} $b=${rows#*,}; rows only in A: $only_a, only in B: $only_b"
sqlite3 "$work/cmp.db" <<EOF
.mode csv
.headers on
SELECT '$(basename "$a")' AS side, * FROM (SELECT * FROM sa EXCEPT SELECT * FROM sb) ORDER BY shop, agent, day LIMIT 5;
SELECT '$(basename "$b")' AS side, * FROM (SELECT * FROM sb EXCEPT SELECT * FROM sa) ORDER BY shop, agent, day LIMIT 5;
EOF
exit 1
