#!/usr/bin/env bash
# serve_bench.sh [N] - wrk against the KPI endpoint of `kefu serve` on
# loopback, over the N-message demo store (default 1 000 000), logged in as
# a merchant (one shop, per agent and week: the dashboard's typical query)
# and as the admin (every shop, per agent and day: the largest answer).
# Prints requests/s, p50/p99 latency and errors, and writes
# bench/results/<date>-serve-<N>.md. The server runs with --rate 0 (the
# per-client rate limit would otherwise answer wrk with 429), once without
# the answer cache (--cache-mb 0: every request filters, groups and writes)
# and once with it (64 MB: repeated queries are served rendered).
# Environment: KEFU (binary, default build/kefu), BENCH_DATA (store dir,
# default bench/data/serve-<N>), DURATION (default 20s), CONNS (default 32),
# THREADS (wrk threads, default 2), SERVER_THREADS (default 4).
set -eu
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU=${KEFU:-$ROOT/build/kefu}
DIR=${BENCH_DATA:-$ROOT/bench/data/serve-$N}
DURATION=${DURATION:-20s}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-4}
command -v wrk >/dev/null || { echo "serve_bench: wrk is missing (apt-get install wrk)"; exit 1; }
[ -x "$KEFU" ] || { echo "serve_bench: build $KEFU first"; exit 1; }
DB=$DIR/demo.db
if [ ! -s "$DB" ]; then
  echo "serve_bench: making the $N-message demo store in $DIR"
  "$KEFU" demo --dir "$DIR" --messages "$N" >/dev/null
fi
SHOP=$("$KEFU" kpi --db "$DB" --by shop --per range --format csv | sed -n 2p | cut -d, -f1)
"$KEFU" user del --db "$DB" --name bench-admin >/dev/null 2>&1 || true
"$KEFU" user del --db "$DB" --name bench-merchant >/dev/null 2>&1 || true
echo 'bench-admin-pw' | "$KEFU" user add --db "$DB" --name bench-admin --role admin
echo 'bench-merchant-pw' | "$KEFU" user add --db "$DB" --name bench-merchant --role merchant --shops "$SHOP"

TMP=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
start() { # cache-mb
  [ -n "$PID" ] && { kill "$PID"; wait "$PID" 2>/dev/null || true; }
  rm -f "$TMP/port"
  "$KEFU" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$TMP/port" --rate 0 \
    --threads "$SERVER_THREADS" --cache-mb "$1" 2>"$TMP/server.log" &
  PID=$!
  for _ in $(seq 600); do [ -s "$TMP/port" ] && break; sleep 0.1; done
  [ -s "$TMP/port" ] || { cat "$TMP/server.log"; exit 1; }
  BASE="http://127.0.0.1:$(cat "$TMP/port")/api/v1"
}
start 0
cookie() { # user password
  curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$BASE/login" |
    sed -n 's/^Set-Cookie: \(kefu_session=[0-9a-f]*\);.*/\1/Ip'
}
CM=$(cookie bench-merchant bench-merchant-pw); CA=$(cookie bench-admin bench-admin-pw)
SHOP_Q=$(printf %s "$SHOP" | jq -sRr @uri)

out=$ROOT/bench/results/$(date -u +%Y-%m-%d)-serve-$N.md
{
  echo "# kefu serve: wrk on /api/v1/kpi, $N messages"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(uptime | sed 's/.*load average: /load /')),"
  echo "wrk -t$THREADS -d$DURATION --timeout 10s --latency; server --threads $SERVER_THREADS --rate 0."
  echo
  echo "| query | connections | answer bytes | requests/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|"
} >"$out"
run() { # label cookie path [connections]
  local bytes c=${4:-$CONNS}
  bytes=$(curl -s -H "Cookie: $2" "$BASE/$3" | wc -c)
  # the answer must be the CLI's
  wrk -t"$THREADS" -c"$c" -d"$DURATION" --timeout 10s --latency -H "Cookie: $2" "$BASE/$3" >"$TMP/wrk.txt"
  cat "$TMP/wrk.txt"
  local rps p50 p99 errs non2xx
  rps=$(awk '/^Requests\/sec/{print $2}' "$TMP/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$TMP/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$TMP/wrk.txt")
  errs=$(awk '/Socket errors/{gsub(",","");print $4+$6+$8+$10}' "$TMP/wrk.txt")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$TMP/wrk.txt")
  echo "| $1 | $c | $bytes | $rps | $p50 | $p99 | $(( ${errs:-0} + ${non2xx:-0} )) |" >>"$out"
}
curl -s -H "Cookie: $CM" "$BASE/kpi?by=agent&per=week" >"$TMP/api.json"
"$KEFU" kpi --db "$DB" --shop "$SHOP" --per week --format json >"$TMP/cli.json"
cmp -s "$TMP/api.json" "$TMP/cli.json" || { echo "serve_bench: API answer differs from the CLI"; exit 1; }
for cache in 0 64; do
  start "$cache" # sessions live in the store: the cookies stay valid
  echo "| **--cache-mb $cache** |  |  |  |  |  |  |" >>"$out"
  run "merchant: its shop, per agent and week (\`kpi?by=agent&per=week\`)" "$CM" "kpi?by=agent&per=week"
  run "merchant: its shop, one month total (\`kpi?shop=S&by=shop&per=month\`)" "$CM" "kpi?shop=$SHOP_Q&by=shop&per=month"
  run "admin: every shop, per agent and day (\`kpi\`)" "$CA" "kpi" 4
done
echo >>"$out"
echo "Every answer above is byte-identical to \`kefu kpi --format json\` for the same selection" >>"$out"
echo "(checked by this script for the first query and by tests/e2e/serve_api.sh for many)." >>"$out"
cat "$out"
