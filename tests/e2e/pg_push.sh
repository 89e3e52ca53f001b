#!/usr/bin/env bash
# pg_push.sh - `kefu push` into a real PostgreSQL server (docs/SCALE.md).
# Starts a throwaway PostgreSQL server of its own (scripts/pg_scratch.sh:
# initdb into a temporary directory, Unix socket only) and checks:
#  1. a first push sends every row; PostgreSQL's counts equal the store's;
#  2. bench/rollup.sql run inside PostgreSQL on the pushed rows
#     (bench/pg_views.sql) equals `kefu kpi` on the same files, all 26
#     columns;
#  3. a second push sends no message and finds every keyed row unchanged;
#  4. after importing a second batch and a changed order, a push sends only
#     the new segments, updates that one order, and the PostgreSQL rollup
#     equals `kefu kpi --db`;
#  5. another store holding one of the same shops is refused (exit 1) and
#     changes nothing; a second schema takes it;
#  6. a shop in a zone with daylight saving time: PostgreSQL's local times
#     equal kefu's export;
#  7. a SIGKILLed push leaves PostgreSQL as before or complete, and the next
#     push completes it with nothing twice;
#  8. usage and connection errors: exit codes, and no password printed;
#  9. `kefu pull` into a fresh store gives byte-identical exports of every
#     kind and the same KPIs; pulling again reads no message; after a new
#     push it reads only the new segments;
# 10. settings ('*' and a shop's own dated rows) arrive so that each shop's
#     versions and its KPIs under those settings are its own store's;
# 11. pull --shop brings that shop only; unknown shop or schema exit 1.
# push --kpi (steps 4 and 10): kpi_daily holds byte for byte what `kefu kpi
# --db` prints, also under non-default settings; a foreign kpi_daily is
# refused.
# Without PostgreSQL's server binaries it prints SKIP, unless
# KEFU_REQUIRE_PG=1 (CI), where that is a failure.
# Usage: bash pg_push.sh <kefu-binary> <tests-dir> <shared-data-dir>
set -u
KEFU=$1
ROOT=$(cd "$2/.." && pwd)
BENCH=$ROOT/bench
export NO_COLOR=1
unset KEFU_DB KEFU_PG

fail() { echo "FAIL: $*" >&2; [ -f "${T:-/nonexistent}/err" ] && sed 's/^/err: /' "$T/err" >&2; exit 1; }

PG=$ROOT/scripts/pg_scratch.sh
if ! bash "$PG" bin >/dev/null; then
	if [ "${KEFU_REQUIRE_PG:-0}" = 1 ]; then
		echo "FAIL: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
		exit 1
	fi
	echo "SKIP: PostgreSQL is not installed"
	exit 0
fi

T=$(mktemp -d /tmp/kefu-e2e-pg.XXXXXX)
chmod 755 "$T"
trap 'bash "$PG" stop "$T/pg"; rm -rf "$T"' EXIT
cd "$T" || exit 1
CONN=$(bash "$PG" start "$T/pg" -c fsync=off -c synchronous_commit=off) || fail "PostgreSQL did not start"
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$CONN" -c "$1"; }

run() { # expected exit, kefu args...
	local want=$1
	shift
	"$KEFU" "$@" >out 2>err
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "kefu $* exited $rc, expected $want"
}
has() { grep -qxF -- "$1" "$2" || fail "expected line '$1' in $2, got: $(cat "$2")"; }
contains() { grep -qF -- "$1" "$2" || fail "expected '$1' in $2"; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }

