#!/usr/bin/env bash
# End-to-end: the JSON API of `kefu serve` over a demo store, with curl.
# Every endpoint and role: login/logout/me, KPI and chats byte for byte equal
# to `kefu kpi|chats --format json` for the same selection, tenancy attacks
# by every route and parameter (query string, path, JSON body, export,
# hourly, settings, messages) answered 403 with no data, CSRF, admin-only
# user management, lockout, hashed session tokens, security headers and
# cookie flags, traversal, 413/431, rate limit, reload after an import, TLS.
# The server runs on a free loopback port and is killed at the end.
# Usage: serve_api.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
is()  { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi; }

DB=$TMP/demo/demo.db
"$KEFU" demo --dir "$TMP/demo" --messages 20000 >/dev/null 2>&1 || { echo "demo failed"; exit 1; }
mapfile -t SHOPS < <("$KEFU" kpi --db "$DB" --by shop --per range --format csv | tail -n +2 | cut -d, -f1)
A=${SHOPS[0]}; B=${SHOPS[1]}
# shop B gets its own setting, so its name would show in the settings metadata
"$KEFU" settings --db "$DB" --shop "$B" max_wait=10m >/dev/null || bad "settings for B"
# a team and its agents; an agent outside it
TEAM=$(awk -F, 'NR==2{print $3}' "$TMP/demo/agents.csv")
mapfile -t TEAM_AGENTS < <(awk -F, -v t="$TEAM" 'NR>1 && $3==t {print $1}' "$TMP/demo/agents.csv" | sort)
OTHER_AGENT=$(awk -F, -v t="$TEAM" 'NR>1 && $3!=t {print $1; exit}' "$TMP/demo/agents.csv")
AGENT_A=$(awk -F, -v s="$A" 'NR>1 && index($1, s ":")==1 {print $1; exit}' "$TMP/demo/agents.csv")
AGENT_B=$(awk -F, -v s="$B" 'NR>1 && index($1, s ":")==1 {print $1; exit}' "$TMP/demo/agents.csv")

# users (passwords on stdin); the cheapest Argon2id cost keeps the test fast
# (the cost is stored in each hash; test_auth.c covers the default cost)
echo 'admin-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name admin --role admin || bad "user add admin"
echo 'merchant-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name ma --role merchant --shops "$A" || bad "user add merchant"
echo 'super-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name sup --role supervisor --team "$TEAM" || bad "user add supervisor"
echo 'agent-pw' | "$KEFU" user add --hash-cost min --db "$DB" --name ag --role agent --agent "$AGENT_A" || bad "user add agent"
echo 'x' | "$KEFU" user add --hash-cost min --db "$DB" --name ma --role merchant --shops "$A" 2>/dev/null; is $? 1 "user add: existing name"
echo 'x' | "$KEFU" user add --hash-cost min --db "$DB" --name m2 --role merchant 2>/dev/null; is $? 2 "user add: merchant without shops"
"$KEFU" user add --hash-cost min --db "$DB" --name m3 --role merchant --shops "$A" </dev/null 2>/dev/null; is $? 2 "user add: no password"
"$KEFU" user list --db "$DB" --format json | jq -r '.[].name' | tr '\n' ' ' | grep -q "admin ag ma sup" && ok || bad "user list"

start() { # port-file, extra options...
  local pf=$1; shift
  "$KEFU" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$pf" --hash-cost min "$@" 2>>"$TMP/server.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || { echo "server did not start"; cat "$TMP/server.log"; exit 1; }
}
start "$TMP/port" --rate 0
BASE="http://127.0.0.1:$(cat "$TMP/port")"
API=$BASE/api/v1

# req NAME METHOD PATH [curl args...]: body to $TMP/NAME.body, status echoed
req() {
  local who=$1 m=$2 p=$3; shift 3
  curl -s -o "$TMP/last.body" -D "$TMP/last.head" -w '%{http_code}' -X "$m" \
    -b "$TMP/$who.jar" -c "$TMP/$who.jar" "$@" "$API/$p"
}
login() { # who user password
  local code
  code=$(curl -s -o "$TMP/$1.login" -w '%{http_code}' -c "$TMP/$1.jar" \
    -H 'Content-Type: application/json' -d "{\"user\":\"$2\",\"password\":\"$3\"}" "$API/login")
  is "$code" 200 "login $2"
  jq -r .csrf "$TMP/$1.login" >"$TMP/$1.csrf"
}
: >"$TMP/anon.jar"

