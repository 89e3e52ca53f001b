#!/usr/bin/env bash
# run.sh - kefu's end-to-end benchmark against DuckDB and SQLite.
#
# Usage: bench/run.sh [N]        N messages, default 1000000 (10M: bench/run.sh 10000000)
# Environment:
#   KEFU=path        the kefu binary (default: build/kefu, built if missing)
#   SEED=S           gen seed (default 1)
#   SQLITE_TIMEOUT=s cap for the SQLite end-to-end run (default 1800 s; DNF after)
#   BENCH_DATA=dir   where generated data goes (default bench/data/<N>-s<SEED>)
#   SKIP=list        comma list of steps to skip: kefu,store,duckdb,sqlite,postgres,import
#
# Steps, each measured with /usr/bin/time -v (wall, user+sys CPU, max RSS):
#   gen            kefu gen --messages N
#   kefu csv       kefu kpi --by agent --per day --format csv FILE...  (from CSV)
#   kefu import    kefu import --db STORE FILE...      } skipped when the
#   kefu --db      kefu kpi --db STORE ... --format csv } commands are missing
#   duckdb         bench/duckdb_run.mjs: read_csv + rollup.sql, end to end
#   sqlite         sqlite3 :memory: .import + rollup.sql, end to end
#   import-only    kefu import of messages.csv into a fresh store; sqlite3 .import of
#                  messages.csv into a file and into :memory:; DuckDB CREATE TABLE AS read_csv
# Then checks that kefu's, DuckDB's and SQLite's outputs agree on the 26
# rollup columns (bench/csvcmp.sh), prints a markdown table and writes it to
# bench/results/<date>-<N>.md.
set -euo pipefail

N=${1:-1000000}
case $N in '' | *[!0-9]*)
	echo "usage: $0 [N-messages]" >&2
	exit 2
	;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SEED=${SEED:-1}
SQLITE_TIMEOUT=${SQLITE_TIMEOUT:-1800}
SKIP=${SKIP:-}
DATA=${BENCH_DATA:-$HERE/data/$N-s$SEED}
RESULTS=$HERE/results
mkdir -p "$RESULTS" "$DATA"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kefu-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

skip() { case ",$SKIP," in *",$1,"*) return 0 ;; esac; return 1; }
log() { echo "bench: $*" >&2; }

