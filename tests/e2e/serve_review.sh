#!/usr/bin/env bash
# End-to-end: GET /api/v1/contracts/{id}/review, the renewal review in the
# dashboard. The contract of settlement.md covers shops s1 and s2: an admin
# and a merchant holding both get the same page as `kefu review -o x.html`
# (no script, its own strict Content-Security-Policy); a merchant holding
# only s1, a supervisor and an agent get the same 404 as an unknown
# contract; without a session, 401.
# Usage: serve_review.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1; FX=$2/fixtures/billing
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; rm -rf "$TMP"; }
trap cleanup EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
is()  { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi; }

DB=$TMP/k.db
"$KEFU" import --db "$DB" "$FX/messages.csv" "$FX/orders.csv" "$FX/agents.csv" >/dev/null 2>&1 || bad import
"$KEFU" contract add --db "$DB" "$FX/hy-2023-017.yaml" >/dev/null || bad "contract add"
"$KEFU" review --db "$DB" --contract HY-2023-017 -o "$TMP/cli.html" >/dev/null 2>&1 || bad "cli review"
AGENT=$(awk -F, 'NR==2{print $1}' "$FX/agents.csv")
TEAM=$(awk -F, 'NR==2{print $3}' "$FX/agents.csv")
add() { echo "$1-pw" | "$KEFU" user add --hash-cost min --db "$DB" --name "$@" >/dev/null 2>&1 || bad "user add $1"; }
add admin --role admin
add both --role merchant --shops s1,s2
add one --role merchant --shops s1
add sup --role supervisor --team "$TEAM"
add ag --role agent --agent "$AGENT"

"$KEFU" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$TMP/port" --hash-cost min --rate 0 \
  2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "server did not start"; cat "$TMP/server.log"; exit 1; }
API="http://127.0.0.1:$(cat "$TMP/port")/api/v1"

login() { # user
  is "$(curl -s -o /dev/null -w '%{http_code}' -c "$TMP/$1.jar" -H 'Content-Type: application/json' \
    -d "{\"user\":\"$1\",\"password\":\"$1-pw\"}" "$API/login")" 200 "login $1"
}
get() { # user path -> status; body in $TMP/body, headers in $TMP/head
  curl -s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' -b "$TMP/$1.jar" "$API/$2"
}

: >"$TMP/anon.jar"
is "$(get anon contracts/HY-2023-017/review)" 401 "review without login"
for u in admin both one sup ag; do login "$u"; done

for u in admin both; do
  is "$(get "$u" contracts/HY-2023-017/review)" 200 "$u sees the review"
  cmp -s "$TMP/body" "$TMP/cli.html" && ok || bad "$u: page differs from kefu review -o x.html"
  grep -qi '^content-type: text/html' "$TMP/head" && ok || bad "$u: text/html"
  grep -qi "^content-security-policy: default-src 'none'; style-src 'unsafe-inline'" "$TMP/head" &&
    ok || bad "$u: the page's own CSP"
  grep -qi '<script' "$TMP/body" && bad "$u: a script in the page" || ok
done
grep -q "不续约\|续约" "$TMP/body" && ok || bad "verdict in the page"

# the list: the contract for admin and the merchant of both shops, nothing for others
for u in admin both; do
  is "$(get "$u" contracts)" 200 "$u lists contracts"
  is "$(jq -c '[.contracts[] | [.id, .vendor, (.shops | join("+")), .from, .to]]' "$TMP/body")" \
    '[["HY-2023-017","huiying","s1+s2","2023-01-16","2023-04-15"]]' "$u: contract list"
done
for u in one sup ag; do
  is "$(get "$u" contracts)" 200 "$u lists contracts"
  is "$(jq -c '.contracts' "$TMP/body")" '[]' "$u: no contracts listed"
done
is "$(get anon contracts)" 401 "list without login"

is "$(get admin contracts/NOPE/review)" 404 "unknown contract"
cp "$TMP/body" "$TMP/notfound"
for u in one sup ag; do
  is "$(get "$u" contracts/HY-2023-017/review)" 404 "$u does not see the contract"
  cmp -s "$TMP/body" "$TMP/notfound" && ok || bad "$u: answer differs from an unknown contract's"
done
is "$(get admin 'contracts/..%2f..%2fetc/review')" 400 "traversal in the id"

# the same from the dashboard in a real browser (when chromium is there:
# serve_browser.sh requires it, this test does not)
WEB=$(cd "$2/../web" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && [ -d "$WEB/node_modules/playwright-core" ] && command -v node >/dev/null; then
  (cd "$WEB" && BASE="${API%/api/v1}" KUSER=both KPASS=both-pw CONTRACT=HY-2023-017 \
    CHROMIUM=$CHROMIUM timeout 180 node tests/review.mjs) >"$TMP/browser.log" 2>&1 &&
    ok || { bad "dashboard review in chromium"; cat "$TMP/browser.log"; }
else
  echo "serve_review: no chromium/playwright-core: browser part skipped"
fi

# a clean shutdown: no sanitizer report from the server
kill "$PID"; wait "$PID" 2>/dev/null; PID=
grep -q "Sanitizer\|runtime error" "$TMP/server.log" && { bad "server sanitizer report"; cat "$TMP/server.log"; } || ok

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