# ---- unauthenticated
is "$(req anon GET kpi)" 401 "kpi without login"
is "$(req anon GET me)" 401 "me without login"
is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"admin","password":"nope"}')" 401 "wrong password"
cp "$TMP/last.body" "$TMP/wrongpw"
is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"nobody","password":"nope"}')" 401 "unknown user"
cmp -s "$TMP/last.body" "$TMP/wrongpw" && ok || bad "unknown user and wrong password answer alike"
is "$(req anon POST login -H 'Content-Type: text/plain' -d '{"user":"admin","password":"admin-pw"}')" 415 "login needs JSON"
is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"admin"}')" 400 "login without password"

login admin admin admin-pw; login ma ma merchant-pw; login sup sup super-pw; login ag ag agent-pw
grep -q 'HttpOnly' "$TMP/admin.jar" && ok || bad "session cookie is HttpOnly"
curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{"user":"ma","password":"merchant-pw"}' "$API/login" >"$TMP/h"
grep -qi '^Set-Cookie: kefu_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$TMP/h" && ok || bad "cookie flags: $(grep -i set-cookie "$TMP/h")"
grep -qi '^Set-Cookie:.*Secure' "$TMP/h" && bad "Secure cookie over plain HTTP" || ok

# ---- only hashes of session tokens in the store
TOKEN=$(awk '$6=="kefu_session"{print $7}' "$TMP/ma.jar")
[ ${#TOKEN} = 64 ] && ok || bad "token length"
is "$(sqlite3 "$DB" "SELECT count(*) FROM auth_sessions WHERE token_hash = '$TOKEN'")" 0 "raw token not stored"
grep -qa "$TOKEN" "$DB" "$DB-wal" 2>/dev/null && bad "raw token found in the store files" || ok
[ "$(sqlite3 "$DB" "SELECT count(*) FROM auth_users WHERE pwhash LIKE '\$argon2id\$%'")" = 4 ] && ok || bad "passwords stored as Argon2id"

# ---- me
is "$(req ma GET me)" 200 "me as merchant"
is "$(jq -c '[.user,.role,.shops]' "$TMP/last.body")" "[\"ma\",\"merchant\",[\"$A\"]]" "me: merchant's shops"

# ---- admin: byte-identical with the CLI
same() { # who, api path+query, description, kefu args...
  local who=$1 p=$2 what=$3; shift 3
  local code; code=$(req "$who" GET "$p")
  "$KEFU" "$@" --db "$DB" --format json >"$TMP/cli.json" 2>/dev/null
  if [ "$code" = 200 ] && cmp -s "$TMP/last.body" "$TMP/cli.json"; then ok; else bad "$what: API ($code) differs from the CLI"; fi
}
same admin "kpi" "admin kpi" kpi
same admin "kpi?by=shop&per=range" "admin by shop" kpi --by shop --per range
same admin "kpi?shop=$A&by=agent&per=week" "admin shop A by week" kpi --shop "$A" --per week
same admin "kpi?from=2024-10-25&to=2024-11-02&by=all&per=month" "admin range by all" kpi --from 2024-10-25 --to 2024-11-02 --by all --per month
same admin "kpi?agent=$AGENT_B&by=team" "admin agent by team" kpi --agent "$AGENT_B" --by team
same admin "chats?shop=$B&from=2024-10-28&to=2024-10-28" "admin chats" chats --shop "$B" --from 2024-10-28 --to 2024-10-28
same admin "shops/$B/kpi?per=range" "admin path shop" kpi --shop "$B" --per range
# POST with a JSON body selects the same
code=$(req admin POST kpi -H 'Content-Type: application/json' -H "X-CSRF-Token: $(cat "$TMP/admin.csrf")" \
  -d "{\"shop\":[\"$A\"],\"by\":\"agent\",\"per\":\"week\"}")
"$KEFU" kpi --db "$DB" --shop "$A" --per week --format json >"$TMP/cli.json"
[ "$code" = 200 ] && cmp -s "$TMP/last.body" "$TMP/cli.json" && ok || bad "POST kpi body ($code) differs from the CLI"

# ---- merchant of A: its shop, byte for byte; B by every route -> 403, no data
same ma "kpi" "merchant kpi = CLI --shop A" kpi --shop "$A"
same ma "kpi?by=all&per=range" "merchant by all" kpi --shop "$A" --by all --per range
same ma "chats?from=2024-10-28&to=2024-10-29" "merchant chats" chats --shop "$A" --from 2024-10-28 --to 2024-10-29
grep -q "$B" "$TMP/last.body" && bad "merchant answer names shop B" || ok
CSRF_MA=$(cat "$TMP/ma.csrf")
deny() { # description, curl args for req (method path ...)
  local what=$1; shift
  local code; code=$(req ma "$@")
  if [ "$code" = 403 ] || [ "$code" = 404 ]; then ok; else bad "merchant A: $what: $code, want 403/404"; fi
  if jq -e 'has("rows") or has("counts") or has("settings") or has("messages")' "$TMP/last.body" >/dev/null 2>&1 ||
     grep -q "$AGENT_B" "$TMP/last.body"; then bad "merchant A: $what: data in the answer"; else ok; fi
}
BU=$(printf %s "$B" | jq -sRr @uri)
deny "kpi?shop=B"             GET "kpi?shop=$BU"
deny "kpi?shop=A&shop=B"      GET "kpi?shop=$A&shop=$BU"
deny "chats?shop=B"           GET "chats?shop=$BU"
deny "hourly?shop=B"          GET "hourly?shop=$BU"
deny "settings?shop=B"        GET "settings?shop=$BU"
deny "export?shop=B csv"      GET "export?shop=$BU&format=csv"
deny "export?shop=B xlsx"     GET "export?shop=$BU&format=xlsx"
deny "export chats shop=B"    GET "export?shop=$BU&report=chats"
deny "messages shop=B"        GET "messages?shop=$BU&agent=$(printf %s "$AGENT_B" | jq -sRr @uri)&buyer=x&day=2024-10-28"
deny "path shops/B/kpi"       GET "shops/$BU/kpi"
deny "path shops/B/chats"     GET "shops/$BU/chats"
deny "path shops/B/hourly"    GET "shops/$BU/hourly"
deny "path shops/B/settings"  GET "shops/$BU/settings"
deny "path shops/B/export"    GET "shops/$BU/export?format=csv"
deny "path shops/B/messages"  GET "shops/$BU/messages?agent=$(printf %s "$AGENT_B" | jq -sRr @uri)&buyer=x&day=2024-10-28"
deny "path A, query B"        GET "shops/$A/kpi?shop=$BU"
deny "POST kpi body shop B"   POST kpi -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d "{\"shop\":\"$B\"}"
deny "POST kpi body [A,B]"    POST kpi -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d "{\"shop\":[\"$A\",\"$B\"]}"
deny "POST chats body B"      POST chats -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d "{\"shop\":[\"$B\"]}"
deny "POST export body B"     POST export -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d "{\"shop\":\"$B\",\"format\":\"csv\"}"
deny "users list"             GET users
deny "users add"              POST users -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d '{"name":"x","role":"admin","password":"p"}'
deny "users delete"           DELETE users/admin -H "X-CSRF-Token: $CSRF_MA"
# an agent of shop B as a filter: allowed, but no rows (the shop filter stays)
is "$(req ma GET "kpi?agent=$(printf %s "$AGENT_B" | jq -sRr @uri)")" 200 "merchant: agent of B as a filter"
is "$(jq '.rows | length' "$TMP/last.body")" 0 "merchant: agent of B gives no rows"
# export and hourly of its own shop
is "$(req ma GET "export?format=csv")" 200 "merchant export csv"
"$KEFU" kpi --db "$DB" --shop "$A" --format csv >"$TMP/cli.csv"
cmp -s "$TMP/last.body" "$TMP/cli.csv" && ok || bad "merchant CSV export = CLI csv"
grep -qi '^Content-Disposition: attachment' "$TMP/last.head" && ok || bad "export is an attachment"
# XLSX (lib/write_xlsx.c): the merchant's figures only, under the report's own name
is "$(req ma GET "export?format=xlsx&by=agent&per=day")" 200 "merchant export xlsx"
cp "$TMP/last.body" "$TMP/ma.xlsx"
unzip -p "$TMP/ma.xlsx" 'xl/*.xml' >"$TMP/strings.xml" 2>/dev/null
grep -q "$A" "$TMP/strings.xml" && ok || bad "xlsx holds shop A"
grep -q "$B" "$TMP/strings.xml" && bad "xlsx names shop B" || ok
rows=$(unzip -p "$TMP/ma.xlsx" xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l)
want=$("$KEFU" kpi --db "$DB" --shop "$A" --format csv | wc -l) # header + rows
is "$rows" "$((want + 2))" "xlsx rows = header + report rows + 汇总 + 均值"
grep -qi "^Content-Disposition: attachment; filename=\"kefu-kpi.xlsx\"; filename\*=UTF-8''%E5%AE%A2%E6%9C%8D%E7%BB%A9%E6%95%88_" "$TMP/last.head" && ok ||
  bad "xlsx file name: $(grep -i disposition "$TMP/last.head")"
is "$(req ma GET hourly)" 200 "merchant hourly"
# hourly total = buyer messages of A (every message has a business day)
# buyer messages of shop A (from the export; times in the shop's zone), in
# [FROM, TO) when given
stored_buyer_msgs() {
	"$KEFU" export messages --db "$DB" | python3 -c '
import csv, sys
shop, lo, hi = sys.argv[1], sys.argv[2], sys.argv[3]
r = csv.reader(sys.stdin)
next(r)
print(sum(1 for x in r if x[0] == shop and x[3] == "B" and (not lo or lo <= x[4] < hi)))' "$A" "${1:-}" "${2:-}"
}
want=$(stored_buyer_msgs)
is "$(jq '[.counts[][]] | add' "$TMP/last.body")" "$want" "hourly total = stored buyer messages of A"
# hour x weekday of one message checked by hand: the reload message below is
# a Sunday (2024-11-10) 10:00 in Asia/Shanghai
is "$(req ma GET shops)" 200 "merchant shops"
is "$(jq -c .shops "$TMP/last.body")" "[\"$A\"]" "merchant sees only shop A in /shops"
is "$(req ma GET settings)" 200 "merchant settings history"
jq -e --arg b "$B" '[.settings[].shop] | index($b) == null' "$TMP/last.body" >/dev/null && ok || bad "merchant settings list B"
is "$(req admin GET "settings?shop=$BU")" 200 "admin settings of B"
is "$(jq -r '[.settings[] | select(.key=="max_wait") | .value] | join(",")' "$TMP/last.body")" "10m" "settings history row"

# ---- agent: itself only
is "$(req ag GET "kpi?per=range")" 200 "agent kpi"
is "$(jq -r '[.rows[].agent] | unique | join(",")' "$TMP/last.body")" "$AGENT_A" "agent sees only itself"
is "$(req ag GET "kpi?agent=$(printf %s "$AGENT_B" | jq -sRr @uri)")" 403 "agent asks for another agent"
is "$(req ag GET "kpi?shop=$BU")" 403 "agent asks for a shop it has no chats in"
is "$(req ag GET "chats?agent=$(printf %s "$AGENT_B" | jq -sRr @uri)")" 403 "agent chats of another agent"

# ---- supervisor: its team
is "$(req sup GET "kpi?per=range")" 200 "supervisor kpi"
got=$(jq -r '[.rows[].agent] | unique | .[]' "$TMP/last.body" | sort | tr '\n' ' ')
want=""; for a in "${TEAM_AGENTS[@]}"; do grep -q "^$a," <(jq -r '.rows[] | .agent + ","' "$TMP/last.body") && want+="$a "; done
[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "supervisor rows only of team $TEAM: $got"
is "$(req sup GET "kpi?agent=$(printf %s "$OTHER_AGENT" | jq -sRr @uri)")" 403 "supervisor asks for an agent outside the team"

# ---- admin: users, CSRF
CSRF=$(cat "$TMP/admin.csrf")
is "$(req admin GET users)" 200 "admin lists users"
is "$(jq '.users | length' "$TMP/last.body")" 4 "four users"
jq -e '.. | objects | has("pwhash") | not' "$TMP/last.body" >/dev/null && ok || bad "no hashes in the user list"
is "$(req admin POST users -H 'Content-Type: application/json' -d '{"name":"m9","role":"merchant","password":"pw9","shops":["x"]}')" 403 "add user without CSRF token"
is "$(req admin POST users -H 'Content-Type: application/json' -H 'X-CSRF-Token: 0000000000000000000000000000000000000000000000000000000000000000' -d '{"name":"m9","role":"merchant","password":"pw9","shops":["x"]}')" 403 "add user with a wrong CSRF token"
is "$(req admin POST users -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d '{"name":"m9","role":"merchant","password":"pw9","shops":["x"]}')" 403 "add user with another session's CSRF token"
is "$(req admin POST users -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -d "{\"name\":\"m9\",\"role\":\"merchant\",\"password\":\"pw9\",\"shops\":[\"$B\"]}")" 201 "admin adds a merchant"
is "$(req admin POST users -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -d '{"name":"m9","role":"merchant","password":"pw9","shops":["x"]}')" 409 "add an existing user"
is "$(req admin POST users -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -d '{"name":"m8","role":"merchant","password":"pw"}')" 400 "merchant without shops"
login m9 m9 pw9
is "$(req m9 GET "kpi?shop=$A")" 403 "new merchant of B asks for A"
is "$(req admin DELETE users/m9 -H "X-CSRF-Token: $CSRF")" 200 "admin deletes a user"
is "$(req m9 GET me)" 401 "deleted user's session ends"
is "$(req admin DELETE users/m9 -H "X-CSRF-Token: $CSRF")" 404 "delete a missing user"

# ---- request validation
is "$(req admin GET "kpi?shops=$A")" 400 "unknown parameter"
is "$(req admin GET "kpi?from=2024-13-01")" 400 "bad date"
is "$(req admin GET "kpi?by=nobody")" 400 "bad by"
is "$(req admin GET nosuch)" 404 "unknown route"
is "$(req admin DELETE kpi -H "X-CSRF-Token: $CSRF")" 405 "wrong method"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v2/kpi")" 404 "unknown API version"
is "$(req admin POST kpi -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -d '{"shop":[1]}')" 400 "body shop not a string"
is "$(req admin POST kpi -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" -d '{nope')" 400 "body not JSON"

# ---- headers on API and static answers
curl -s -D "$TMP/h" -o "$TMP/index.html" "$BASE/" >/dev/null
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self';" "$TMP/h" && ok || bad "CSP on /"
grep -qi '^X-Content-Type-Options: nosniff' "$TMP/h" && ok || bad "nosniff on /"
grep -qi '^X-Frame-Options: DENY' "$TMP/h" && ok || bad "X-Frame-Options on /"
grep -qi '^Content-Type: text/html' "$TMP/h" && ok || bad "index is HTML"
grep -q '<script src="/app.js"' "$TMP/index.html" && ok || bad "index loads /app.js"
grep -q '<script>' "$TMP/index.html" && bad "inline script in index.html" || ok
req admin GET me >/dev/null
grep -qi '^Content-Security-Policy:' "$TMP/last.head" && grep -qi '^Cache-Control: no-store' "$TMP/last.head" && ok || bad "API headers"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/echarts.min.js")" 200 "ECharts from the binary"
is "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nosuch.js")" 404 "unknown static file"

# ---- traversal, sizes
is "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE/../../etc/passwd")" 400 "../ traversal"
is "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE/%2e%2e/%2e%2e/etc/passwd")" 400 "%2e%2e traversal"
is "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$BASE/%2E%2E%2fetc%2fpasswd")" 400 "%2E%2E%2f traversal"
is "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' -b "$TMP/admin.jar" "$API/shops/..%2f..%2fetc/kpi")" 400 "traversal in a path parameter"
head -c 200000 /dev/zero | tr '\0' 'a' >"$TMP/big"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big" "$API/login")" 413 "oversized body (Content-Length)"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big" "$API/login")" 413 "oversized chunked body"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 40000 "$TMP/big")" "$BASE/")" 431 "oversized headers"

