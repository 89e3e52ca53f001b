#!/usr/bin/env bash
# End-to-end in a real browser: `kefu serve` on a free loopback port over a
# demo store plus a shop whose agent names, teams, buyer nicks and chat text
# are hostile payloads (web/tests/xss.mjs); then Debian's chromium, driven
# by playwright-core from web/node_modules:
#   web/tests/dashboard.mjs  a merchant logs in, sees the overview chart
#                            and only its shops, drills down agent -> day ->
#                            chats -> messages, downloads XLSX and CSV;
#   web/tests/xss.mjs        an admin opens every hostile agent, chat and
#                            tooltip: 0 scripts run, every payload is text.
# The server is killed at the end.
# Usage: serve_browser.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$(realpath "$1"); TESTS=$(realpath "$2")
WEB=$(cd "$TESTS/../web" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || [ ! -d "$WEB/node_modules/playwright-core" ] || ! command -v node >/dev/null; then
  echo "serve_browser: needs node, $CHROMIUM and web/node_modules/playwright-core (scripts/deps.sh)"
  exit 1
fi
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fails=0

DB=$TMP/demo/demo.db
"$KEFU" demo --dir "$TMP/demo" --messages 20000 >/dev/null 2>&1 || { echo "demo failed"; exit 1; }
node "$WEB/tests/xss.mjs" data "$TMP" || { echo "xss data failed"; exit 1; }
"$KEFU" import --db "$DB" "$TMP/xss_messages.csv" "$TMP/xss_agents.csv" >/dev/null 2>&1 ||
  { echo "FAIL: import of the hostile data"; fails=$((fails+1)); }
mapfile -t SHOPS < <("$KEFU" kpi --db "$DB" --by shop --per range --format csv | tail -n +2 | cut -d, -f1 | grep -v '^xss')
A=${SHOPS[0]}; B=${SHOPS[1]}
echo 'merchant-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name ma --role merchant --shops "$A" || exit 1
echo 'admin-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name admin --role admin || exit 1

"$KEFU" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$TMP/port" --hash-cost min 2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "server did not start"; cat "$TMP/server.log"; exit 1; }
BASE="http://127.0.0.1:$(cat "$TMP/port")"
mkdir -p "$TMP/dl"

cd "$WEB" || exit 1
BASE=$BASE KUSER=ma KPASS=merchant-pw SHOPS=$A OTHER_SHOP=$B DL_DIR=$TMP/dl CHROMIUM=$CHROMIUM \
  timeout 180 node tests/dashboard.mjs || fails=$((fails+1))
# the downloaded CSV holds exactly the merchant's figures
f=$(ls "$TMP"/dl/*.csv 2>/dev/null | head -1)
if [ -n "$f" ]; then
  "$KEFU" kpi --db "$DB" --shop "$A" --format csv >"$TMP/cli.csv"
  if cmp -s "$f" "$TMP/cli.csv"; then echo "ok   downloaded CSV = kefu kpi --shop A"; else echo "FAIL downloaded CSV differs"; fails=$((fails+1)); fi
fi
# the downloaded XLSX holds shop A and never names shop B
x=$(ls "$TMP"/dl/*.xlsx 2>/dev/null | head -1)
if [ -n "$x" ] && unzip -p "$x" 'xl/*.xml' >"$TMP/x.xml" 2>/dev/null &&
   grep -q "$A" "$TMP/x.xml" && ! grep -q "$B" "$TMP/x.xml"; then
  echo "ok   downloaded XLSX holds only shop A"
else
  echo "FAIL downloaded XLSX (${x:-missing})"; fails=$((fails+1))
fi
BASE=$BASE KUSER=admin KPASS=admin-pw CHROMIUM=$CHROMIUM timeout 300 node tests/xss.mjs run || fails=$((fails+1))

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] || { echo "FAIL server exit $rc on SIGTERM"; fails=$((fails+1)); }
if grep -Eq "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error" "$TMP/server.log"; then
  echo "FAIL sanitizer report in the server log"; grep -E -A20 "Sanitizer|runtime error" "$TMP/server.log" | head -60
  fails=$((fails+1))
fi

[ "$fails" = 0 ] && echo "serve_browser: ok" || echo "serve_browser: $fails failed"
[ "$fails" = 0 ]