# Counts of the store (sqlite3) and of a PostgreSQL schema, one line each.
store_counts() {
	sqlite3 "$1" "SELECT (SELECT coalesce(sum(rows), 0) FROM msg_segments)||' '||
	  (SELECT count(*) FROM orders)||' '||(SELECT count(*) FROM ratings)||' '||
	  (SELECT count(*) FROM evals)||' '||(SELECT count(*) FROM roster)"
}
pg_counts() {
	q "SELECT (SELECT count(*) FROM $1.messages)||' '||(SELECT count(*) FROM $1.orders)||' '||
	  (SELECT count(*) FROM $1.ratings)||' '||(SELECT count(*) FROM $1.evals)||' '||
	  (SELECT count(*) FROM $1.agents)"
}
# The rollup of bench/rollup.sql inside PostgreSQL over schema $1 into $2.
pg_rollup() {
	{
		echo "DROP SCHEMA IF EXISTS r CASCADE; CREATE SCHEMA r; SET search_path TO r, $1;"
		cat "$BENCH/pg_views.sql" "$BENCH/rollup.sql"
	} >rollup_run.sql
	psql -X -q --csv -v ON_ERROR_STOP=1 "$CONN" -f rollup_run.sql >"$2" 2>rollup.err ||
		{ cat rollup.err >&2; fail "rollup.sql in PostgreSQL"; }
}

# ------------------------------------------------------------------ 1.
"$KEFU" gen --out A --messages 20000 --seed 7 >/dev/null 2>&1 || fail "gen A"
FILES_A="A/messages.csv A/orders.csv A/ratings.csv A/evals.csv A/agents.csv"
run 0 import --db a.db $FILES_A
run 0 push --db a.db --pg "$CONN"
read -r msgs ords rats evs ags <<<"$(store_counts a.db)"
contains "3 shops, 1 new message segments" out
has "messages: sent $msgs" out
has "orders: sent $ords, added $ords, updated 0, unchanged 0" out
has "ratings: sent $rats, added $rats, updated 0, unchanged 0" out
has "evals: sent $evs, added $evs, updated 0, unchanged 0" out
has "agents: sent $ags, added $ags, updated 0, unchanged 0" out
eq "$(pg_counts kefu)" "$(store_counts a.db)" "PostgreSQL counts after the first push"
store_id=$(sqlite3 a.db "SELECT store_id FROM push_identity")
eq "$(q "SELECT count(*) FROM kefu.shops WHERE store_id = '$store_id'")" 3 "shops claimed"
# money and times travel exactly: sums of every int column
eq "$(q "SELECT sum(amount_fen)||' '||sum(refund_fen)||' '||sum(created)||' '||sum(coalesce(paid, 0)) FROM kefu.orders")" \
	"$(sqlite3 a.db "SELECT sum(amount)||' '||sum(refund)||' '||sum(created)||' '||sum(coalesce(paid, 0)) FROM orders")" \
	"order sums"