is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$BASE/")" 405 "PUT refused"
# strict HTTP parsing (MHD_OPTION_STRICT_FOR_CLIENT): HTTP/1.1 without Host
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host:' "$BASE/")" 400 "HTTP/1.1 request without Host"

# ---- reload after an import
printf 'shop,buyer,agent,dir,ts,text\n%s,reload-buyer,%s,B,2024-11-10 10:00:00,hello\n%s,reload-buyer,%s,A,2024-11-10 10:00:30,hi\n' \
  "$A" "$AGENT_A" "$A" "$AGENT_A" >"$TMP/more.csv"
# asked twice before the import: the second answer comes from the answer
# cache and is the same; after the import the cache must not serve it again
req admin GET "kpi?shop=$A&from=2024-11-10&to=2024-11-10" >/dev/null; cp "$TMP/last.body" "$TMP/before1"
req admin GET "kpi?shop=$A&from=2024-11-10&to=2024-11-10" >/dev/null
cmp -s "$TMP/last.body" "$TMP/before1" && ok || bad "cached answer differs"
"$KEFU" import --db "$DB" "$TMP/more.csv" >/dev/null 2>&1 || bad "import more"
sleep 1.2
same admin "kpi?shop=$A&from=2024-11-10&to=2024-11-10" "after an import the API shows the new rows" kpi --shop "$A" --from 2024-11-10 --to 2024-11-10
grep -q '"consults"' "$TMP/last.body" && ok || bad "reloaded report has rows"
cmp -s "$TMP/last.body" "$TMP/before1" && bad "stale answer after an import" || ok
req admin GET "hourly?shop=$A&from=2024-11-10&to=2024-11-10" >/dev/null
before=$(jq '.counts[6][10]' "$TMP/last.body")
want=$(stored_buyer_msgs "2024-11-10 10:00:00" "2024-11-10 11:00:00")
is "$before" "$want" "hourly: Sunday 10:00 (Asia/Shanghai) cell = buyer messages 02:00-03:00 UTC"

