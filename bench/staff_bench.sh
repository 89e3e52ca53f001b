#!/usr/bin/env bash
# staff_bench.sh - times `kefu staff plan` for many shops at once: a 30-day
# plan at 15-minute intervals (2,880 intervals per shop) with three shift
# patterns, for every shop of a generated store (default 200 shops), with
# the measured model, Erlang A, and the Erlang-Chat chain with patience.
# Prints the planning time (after the store is loaded; from the
# KEFU_STAFF_TIMING line) and the whole command's time. docs/PERFORMANCE.md
# "Staffing" records the results.
#
# usage: bench/staff_bench.sh [SHOPS] [MESSAGES]   (defaults 200, 600000)
# env:   KEFU=path (default build/kefu), BENCH_DATA=dir (default bench/data/staff-SHOPS-MESSAGES)
set -euo pipefail
cd "$(dirname "$0")/.."
SHOPS=${1:-200}
MSGS=${2:-600000}
KEFU=${KEFU:-build/kefu}
DATA=${BENCH_DATA:-bench/data/staff-$SHOPS-$MSGS}
[ -x "$KEFU" ] || { echo "build $KEFU first" >&2; exit 2; }
if [ ! -f "$DATA/kefu.db" ]; then
	mkdir -p "$DATA"
	"$KEFU" gen --out "$DATA/csv" --messages "$MSGS" --shops "$SHOPS" --days 60 >/dev/null
	"$KEFU" import --db "$DATA/kefu.db" "$DATA"/csv/*.csv >/dev/null
	rm -rf "$DATA/csv"
fi
# gen starts on 2024-10-20 and runs 60 days: plan the 30 days after it
run() {
	KEFU_STAFF_TIMING=1 "$KEFU" staff plan --db "$DATA/kefu.db" --shop all \
		--from 2024-12-19 --to 2025-01-17 --interval 15m --target 80/30 \
		--shrinkage 0.3 --max-occupancy 0.85 \
		--shift early=08:00-16:00 --shift late=15:00-23:00 --shift night=22:00-08:00 \
		--format csv -o "$DATA/plan.csv" "$@"
}
run 2>/dev/null || true # warm the store's snapshot cache
for model in "measured (Erlang C here)|" "Erlang A|--patience 5m" \
	"Erlang-Chat chain, K=3, patience|--concurrency 3 --aht-by-concurrency 600,700,800 --patience 5m"; do
	name=${model%%|*}
	read -r -a extra <<<"${model#*|}"
	for i in 1 2 3; do
		start=$(date +%s.%N)
		line=$(run "${extra[@]}" 2>&1 >/dev/null | grep 'planned in' || true)
		end=$(date +%s.%N)
		echo "$name, run $i: ${line#kefu: staff plan: }; whole command $(echo "$end - $start" | bc) s"
	done
done
echo "plan rows (shift instances): $(($(wc -l <"$DATA/plan.csv") - 1))"
