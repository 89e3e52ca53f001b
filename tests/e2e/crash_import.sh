#!/bin/bash
# crash_import.sh - crash safety of `kefu import`: kills the import with
# SIGKILL at random points of a large run (20 trials) and checks that the
# store then holds either all or none of the run's rows (every table's count
# equals the state before the run or the state after a complete run, and the
# imports table has no partial run), and that importing the same files again
# completes it with nothing duplicated. Finally `kefu kpi --db` must equal
# `kefu kpi` on the same files.
# Three scenarios rotate: batch A into an empty store, batch B (another
# seed) onto a store holding A, and A+B in one run into an empty store.
# Usage: bash crash_import.sh <kefu-binary> <tests-dir> <shared-data-dir>
# Environment: KEFU_CRASH_TRIALS (default 20), KEFU_CRASH_MESSAGES (150000),
# KEFU_CRASH_SEED (random seed of the kill times; default from $RANDOM).
set -u
KEFU=$1
T=$(mktemp -d /tmp/kefu-e2e-crash.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export NO_COLOR=1
unset KEFU_DB
TRIALS=${KEFU_CRASH_TRIALS:-20}
MSGS=${KEFU_CRASH_MESSAGES:-150000}
SEED=${KEFU_CRASH_SEED:-$RANDOM}
RANDOM=$SEED
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 0; }

die() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

"$KEFU" gen --out A --messages "$MSGS" --seed 1 >/dev/null 2>&1 || die "gen A"
"$KEFU" gen --out B --messages "$MSGS" --seed 2 >/dev/null 2>&1 || die "gen B"
FILES_A="A/agents.csv A/messages.csv A/orders.csv A/ratings.csv A/evals.csv"
FILES_B="B/agents.csv B/messages.csv B/orders.csv B/ratings.csv B/evals.csv"

# counts DB: the data tables, then the run bookkeeping (imports, import_files)
DATA_Q="SELECT (SELECT coalesce(sum(rows), 0) FROM msg_segments)||' '||(SELECT count(*) FROM orders)||' '||
 (SELECT count(*) FROM ratings)||' '||(SELECT count(*) FROM evals)||' '||
 (SELECT count(*) FROM roster)||' '||(SELECT count(*) FROM dim_buyer)||' '||
 (SELECT count(*) FROM dim_agent)||' '||(SELECT count(*) FROM dim_shop)||' '||
 (SELECT count(*) FROM audit);"
RUNS_Q="SELECT (SELECT count(*) FROM imports)||' '||(SELECT count(*) FROM import_files);"
counts() {
	if [ ! -e "$1" ]; then
		echo "empty"
		return
	fi
	local d r
	# killed after SQLite created the file but before the schema committed:
	# a database without tables holds nothing (the next run creates it)
	if [ "$(sqlite3 "$1" "SELECT count(*) FROM sqlite_schema" 2>/dev/null)" = 0 ]; then
		echo "empty"
		return
	fi
	d=$(sqlite3 "$1" "$DATA_Q" 2>&1) || { echo "ERROR $d"; return; }
	r=$(sqlite3 "$1" "$RUNS_Q" 2>&1) || { echo "ERROR $r"; return; }
	echo "$d | $r"
}
data_of() { echo "${1%% |*}"; }
runs_of() { echo "${1##*| }" | cut -d' ' -f1; }

# The scenarios: base store (file or empty) and the files of the run.
SC_BASE=("" "base_A.db" "")
SC_FILES=("$FILES_A" "$FILES_B" "$FILES_A $FILES_B")
SC_NAME=("A into empty" "B onto A" "A+B into empty")
declare -a SC_BEFORE SC_AFTER SC_MS

# Reference runs: the state after a complete run, and its duration.
for s in 0 1 2; do
	rm -f ref.db ref.db-wal ref.db-shm
	[ -n "${SC_BASE[$s]}" ] && cp "${SC_BASE[$s]}" ref.db
	SC_BEFORE[$s]=$(counts ref.db)
	t0=$(now_ms)
	# shellcheck disable=SC2086
	"$KEFU" import --db ref.db ${SC_FILES[$s]} >/dev/null 2>ref.err || die "reference import ${SC_NAME[$s]}: $(cat ref.err)"
	SC_MS[$s]=$(($(now_ms) - t0))
	SC_AFTER[$s]=$(counts ref.db)
	[ "$s" -eq 0 ] && cp ref.db base_A.db # closed cleanly: no WAL left
	[ -e ref.db-wal ] && [ "$s" -eq 0 ] && die "WAL left after a clean import"
	echo "scenario ${SC_NAME[$s]}: ${SC_MS[$s]} ms; before [${SC_BEFORE[$s]}] after [${SC_AFTER[$s]}]"