# ---- API tokens: a script acts as its user without a session or CSRF token
TOK=$("$KEFU" user token add --db "$DB" --name ma --label "nightly BI" 2>/dev/null)
case $TOK in kefu_????????????????????????????????????????????????????????????????) ok ;; *) bad "token format: '$TOK'" ;; esac
TOK2=$("$KEFU" user token add --db "$DB" --name admin --label "ops" --days 30 2>/dev/null) || bad "token for admin"
"$KEFU" user token add --db "$DB" --name nobody --label x >/dev/null 2>&1; is $? 1 "token for a missing user"
"$KEFU" user token add --db "$DB" --name ma >/dev/null 2>&1; is $? 2 "token without a label"
treq() { # token METHOD PATH [curl args...]
  local t=$1 m=$2 p=$3; shift 3
  curl -s -o "$TMP/last.body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $t" "$@" "$API/$p"
}
is "$(treq "$TOK" GET me)" 200 "token: me"
is "$(jq -r '.user + " " + .role + " " + (has("csrf") | tostring)' "$TMP/last.body")" "ma merchant false" "token: the merchant, no CSRF token"
is "$(treq "$TOK" GET "kpi?shop=$A&per=range")" 200 "token: own shop"
"$KEFU" kpi --db "$DB" --shop "$A" --per range --format json >"$TMP/cli.json" 2>/dev/null
cmp -s "$TMP/last.body" "$TMP/cli.json" && ok || bad "token: kpi bytes differ from the CLI"
is "$(treq "$TOK" GET "kpi?shop=$B")" 403 "token: the merchant's token cannot see shop B"
grep -q "$B" "$TMP/last.body" && bad "token: 403 answer names shop B" || ok
is "$(treq "$TOK" GET users)" 403 "token: merchant token is not admin"
is "$(treq "$TOK" POST kpi -H 'Content-Type: application/json' -d "{\"shop\":[\"$A\"]}")" 200 "token: POST without CSRF"
is "$(treq "$TOK2" GET users)" 200 "token: admin token lists users"
is "$(treq "${TOK%?}x" GET me)" 401 "token: wrong token"
is "$(treq "kefu_short" GET me)" 401 "token: malformed token"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $TOK" "$API/me")" 401 "token: not as Basic"
"$KEFU" user token list --db "$DB" --format json >"$TMP/tokens.json" || bad "token list"
is "$(jq -r '[.[] | .user] | sort | join(",")' "$TMP/tokens.json")" "admin,ma" "token list: both users"
is "$(jq -r '.[] | select(.user == "ma") | (.last_used != null)' "$TMP/tokens.json")" "true" "token list: last use recorded"
is "$(jq -r '.[] | select(.user == "admin") | (.expires != null)' "$TMP/tokens.json")" "true" "token list: --days sets an end"
grep -q "$TOK" "$TMP/tokens.json" "$DB" && bad "the token itself is stored or listed" || ok
TID=$(jq -r '.[] | select(.user == "ma") | .id' "$TMP/tokens.json")
"$KEFU" user token revoke --db "$DB" --id "$TID" || bad "token revoke"
is "$(treq "$TOK" GET me)" 401 "token: revoked"
"$KEFU" user token revoke --db "$DB" --id "$TID" 2>/dev/null; is $? 1 "token revoke twice"