# ------------------------------------------------------------------ 2.
"$KEFU" kpi --format csv --by agent --per day $FILES_A >kefu_a.csv 2>err || fail "kefu kpi A"
pg_rollup kefu pg_a.csv
bash "$BENCH/csvcmp.sh" pg_a.csv kefu_a.csv || fail "PostgreSQL rollup != kefu kpi (batch A)"
# and the texts arrived byte for byte: md5 of all texts in byte order
"$KEFU" export messages --db a.db >a_export.csv || fail "export A"
local_md5=$(python3 -c '
import csv, hashlib, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
texts = sorted(r["text"] for r in rows)
print(hashlib.md5("\x01".join(texts).encode()).hexdigest())' a_export.csv)
eq "$(q "SELECT md5(string_agg(text, E'\x01' ORDER BY text)) FROM kefu.messages")" \
	"$local_md5" "message texts"

# ------------------------------------------------------------------ 3.
run 0 push --db a.db --pg "$CONN"
contains "0 new message segments" out
has "messages: sent 0" out
has "orders: sent $ords, added 0, updated 0, unchanged $ords" out
has "evals: sent $evs, added 0, updated 0, unchanged $evs" out
eq "$(pg_counts kefu)" "$(store_counts a.db)" "PostgreSQL counts after a second push"

# ------------------------------------------------------------------ 4.
"$KEFU" gen --out B --messages 5000 --seed 8 >/dev/null 2>&1 || fail "gen B"
# one order of A again, refunded in full: an update
head -1 A/orders.csv >upd.csv
awk -F, 'NR == 2 { OFS = ","; $8 = "TRADE_CLOSED"; $9 = $6; print }' A/orders.csv >>upd.csv
run 0 import --db a.db B/messages.csv upd.csv
contains "orders: read 1, added 0, unchanged 0, updated 1" out
new_msgs=$(sqlite3 a.db "SELECT sum(rows) FROM msg_segments WHERE id > (SELECT min(id) FROM msg_segments)")
run 0 push --db a.db --pg "$CONN" --kpi
has "messages: sent $new_msgs" out
has "orders: sent $ords, added 0, updated 1, unchanged $((ords - 1))" out
eq "$(pg_counts kefu)" "$(store_counts a.db)" "PostgreSQL counts after batch B"
oid=$(awk -F, 'NR == 2 { print $2 }' upd.csv)
eq "$(q "SELECT status FROM kefu.orders WHERE order_id = '$oid'")" TRADE_CLOSED "updated order"
"$KEFU" kpi --db a.db --format csv --by agent --per day >kefu_ab.csv 2>err || fail "kefu kpi --db"
pg_rollup kefu pg_ab.csv
bash "$BENCH/csvcmp.sh" pg_ab.csv kefu_ab.csv || fail "PostgreSQL rollup != kefu kpi --db (A + B)"
# push --kpi stored kefu's own rollup: byte for byte what kefu kpi --db prints
kpi_daily() { # schema -> CSV in kefu's column order
	psql -X -q --csv -v ON_ERROR_STOP=1 "$CONN" \
		-c "SELECT $(head -1 kefu_ab.csv) FROM $1.kpi_daily ORDER BY shop, agent, day"
}
has "kpi_daily: $(($(wc -l <kefu_ab.csv) - 1)) rows" out
kpi_daily kefu >kd_ab.csv || fail "read kpi_daily"
cmp -s kd_ab.csv kefu_ab.csv || { diff kd_ab.csv kefu_ab.csv | head >&2; fail "kpi_daily != kefu kpi --db"; }

# ------------------------------------------------------------------ 5.
before=$(pg_counts kefu)
run 0 import --db other.db B/messages.csv
run 1 push --db other.db --pg "$CONN"
contains "is pushed by another store" err
contains "nothing was written to PostgreSQL" err
eq "$(pg_counts kefu)" "$before" "PostgreSQL after a refused push"
run 0 push --db other.db --pg "$CONN" --schema tenant2
eq "$(pg_counts tenant2)" "$(store_counts other.db)" "second schema"

# ------------------------------------------------------------------ 6.
cat >ny.csv <<'EOF'
shop,buyer,agent,dir,ts,text
ny-shop,bob,ny-shop:amy,B,2024-03-09 23:30:00,"tab	and \ backslash"
ny-shop,bob,ny-shop:amy,A,2024-03-10 04:00:00,"two
lines"
ny-shop,bob,ny-shop:amy,B,2024-07-01 12:00:00,summer
EOF
run 0 settings --db ny.db --shop ny-shop tz=America/New_York
run 0 import --db ny.db ny.csv
run 0 push --db ny.db --pg "$CONN" --schema ny
eq "$(q "SELECT tz FROM ny.shops")" America/New_York "zone name pushed"
eq "$(q "SELECT string_agg(ts_text, ',' ORDER BY ts) FROM ny.messages_local")" \
	"2024-03-09 23:30:00,2024-03-10 04:00:00,2024-07-01 12:00:00" "local times in a DST zone"
eq "$(q "SELECT string_agg(ts::text, ',' ORDER BY ts) FROM ny.messages")" \
	"1710045000,1710057600,1719849600" "UTC instants (EST, then EDT)"
eq "$(q "SELECT text FROM ny.messages WHERE ts = 1710045000")" 'tab	and \ backslash' "escaped text"
eq "$(q "SELECT text FROM ny.messages WHERE ts = 1710057600")" 'two
lines' "text with a newline"
run 0 settings --db ny.db --shop ny-shop tz=+08:00
run 0 push --db ny.db --pg "$CONN" --schema ny
eq "$(q "SELECT tz FROM ny.shops")" "+08:00" "fixed zone pushed"
eq "$(q "SELECT count(*) FROM ny.settings")" \
	"$(sqlite3 ny.db "SELECT count(*) FROM settings")" "settings replaced"

# ------------------------------------------------------------------ 7.
"$KEFU" gen --out C --messages 300000 --seed 9 >/dev/null 2>&1 || fail "gen C"
run 0 import --db c.db C/messages.csv C/orders.csv
want=$(store_counts c.db)
"$KEFU" push --db c.db --pg "$CONN" --schema crash >out 2>err &
pid=$!
sleep 0.3
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
got=none
if [ "$(q "SELECT to_regclass('crash.messages') IS NOT NULL")" = t ]; then
	got=$(q "SELECT (SELECT count(*) FROM crash.messages)||' '||(SELECT count(*) FROM crash.orders)")
fi
case "$got" in
none | "0 0") echo "note: the push was killed before its commit" ;;
"$(echo "$want" | cut -d' ' -f1-2)") echo "note: the push committed before the kill" ;;
*) fail "a killed push left part of its rows: $got (store: $want)" ;;
esac
run 0 push --db c.db --pg "$CONN" --schema crash
eq "$(pg_counts crash)" "$want" "after the push that followed a kill"
eq "$(q "SELECT count(*) FROM (SELECT seg, row FROM crash.messages GROUP BY seg, row HAVING count(*) > 1) d")" \
	0 "no message twice"