done

pass=0
failn=0
killed_mid=0
fail_trial() {
	echo "FAIL trial $1 (${SC_NAME[$2]}, kill after $3 ms): $4" >&2
	failn=$((failn + 1))
}
for ((i = 1; i <= TRIALS; i++)); do
	s=$(((i - 1) % 3))
	rm -f t.db t.db-wal t.db-shm t.db-journal
	[ -n "${SC_BASE[$s]}" ] && cp "${SC_BASE[$s]}" t.db
	# kill somewhere in [5 %, 105 %] of the measured duration
	ms=${SC_MS[$s]}
	delay=$((ms / 20 + (RANDOM * 32768 + RANDOM) % (ms + 1)))
	# shellcheck disable=SC2086
	"$KEFU" import --db t.db ${SC_FILES[$s]} >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null && killed_mid=$((killed_mid + 1))
	fi
	wait "$pid" 2>/dev/null
	got=$(counts t.db)
	before=${SC_BEFORE[$s]}
	after=${SC_AFTER[$s]}
	committed=-1
	if [ "$got" = "$before" ] || { [ "$got" = "empty" ] && [ "$before" = "empty" ]; }; then
		committed=0
	elif [ "$got" = "$after" ]; then
		committed=1
	elif [ "$(data_of "$got")" = "$(sqlite3 "${SC_BASE[$s]:-/dev/null}" "$DATA_Q" 2>/dev/null)" ] \
		&& [ "$(runs_of "$got")" = "$(runs_of "$before")" ]; then
		committed=0 # an empty base: schema created, no rows
	fi
	# a new store created before the kill: schema only, no runs, no rows
	if [ "$committed" -lt 0 ] && [ "$before" = "empty" ] &&
		[ "$got" = "0 0 0 0 0 0 0 0 0 | 0 0" ]; then
		committed=0
	fi
	if [ "$committed" -lt 0 ]; then
		fail_trial "$i" "$s" "$delay" "partial state [$got], before [$before], after [$after]"
		continue
	fi
	# the next import completes the run, nothing duplicated
	# shellcheck disable=SC2086
	if ! "$KEFU" import --db t.db ${SC_FILES[$s]} >/dev/null 2>t.err; then
		fail_trial "$i" "$s" "$delay" "completing import failed: $(cat t.err)"
		continue
	fi
	got2=$(counts t.db)
	if [ "$(data_of "$got2")" != "$(data_of "$after")" ]; then
		fail_trial "$i" "$s" "$delay" "after completion [$got2], expected [$after]"
		continue
	fi
	want_runs=$(($(runs_of "$after") + committed))
	if [ "$(runs_of "$got2")" != "$want_runs" ]; then
		fail_trial "$i" "$s" "$delay" "imports rows $(runs_of "$got2"), expected $want_runs"
		continue
	fi
	pass=$((pass + 1))
done

# kpi from the store equals kpi from the files (the last A+B store)
"$KEFU" kpi --db ref.db --format csv >kpi_db.csv 2>kpi_db.err || die "kpi --db: $(cat kpi_db.err)"
# shellcheck disable=SC2086
"$KEFU" kpi $FILES_A $FILES_B --format csv >kpi_files.csv 2>kpi_files.err || die "kpi files: $(cat kpi_files.err)"
[ -s kpi_db.csv ] || die "empty kpi output"
if cmp -s kpi_db.csv kpi_files.csv; then
	pass=$((pass + 1))
else
	echo "FAIL: kpi --db differs from kpi on the files" >&2
	diff kpi_db.csv kpi_files.csv | head -5 >&2
	failn=$((failn + 1))
fi

echo "kill seed $SEED; $killed_mid of $TRIALS kills hit a running import"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