# ---- lockout: 5 wrong passwords lock the account, even for the right one
for i in 1 2 3 4 5; do
  is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"sup","password":"wrong"}')" 401 "wrong password $i"
done
is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"sup","password":"super-pw"}')" 429 "locked account refuses the right password"
grep -qi '^Retry-After:' "$TMP/last.head" && ok || bad "locked answer has Retry-After"
echo 'super-pw2' | "$KEFU" user passwd --hash-cost min --db "$DB" --name sup || bad "user passwd"
is "$(req anon POST login -H 'Content-Type: application/json' -d '{"user":"sup","password":"super-pw2"}')" 200 "passwd unlocks"

# ---- logout needs the CSRF token and ends the session
is "$(req ma POST logout -H 'Content-Type: application/json' -d '{}')" 403 "logout without CSRF token"
is "$(req ma POST logout -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF_MA" -d '{}')" 200 "logout"
curl -s -o /dev/null -w '%{http_code}' -H "Cookie: kefu_session=$TOKEN" "$API/me" >"$TMP/code"
is "$(cat "$TMP/code")" 401 "old token after logout"

# ---- rate limit: a second server with one request per 2 s (bursts of 1)
start "$TMP/port2" --rate 0.5
n429=0
for i in $(seq 40); do
  c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$TMP/port2")/api/v1/me")
  [ "$c" = 429 ] && n429=$((n429+1))