# ------------------------------------------------------------------ 8.
run 2 push --db a.db
contains "give --pg CONNINFO or set KEFU_PG" err
run 2 push --db a.db --pg "$CONN" --schema 'Bad-Name'
run 5 push --db missing.db --pg "$CONN"
run 4 push --db a.db --pg "host=$T/pg port=1 user=kefu password=sekret-word dbname=postgres"
contains "cannot connect" err
grep -q sekret-word err out && fail "the password was printed"
KEFU_PG="$CONN" "$KEFU" push --db a.db >out 2>err || fail "push with KEFU_PG"
contains "0 new message segments" out

# ------------------------------------------------------------------ 9.
# kefu pull: the schema back into a fresh store, every kind exactly
same_exports() { # store1 store2 what
	for k in messages orders ratings evals agents presence; do
		"$KEFU" export "$k" --db "$1" >"x1.csv" || fail "export $k of $1"
		"$KEFU" export "$k" --db "$2" >"x2.csv" || fail "export $k of $2"
		cmp -s x1.csv x2.csv || fail "$3: $k differ"
	done
}
run 0 pull --db pulled.db --pg "$CONN"
has "pulled $(sqlite3 a.db "SELECT count(*) FROM dim_shop") shops from schema kefu (0 settings rows)" out
has "messages: read $(sqlite3 a.db "SELECT sum(rows) FROM msg_segments"), added $(sqlite3 a.db "SELECT sum(rows) FROM msg_segments"), unchanged 0, updated 0, conflicts 0, rejected 0" out
same_exports a.db pulled.db "pull of A + B"
"$KEFU" kpi --db pulled.db --format csv --by agent --per day >kefu_pulled.csv 2>err || fail "kpi pulled"
cmp -s kefu_pulled.csv kefu_ab.csv || fail "kpi of the pulled store differs"
run 0 pull --db pulled.db --pg "$CONN"
has "messages: read 0, added 0, unchanged 0, updated 0, conflicts 0, rejected 0" out
has "orders: read $ords, added 0, unchanged $ords, updated 0, conflicts 0, rejected 0" out
# new data on the pushing side: the next pull reads only the new segments
"$KEFU" gen --out D --messages 3000 --seed 10 >/dev/null 2>&1 || fail "gen D"
run 0 import --db a.db D/messages.csv
new_d=$(sqlite3 a.db "SELECT sum(rows) FROM msg_segments WHERE id = (SELECT max(id) FROM msg_segments)")
run 0 push --db a.db --pg "$CONN"
run 0 pull --db pulled.db --pg "$CONN"
has "messages: read $new_d, added $new_d, unchanged 0, updated 0, conflicts 0, rejected 0" out
same_exports a.db pulled.db "pull after a new batch"

