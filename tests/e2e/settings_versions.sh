#!/usr/bin/env bash
# End-to-end: per-shop settings versioned by effective date. Each report day
# uses the version in force on that day; --set overrides every version; a
# shop's own value beats the '*' value.
# Usage: settings_versions.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
csv_get() { awk -F, -v col="$2" -v key="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next}
  index($0, key ",")==1 {print $c; exit}' "$1"; }
check() { local got; got=$(csv_get "$1" "$2" "$3"); [ "$got" = "$4" ] && ok || bad "$3 $2 = '$got', want '$4'"; }

# Two shops; on 03-01 and on 03-05 a run at 23:50 is answered at 00:10 the next day
# (20 minutes after the question, 10 minutes after midnight).
cat > "$TMP/m.csv" <<'CSV'
shop,buyer,agent,dir,ts,text
s1,b1,s1:a,B,2023-03-01 23:50:00,q
s1,b1,s1:a,A,2023-03-02 00:10:00,a
s1,b2,s1:a,B,2023-03-05 23:50:00,q
s1,b2,s1:a,A,2023-03-06 00:10:00,a
s2,b1,s2:a,B,2023-03-05 23:50:00,q
s2,b1,s2:a,A,2023-03-06 00:10:00,a
CSV
"$KEFU" import --db "$TMP/s.db" "$TMP/m.csv" >/dev/null || bad "import"
# every shop: max_wait 5m from 03-03; shop s2 keeps the default 15m
"$KEFU" settings --db "$TMP/s.db" --from 2023-03-03 max_wait=5m >/dev/null || bad "settings *"
"$KEFU" settings --db "$TMP/s.db" --shop s2 max_wait=15m >/dev/null || bad "settings s2"
"$KEFU" kpi --db "$TMP/s.db" --format csv > "$TMP/out.csv" || bad "kpi"
check "$TMP/out.csv" received "s1,s1:a,2023-03-01" 1   # default 15m: answered
check "$TMP/out.csv" received "s1,s1:a,2023-03-05" 0   # 5m from 03-03: not answered
check "$TMP/out.csv" received "s2,s2:a,2023-03-05" 1   # the shop's own value wins
grep -q "settings\[s1 from 2023-03-03\]" <("$KEFU" kpi --db "$TMP/s.db") && ok || bad "table states the version used"
# --set overrides every version for one run
"$KEFU" kpi --db "$TMP/s.db" --format csv --set max_wait=30m > "$TMP/out2.csv" || bad "kpi --set"
check "$TMP/out2.csv" received "s1,s1:a,2023-03-05" 1
# invalid values are refused before anything is stored
"$KEFU" settings --db "$TMP/s.db" max_wait=13h >/dev/null 2>&1; [ $? = 2 ] && ok || bad "invalid setting exit 2"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