done
[ "$n429" -ge 10 ] && ok || bad "rate limit: $n429 of 40 requests got 429"

# ---- TLS: Secure cookie and HSTS
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
     -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1; then
  start "$TMP/port3" --rate 0 --cert "$TMP/cert.pem" --key "$TMP/key.pem"
  curl -sk -D "$TMP/h" -o /dev/null -H 'Content-Type: application/json' \
    -d '{"user":"admin","password":"admin-pw"}' "https://127.0.0.1:$(cat "$TMP/port3")/api/v1/login"
  grep -qi '^Set-Cookie:.*HttpOnly; SameSite=Strict.*; Secure' "$TMP/h" && ok || bad "Secure cookie under TLS"
  grep -qi '^Strict-Transport-Security:' "$TMP/h" && ok || bad "HSTS under TLS"
  is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$TMP/port3")/" 2>/dev/null)" 000 "plain HTTP refused on the TLS port"
else
  bad "openssl could not make a test certificate"
fi

# ---- IPv6 loopback
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
  start "$TMP/port6" --rate 0 --listen '[::1]:0'
  is "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$(cat "$TMP/port6")/api/v1/me")" 401 "serving on [::1]"
fi

# ---- CLI usage
"$KEFU" serve --help >/dev/null; is $? 0 "serve --help"
"$KEFU" serve 2>/dev/null; is $? 2 "serve without --db"
"$KEFU" serve --db "$DB" --listen nonsense 2>/dev/null; is $? 2 "serve bad --listen"
"$KEFU" serve --db "$TMP/none.db" --listen 127.0.0.1:0 2>/dev/null; is $? 5 "serve missing store"
"$KEFU" user del --db "$DB" --name nobody 2>/dev/null; is $? 1 "user del missing"

# ---- servers stop cleanly on SIGTERM; no sanitizer report in their log
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p"; is $? 0 "server exits 0 on SIGTERM"; done
PIDS=()
grep -q "stopping (signal 15)" "$TMP/server.log" && ok || bad "server logs its stop"
if grep -Eq "ERROR: (Address|Leak|Undefined)Sanitizer|runtime error" "$TMP/server.log"; then
  bad "sanitizer report in the server log"; grep -E -A20 "Sanitizer|runtime error" "$TMP/server.log" | head -60
else ok; fi

echo "serve_api: $passes passed, $fails failed"
[ "$fails" = 0 ]