# ------------------------------------------------------------ prerequisites
need_apt=()
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -d "$HERE/node_modules/@duckdb/node-api" ]; then
	log "installing node dependencies (npm ci)"
	(cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi
KEFU=${KEFU:-$ROOT/build/kefu}
if [ ! -x "$KEFU" ]; then
	log "building kefu"
	cmake -S "$ROOT" -B "$ROOT/build" -G Ninja >/dev/null
	ninja -C "$ROOT/build" kefu >/dev/null
fi

has_cmd() { "$KEFU" "$1" --help >/dev/null 2>&1; }

# ------------------------------------------------------------ measurement
# measure NAME CMD...: runs CMD under /usr/bin/time -v with stdout to
# $WORK/NAME.out; records wall, cpu, rss and exit code in $WORK/NAME.m
measure() {
	local name=$1
	shift
	local rc=0
	/usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	local wall user sys rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0;
		for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$WORK/$name.time")
	user=$(awk -F': ' '/User time/ {print $2}' "$WORK/$name.time")
	sys=$(awk -F': ' '/System time/ {print $2}' "$WORK/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/$name.time")
	local cpu
	cpu=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN {printf "%.2f", u + s}')
	echo "$wall $cpu $rss $rc" >"$WORK/$name.m"
	log "$name: wall ${wall}s cpu ${cpu}s rss ${rss}MB rc $rc"
	return 0
}
field() { awk -v i="$2" '{print $i}' "$WORK/$1.m"; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN {if (t > 0) printf "%.0f", b / 1e6 / t; else print "-"}'; }

ROWS=()
# row LABEL NAME [NOTE]: one markdown table row from a measurement
row() {
	local label=$1 name=$2 note=${3:-}
	if [ ! -f "$WORK/$name.m" ]; then
		ROWS+=("| $label | - | - | - | ${note:-skipped} |")
		return
	fi
	local wall cpu rss rc
	read -r wall cpu rss rc <"$WORK/$name.m"
	if [ "$rc" = 124 ]; then
		ROWS+=("| $label | DNF (> ${SQLITE_TIMEOUT} s) | $cpu | $rss | timed out |")
	elif [ "$rc" != 0 ]; then
		ROWS+=("| $label | failed (exit $rc) | $cpu | $rss | $note |")
	else
		ROWS+=("| $label | $wall | $cpu | $rss | $note |")
	fi
}

FILES=("$DATA/messages.csv" "$DATA/orders.csv" "$DATA/ratings.csv" "$DATA/evals.csv" "$DATA/agents.csv")

# ------------------------------------------------------------ gen
log "generating $N messages (seed $SEED) into $DATA"
measure gen "$KEFU" gen --out "$DATA" --messages "$N" --seed "$SEED"
MSG_BYTES=$(stat -c %s "$DATA/messages.csv")
ALL_BYTES=0
for f in "${FILES[@]}"; do ALL_BYTES=$((ALL_BYTES + $(stat -c %s "$f"))); done
ORDERS=$(($(wc -l <"$DATA/orders.csv") - 1))
MB_ALL=$(awk -v b="$ALL_BYTES" 'BEGIN {printf "%.0f", b / 1e6}')
MB_MSG=$(awk -v b="$MSG_BYTES" 'BEGIN {printf "%.0f", b / 1e6}')

# ------------------------------------------------------------ kefu
KEFU_CSV=""
if ! skip kefu && has_cmd kpi; then
	measure kefu_csv "$KEFU" kpi --by agent --per day --format csv "${FILES[@]}"
	[ "$(field kefu_csv 4)" = 0 ] && KEFU_CSV=$WORK/kefu_csv.out
fi
if ! skip store && has_cmd import && has_cmd kpi; then
	rm -f "$WORK/store.db"
	measure kefu_import "$KEFU" import --db "$WORK/store.db" "${FILES[@]}"
	if [ "$(field kefu_import 4)" = 0 ]; then
		# the first report after an import also writes the store's columnar
		# snapshot; later reports read it (the steady state)
		measure kefu_db_first "$KEFU" kpi --db "$WORK/store.db" --by agent --per day --format csv
		measure kefu_db "$KEFU" kpi --db "$WORK/store.db" --by agent --per day --format csv
		STORE_MB=$(du -m "$WORK/store.db" | cut -f1)
	fi
fi

# ------------------------------------------------------------ DuckDB
DUCK_CSV=""
if ! skip duckdb; then
	measure duckdb node "$HERE/duckdb_run.mjs" --data "$DATA" --out "$WORK/duckdb.csv"
	[ "$(field duckdb 4)" = 0 ] && DUCK_CSV=$WORK/duckdb.csv
fi

# ------------------------------------------------------------ SQLite
SQLITE_CSV=""
if ! skip sqlite; then
	{
		cat "$HERE/sqlite_load.sql"
		printf '.headers on\n.mode csv\n'
		cat "$HERE/rollup.sql"
	} >"$WORK/sqlite_all.sql"
	measure sqlite bash -c "cd '$DATA' && exec timeout $SQLITE_TIMEOUT sqlite3 -bail :memory: < '$WORK/sqlite_all.sql'"
	[ "$(field sqlite 4)" = 0 ] && SQLITE_CSV=$WORK/sqlite.out
fi

# ------------------------------------------------------------ PostgreSQL
# The scale-out path (docs/SCALE.md): `kefu push` of the store into a
# scratch PostgreSQL server, then rollup.sql inside PostgreSQL over the
# pushed tables. psql's RSS is the client's; the server's is not counted.
PG_CSV=""
if ! skip postgres && [ -f "$WORK/store.db" ] && bash "$ROOT/scripts/pg_scratch.sh" bin >/dev/null; then
	chmod 755 "$WORK"
	trap 'bash "$ROOT/scripts/pg_scratch.sh" stop "$WORK/pg"; rm -rf "$WORK"' EXIT
	if PGCONN=$(bash "$ROOT/scripts/pg_scratch.sh" start "$WORK/pg" -c shared_buffers=1GB \
		-c work_mem=256MB -c max_wal_size=8GB); then
		measure pg_push "$KEFU" push --db "$WORK/store.db" --pg "$PGCONN"
		# and back: every pushed row into a fresh store, then its report
		measure pg_pull "$KEFU" pull --db "$WORK/pulled.db" --pg "$PGCONN"
		measure pg_pulled_kpi "$KEFU" kpi --db "$WORK/pulled.db" --by agent --per day --format csv
		rm -f "$WORK/pulled.db" "$WORK/pulled.db-wal" "$WORK/pulled.db-shm"
		{ echo "SET search_path TO public, kefu;"; cat "$HERE/pg_views.sql" "$HERE/rollup.sql"; } >"$WORK/pg_all.sql"
		measure postgres psql -X -q --csv -v ON_ERROR_STOP=1 "$PGCONN" -f "$WORK/pg_all.sql"
		[ "$(field postgres 4)" = 0 ] && PG_CSV=$WORK/postgres.out
	else
		log "PostgreSQL did not start; skipped"
	fi
fi

# ------------------------------------------------------------ import only
if ! skip import; then
	if has_cmd import; then
		rm -f "$WORK/imp.db" "$WORK/imp.db-wal" "$WORK/imp.db-shm"
		measure imp_kefu "$KEFU" import --db "$WORK/imp.db" "$DATA/messages.csv"
		IMP_STORE_MB=$(du -m "$WORK/imp.db" | cut -f1)
		# the same file again: every row is checked against the stored ones
		measure imp_kefu_again "$KEFU" import --db "$WORK/imp.db" "$DATA/messages.csv"
		rm -f "$WORK/imp.db" "$WORK/imp.db-wal" "$WORK/imp.db-shm"
	fi
	rm -f "$WORK/imp_sq.db"
	measure imp_sqlite_disk bash -c "cd '$DATA' && printf '.import --csv messages.csv messages\nSELECT count(*) FROM messages;\n' | sqlite3 -bail '$WORK/imp_sq.db'"
	rm -f "$WORK/imp_sq.db"
	measure imp_sqlite bash -c "cd '$DATA' && printf '.import --csv messages.csv messages\nSELECT count(*) FROM messages;\n' | sqlite3 -bail :memory:"
	measure imp_duckdb node "$HERE/duckdb_run.mjs" --data "$DATA" --import-only
	rm -f "$WORK/imp.duckdb" "$WORK/imp.duckdb.wal"
	measure imp_duckdb_disk node "$HERE/duckdb_run.mjs" --data "$DATA" --import-only --db "$WORK/imp.duckdb"
	IMP_DUCK_MB=$(du -m "$WORK/imp.duckdb" 2>/dev/null | cut -f1)
	rm -f "$WORK/imp.duckdb" "$WORK/imp.duckdb.wal"
fi

# ------------------------------------------------------------ agreement
AGREE=()
cmp_outputs() {
	local la=$1 a=$2 lb=$3 b=$4
	if [ -z "$a" ] || [ -z "$b" ]; then
		return
	fi
	if bash "$HERE/csvcmp.sh" "$a" "$b" >"$WORK/cmp.txt" 2>&1; then
		AGREE+=("- $la and $lb agree: $(sed -n 's/^csvcmp: identical: //p' "$WORK/cmp.txt") identical.")
	else
		AGREE+=("- **$la and $lb DISAGREE**: $(head -1 "$WORK/cmp.txt")")
		sed 's/^/    /' "$WORK/cmp.txt" >&2
	fi
}
cmp_outputs "kefu kpi (CSV)" "$KEFU_CSV" "DuckDB rollup.sql" "$DUCK_CSV"
if [ -f "$WORK/kefu_db.m" ] && [ "$(field kefu_db 4)" = 0 ]; then
	cmp_outputs "kefu kpi --db" "$WORK/kefu_db.out" "kefu kpi (CSV)" "$KEFU_CSV"
fi
cmp_outputs "SQLite rollup.sql" "$SQLITE_CSV" "DuckDB rollup.sql" "$DUCK_CSV"
if [ -n "$PG_CSV" ] && [ "$(field kefu_db 4)" = 0 ]; then
	cmp_outputs "PostgreSQL rollup.sql (pushed store)" "$PG_CSV" "kefu kpi --db" "$WORK/kefu_db.out"
fi
if [ -f "$WORK/pg_pulled_kpi.m" ] && [ "$(field pg_pulled_kpi 4)" = 0 ] && [ "$(field kefu_db 4)" = 0 ]; then
	cmp_outputs "kefu kpi --db (pulled store)" "$WORK/pg_pulled_kpi.out" "kefu kpi --db" "$WORK/kefu_db.out"
fi
[ ${#AGREE[@]} -eq 0 ] && AGREE+=("- no two outputs to compare")

# ------------------------------------------------------------ report
gen_wall=$(field gen 1)
note_gen="$(mbps "$ALL_BYTES" "$gen_wall") MB/s written"
note_kefu=""
[ -f "$WORK/kefu_csv.m" ] && note_kefu="$(mbps "$ALL_BYTES" "$(field kefu_csv 1)") MB/s of CSV"
note_imp=""
[ -f "$WORK/kefu_import.m" ] && note_imp="$(mbps "$ALL_BYTES" "$(field kefu_import 1)") MB/s; store ${STORE_MB:-?} MB"
note_isq=""
[ -f "$WORK/imp_sqlite.m" ] && note_isq="$(mbps "$MSG_BYTES" "$(field imp_sqlite 1)") MB/s"
note_ikf=""
[ -f "$WORK/imp_kefu.m" ] && note_ikf="$(mbps "$MSG_BYTES" "$(field imp_kefu 1)") MB/s"
note_isd=""
[ -f "$WORK/imp_sqlite_disk.m" ] && note_isd="$(mbps "$MSG_BYTES" "$(field imp_sqlite_disk 1)") MB/s"
note_idk=""
[ -f "$WORK/imp_duckdb.m" ] && note_idk="$(mbps "$MSG_BYTES" "$(field imp_duckdb 1)") MB/s"
note_ikf2=""
[ -f "$WORK/imp_kefu_again.m" ] && note_ikf2="$(mbps "$MSG_BYTES" "$(field imp_kefu_again 1)") MB/s"
note_idd=""
[ -f "$WORK/imp_duckdb_disk.m" ] && note_idd="$(mbps "$MSG_BYTES" "$(field imp_duckdb_disk 1)") MB/s; file ${IMP_DUCK_MB:-?} MB"
[ -f "$WORK/imp_kefu.m" ] && note_ikf="$note_ikf; store ${IMP_STORE_MB:-?} MB"

row "kefu gen" gen "$note_gen"
row "kefu kpi from CSV (end to end)" kefu_csv "$note_kefu"
row "kefu import (all files) into store" kefu_import "$note_imp"
row "kefu kpi --db, first after import (writes the snapshot)" kefu_db_first ""
row "kefu kpi --db (from store)" kefu_db ""
row "DuckDB: read_csv + rollup.sql (end to end)" duckdb ""
row "SQLite: .import + rollup.sql (end to end)" sqlite ""
row "kefu push of the store into PostgreSQL (first push, every row)" pg_push ""
row "PostgreSQL: rollup.sql over the pushed tables" postgres "server RSS not counted"
row "kefu pull of the whole schema into a fresh store" pg_pull ""
row "kefu kpi --db on the pulled store (first, writes the snapshot)" pg_pulled_kpi ""
row "import only: kefu import messages.csv (fresh store: durable, deduplicated)" imp_kefu "$note_ikf"
row "import only: kefu import messages.csv again (every row unchanged)" imp_kefu_again "$note_ikf2"
row "import only: sqlite3 .import messages.csv into a file" imp_sqlite_disk "$note_isd"
row "import only: sqlite3 .import messages.csv (:memory:)" imp_sqlite "$note_isq"
row "import only: DuckDB CREATE TABLE AS read_csv(messages.csv) (in memory)" imp_duckdb "$note_idk"
row "import only: DuckDB CREATE TABLE AS read_csv(messages.csv) into a database file" imp_duckdb_disk "$note_idd"

DATE=$(date +%F)
OUT=$RESULTS/$DATE-$N.md
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(free -h | awk '/^Mem:/ {print $2}')
DUCKV=$(cd "$HERE" && node -e "import('@duckdb/node-api').then(async m => { const i = await m.DuckDBInstance.create(':memory:'); const c = await i.connect(); const r = await c.runAndReadAll('select version()'); console.log(String(r.getRows()[0][0])); })" 2>/dev/null || echo '?')
{
	echo "# kefu benchmark: $N messages ($DATE)"
	echo
	echo "- data: \`kefu gen --messages $N --seed $SEED\`: $MB_ALL MB of CSV" \
		"(messages.csv $MB_MSG MB, $ORDERS orders)"
	echo "- machine: $(nproc) cores ($CPU), $MEM RAM; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- versions: $("$KEFU" --version | head -1), sqlite3 $(sqlite3 --version | cut -d' ' -f1)," \
		"DuckDB $DUCKV (node $(node --version))"
	echo "- times from /usr/bin/time -v: wall seconds, user+sys CPU seconds, max RSS MB"
	echo
	echo "| step | wall s | cpu s | max RSS MB | notes |"
	echo "|---|---:|---:|---:|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "Agreement on the 26 rollup columns (bench/csvcmp.sh):"
	echo
	printf '%s\n' "${AGREE[@]}"
} >"$WORK/report.md"
if [ -f "$OUT" ]; then
	{
		echo
		echo "---"
		echo
		cat "$WORK/report.md"
	} >>"$OUT"
else
	cp "$WORK/report.md" "$OUT"
fi
cat "$WORK/report.md"
log "results written to ${OUT#"$ROOT"/}"