# ------------------------------------------------------------------ 10.
# settings: a store's '*' rows and a shop's own dated rows arrive so that
# every shop's versions, and so its KPIs, are those of its own store
shop1=$(awk -F, 'NR == 2 { print $1 }' A/messages.csv)
cp a.db set.db
sqlite3 set.db "DELETE FROM push_identity" # a copied file is a new store
run 0 settings --db set.db slow_reply_s=30 judge_rule=payment
run 0 settings --db set.db --shop "$shop1" --from 2024-10-25 tz=+09:00 slow_reply_s=45
# a later '*' row: shop1's own slow_reply_s still wins over it, whatever the dates
run 0 settings --db set.db --from 2024-10-27 slow_reply_s=20
run 0 push --db set.db --pg "$CONN" --schema sets --kpi
run 0 pull --db setp.db --pg "$CONN" --schema sets
# 3 '*' rows for each shop, plus shop1's own tz and slow_reply_s on 10-25
nshops=$(sqlite3 set.db "SELECT count(*) FROM dim_shop")
has "pulled $nshops shops from schema sets ($((3 * nshops + 2)) settings rows)" out
for sh in $(sqlite3 set.db "SELECT name FROM dim_shop"); do
	"$KEFU" settings --db set.db --shop "$sh" >s1.txt || fail "settings of $sh"
	"$KEFU" settings --db setp.db --shop "$sh" >s2.txt || fail "pulled settings of $sh"
	cmp -s s1.txt s2.txt || { diff s1.txt s2.txt >&2; fail "settings of $sh differ after pull"; }
done
"$KEFU" kpi --db set.db --format csv --by agent --per day >k1.csv 2>err || fail "kpi set.db"
"$KEFU" kpi --db setp.db --format csv --by agent --per day >k2.csv 2>err || fail "kpi setp.db"
cmp -s k1.csv k2.csv || fail "KPIs under non-default settings differ after pull"
"$KEFU" kpi --db a.db --format csv --by agent --per day >k0.csv 2>err || fail "kpi a.db"
cmp -s k1.csv k0.csv && fail "the settings changed nothing: the check above proves nothing"
# kpi_daily was computed under each shop's own settings
kpi_daily sets >kd_sets.csv || fail "read kpi_daily of sets"
cmp -s kd_sets.csv k1.csv || fail "kpi_daily under non-default settings != kefu kpi --db"
# a kpi_daily made by something else is not overwritten
q "CREATE SCHEMA odd; CREATE TABLE odd.kpi_daily(x integer)" >/dev/null
run 1 push --db set.db --pg "$CONN" --schema odd --kpi
contains "odd.kpi_daily has other columns" err
eq "$(q "SELECT to_regclass('odd.messages') IS NULL")" t "a refused push created tables"

# ------------------------------------------------------------------ 11.
# --shop: one shop's rows, and a shop that is not there
run 0 pull --db one.db --pg "$CONN" --shop "$shop1"
has "pulled 1 shops from schema kefu (0 settings rows)" out
"$KEFU" kpi --db one.db --format csv --by agent --per day >k_one.csv 2>err || fail "kpi one.db"
awk -F, -v s="$shop1" 'NR == 1 || $1 == s' kefu_pulled.csv >k_one_want.csv
"$KEFU" kpi --db pulled.db --format csv --by agent --per day >kefu_pulled.csv 2>err
awk -F, -v s="$shop1" 'NR == 1 || $1 == s' kefu_pulled.csv >k_one_want.csv
cmp -s k_one.csv k_one_want.csv || fail "pull --shop: KPIs differ from that shop's rows"
[ "$(sqlite3 one.db "SELECT count(*) FROM dim_shop")" = 1 ] || fail "pull --shop brought other shops"
run 1 pull --db one.db --pg "$CONN" --shop no-such-shop
contains "shop 'no-such-shop' is not in PostgreSQL schema kefu" err
run 1 pull --db one.db --pg "$CONN" --schema nothing_here
contains "has no kefu schema nothing_here" err
run 2 pull --db one.db
contains "give --pg CONNINFO or set KEFU_PG" err

echo "pg_push: ok"
