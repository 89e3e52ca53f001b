#!/usr/bin/env bash
# End-to-end: contracts, billing, corrections, ledger, payments, payroll and
# margin through the CLI on a small store (tests/fixtures/billing; the
# numbers are computed by hand in docs/BILLING.md and test_billing_data.c).
# Usage: bill_cli.sh KEFU_BINARY TESTS_DIR SHARED_DATA_DIR
set -u
KEFU=$1
FX=$2/fixtures/billing
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
DB=$TMP/k.db
fails=0; passes=0
ok()  { passes=$((passes+1)); }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }
expect() { [ "$2" = "$3" ] && ok || bad "$1: got '$2', want '$3'"; }
# column $2 of the first CSV row containing $3 (RFC 4180 quotes handled)
csv_col() { awk -v col="$2" -v key="$3" '
  function split_csv(line, f,   n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
      c = substr(line, i, 1)
      if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur c; i++ } else q = 0 } else cur = cur c }
      else if (c == "\"") q = 1
      else if (c == ",") { f[++n] = cur; cur = "" }
      else cur = cur c
    }
    f[++n] = cur; return n
  }
  NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) if (h[i] == col) c = i; next }
  index($0, key) > 0 { split_csv($0, f); print f[c]; exit }' "$1"; }
ledger_ok() {
  "$KEFU" ledger --db "$DB" --format csv > "$TMP/ledger.csv" 2> "$TMP/ledger.err"
  local rc=$?
  [ $rc = 0 ] && grep -q ": balanced" "$TMP/ledger.err" && ok || bad "ledger balanced after $1 (rc $rc)"
  grep -o '^[^:]*: [0-9]* transfers' "$TMP/ledger.err" | head -1 >/dev/null
  transfers=$(sed -n 's/.*ledger: \([0-9]*\) transfers.*/\1/p' "$TMP/ledger.err")
}

"$KEFU" import --db "$DB" "$FX/messages.csv" "$FX/orders.csv" "$FX/agents.csv" >/dev/null 2>&1 \
  || bad "import"

# bad contracts: every problem listed, exit 2, nothing stored
"$KEFU" contract check "$FX/bad.yaml" 2> "$TMP/bad.err"; expect "check bad exit" $? 2
expect "problems listed" "$(grep -c '^kefu: error: .*bad.yaml:[0-9]*: ' "$TMP/bad.err")" 7
grep -q 'bad.yaml:6: colour: unknown key' "$TMP/bad.err" && ok || bad "unknown key line"
"$KEFU" contract add --db "$DB" "$FX/bad.yaml" 2>/dev/null; expect "add bad exit" $? 2
expect "nothing stored" "$("$KEFU" contract list --db "$DB" | wc -l)" 1
"$KEFU" contract check "$FX/hy-2023-017.yaml" "$FX/hy-2023-017.json" >/dev/null; expect "check ok" $? 0
"$KEFU" contract add --db "$DB" "$FX/hy-2023-017.yaml" "$FX/prepay.yaml" >/dev/null || bad "add"
"$KEFU" contract add --db "$DB" "$FX/hy-2023-017.yaml" | grep -q unchanged && ok || bad "re-add unchanged"
"$KEFU" contract show --db "$DB" HY-2023-017 | grep -c '^#   2023-0' > "$TMP/n"
expect "quarter from 01-16 has 4 periods" "$(cat "$TMP/n")" 4

# one period: lines, KPI values used, total
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 --format csv --today 2023-03-05 \
  > "$TMP/jan.csv" 2> "$TMP/jan.err" || bad "bill jan"
grep -q "1 invoice issued" "$TMP/jan.err" && ok || bad "first bill issues one invoice"
expect "base" "$(csv_col "$TMP/jan.csv" amount_fen 'base 6 x 4500.00 x 16/31')" 1393548
expect "tier 1" "$(csv_col "$TMP/jan.csv" amount_fen 'commission tier 1')" 1300
expect "sla kpi used" "$(csv_col "$TMP/jan.csv" kpi 'sla first_resp_s')" 25.00
expect "sla amount" "$(csv_col "$TMP/jan.csv" amount_fen 'sla first_resp_s')" -27871
expect "sla kpi exact" "$(csv_col "$TMP/jan.csv" kpi_num 'sla first_resp_s')/$(csv_col "$TMP/jan.csv" kpi_den 'sla first_resp_s')" 50/2
expect "conv kpi used" "$(csv_col "$TMP/jan.csv" kpi 'sla conv_rate')" 100.00%
expect "total" "$(csv_col "$TMP/jan.csv" amount_fen ',total,')" 1380912
expect "issue" "$(csv_col "$TMP/jan.csv" issue ',total,')" 2023-02-01
expect "due" "$(csv_col "$TMP/jan.csv" due ',total,')" 2023-02-16
ledger_ok "first bill"; expect "transfers" "$transfers" 1
# twice: nothing new
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 --today 2023-03-05 \
  > /dev/null 2> "$TMP/jan2.err"
grep -q "0 invoices issued, 0 credit notes, 0 ledger transfers, 1 unchanged" "$TMP/jan2.err" \
  && ok || bad "second bill adds nothing: $(cat "$TMP/jan2.err")"
ledger_ok "second bill"; expect "transfers" "$transfers" 1
# a month still running is a preview, not an invoice
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-02 --today 2023-02-15 \
  > /dev/null 2> "$TMP/feb.err"
grep -q "HY-2023-017-2023-02-P-r1 is not due before 2023-03-01" "$TMP/feb.err" \
  && grep -q "0 invoices issued" "$TMP/feb.err" && ok || bad "preview: $(cat "$TMP/feb.err")"
ledger_ok "preview"; expect "transfers" "$transfers" 1
# which chats were inside coverage
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 --chats --format csv \
  > "$TMP/chats.csv" 2>/dev/null
expect "chats listed" "$(tail -n +2 "$TMP/chats.csv" | grep -vc '^#')" 4
expect "chats inside" "$(awk -F, 'NR>1 && $NF==1' "$TMP/chats.csv" | wc -l)" 3
# statements
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 -o "$TMP/s.html" -o "$TMP/s.xlsx" \
  2>/dev/null || bad "statement"
grep -q "13935.48" "$TMP/s.html" && grep -q "对账单" "$TMP/s.html" && grep -q "13809.12" "$TMP/s.html" \
  && ok || bad "html statement"
[ "$(head -c 2 "$TMP/s.xlsx")" = "PK" ] && ok || bad "xlsx statement"

# every due period of every contract
"$KEFU" bill --db "$DB" --all --through 2023-01-20 --today 2023-01-20 --format csv \
  > "$TMP/all0.csv" 2> "$TMP/all0.err" || bad "bill --all 01-20"
grep -q "1 invoice issued" "$TMP/all0.err" && ok || bad "prepay fixed at period start: $(cat "$TMP/all0.err")"
grep -q "PP-1-2023-01-F-r1" "$TMP/all0.csv" && ok || bad "PP January fixed invoice"
grep -q "PP-1-2023-01-V" "$TMP/all0.csv" && bad "variable invoice before the period ended" || ok
"$KEFU" bill --db "$DB" --all --through 2023-05-01 --today 2023-05-01 --format csv \
  > "$TMP/all.csv" 2> "$TMP/all.err" || bad "bill --all"
# HY Feb, Mar, Apr; PP Jan V (32.00), Feb..May F; no sales after January: no V
grep -q "8 invoices issued, 0 credit notes, 8 ledger transfers, 2 unchanged" "$TMP/all.err" \
  && ok || bad "bill --all counts: $(cat "$TMP/all.err")"
expect "PP Jan variable" "$(csv_col "$TMP/all.csv" total_fen 'PP-1-2023-01-V-r1')" 3200
grep -q "PP-1-2023-02-V" "$TMP/all.csv" && bad "empty variable invoice" || ok
# the statement of one invoice of a prepay period
"$KEFU" bill --db "$DB" --contract PP-1 --period 2023-01 --invoice PP-1-2023-01-V-r1 \
  -o "$TMP/v.html" 2>/dev/null || bad "statement of one invoice"
grep -q "PP-1-2023-01-V-r1" "$TMP/v.html" && ! grep -q "PP-1-2023-01-F-r1" "$TMP/v.html" \
  && ok || bad "one invoice in the statement"
ledger_ok "bill --all"; expect "transfers" "$transfers" 10
"$KEFU" bill --db "$DB" --all --through 2023-05-01 --today 2023-05-01 > /dev/null 2> "$TMP/all2.err"
grep -q "0 invoices issued, 0 credit notes, 0 ledger transfers" "$TMP/all2.err" \
  && ok || bad "bill --all again adds nothing"
ledger_ok "bill --all again"; expect "transfers" "$transfers" 10

# a payment, then a late order: one credit note and one new invoice
"$KEFU" pay --db "$DB" --contract HY-2023-017 --invoice HY-2023-017-2023-01-P-r1 --amount 10000.00 \
  --day 2023-02-10 --id BANK-1 | grep -q "recorded" && ok || bad "pay"
"$KEFU" pay --db "$DB" --contract HY-2023-017 --amount 10000.00 --day 2023-02-10 --id BANK-1 \
  >/dev/null 2>&1; expect "pay replay with other values" $? 1
ledger_ok "payment"; expect "transfers" "$transfers" 11
"$KEFU" import --db "$DB" "$FX/late_order.csv" >/dev/null 2>&1 || bad "import late order"
"$KEFU" bill --db "$DB" --contract HY-2023-017 --period 2023-01 --today 2023-05-02 --format csv \
  > "$TMP/jan3.csv" 2> "$TMP/jan3.err"
grep -q "1 invoice issued, 1 credit note, 2 ledger transfers" "$TMP/jan3.err" \
  && ok || bad "correction: $(cat "$TMP/jan3.err")"
grep -q "HY-2023-017-2023-01-P-r2" "$TMP/jan3.csv" && ok || bad "revision 2"
expect "r2 tier 1" "$(csv_col "$TMP/jan3.csv" amount_fen 'commission tier 1')" 1350
ledger_ok "correction"; expect "transfers" "$transfers" 13
"$KEFU" bill --db "$DB" --list --contract HY-2023-017 --format csv > "$TMP/list.csv"
expect "credit note listed" "$(grep -c '^CN-HY-2023-017-2023-01-P-r1,credit-note' "$TMP/list.csv")" 1
# Jan r2 + Feb + Mar (base only: no chats, no sales) + Apr 15/30 - the payment
expect "receivable" "$(csv_col "$TMP/ledger.csv" balance_fen 'receivable:HY-2023-017')" \
  $((1380962 + 2700000 * 2 + 1350000 - 1000000))

# payroll and margin
"$KEFU" payroll --db "$DB" --period 2023-01 --format csv > "$TMP/pay.csv" || bad "payroll"
# 3100.00 x 16/31 = 1600.00 + 1% of 1650.00 (b1 1000 + 50 late, b2 500, b6 100)
expect "hy1 pay" "$(csv_col "$TMP/pay.csv" total_fen 's1:hy1')" 161650
"$KEFU" payroll --db "$DB" --period 2023-01 --post >/dev/null 2>&1 || bad "payroll --post"
"$KEFU" payroll --db "$DB" --period 2023-01 --post >/dev/null 2> "$TMP/pp.err"
grep -q "0 ledger transfers" "$TMP/pp.err" && ok || bad "payroll posted once"
ledger_ok "payroll"; expect "transfers" "$transfers" 15
"$KEFU" margin --db "$DB" --period 2023-01 --format csv > "$TMP/margin.csv" || bad "margin"
# hy1's 1616.50 is split between HY and PP-1 (both cover s1), hy2's 3000.00 is all HY's
expect "HY payroll" "$(csv_col "$TMP/margin.csv" payroll_fen 'HY-2023-017,')" $((80825 + 300000))
expect "HY margin" "$(csv_col "$TMP/margin.csv" margin_fen 'HY-2023-017,')" $((1380962 - 380825))
expect "PP payroll" "$(csv_col "$TMP/margin.csv" payroll_fen 'PP-1,')" 80825

# renewal review: January, the provider's KPIs (inside coverage) beside the in-house agent's
"$KEFU" contract review --db "$DB" HY-2023-017 --margin --format csv > "$TMP/review.csv" \
  || bad "review"
expect "review periods" "$(tail -n +2 "$TMP/review.csv" | grep -c '^2023-0')" 4
expect "review invoiced" "$(csv_col "$TMP/review.csv" invoiced_fen '2023-01,')" 1380962
expect "review first_resp" "$(csv_col "$TMP/review.csv" first_resp_s '2023-01,')" 25
expect "review first_resp met" "$(csv_col "$TMP/review.csv" first_resp_s_met '2023-01,')" 0
expect "review in-house first_resp" "$(csv_col "$TMP/review.csv" first_resp_s_inhouse '2023-01,')" 5
expect "review in-house sales" "$(csv_col "$TMP/review.csv" inhouse_sales_fen '2023-01,')" 20000
expect "review margin" "$(csv_col "$TMP/review.csv" margin_fen '2023-01,')" $((1380962 - 380825))

# prepay balance: a payment above what PP-1 owes (Jan F 6000.00 + Jan V 32.00 + Feb..May F
# 4 x 6000.00 = 30032.00) is kept as prepaid; the June invoice draws on it, the corrected
# January variable invoice (33.00 after the late order) first uses the 32.00 credited back
"$KEFU" pay --db "$DB" --contract PP-1 --amount 100000.00 --day 2023-05-20 --id BANK-2 >/dev/null \
  || bad "prepay payment"
ledger_ok "prepay payment"
expect "PP receivable settled" "$(csv_col "$TMP/ledger.csv" balance_fen 'receivable:PP-1')" 0
expect "PP prepaid" "$(csv_col "$TMP/ledger.csv" balance_fen 'prepaid:PP-1')" -6996800
"$KEFU" bill --db "$DB" --all --through 2023-06-01 --today 2023-06-01 > /dev/null 2> "$TMP/jun.err"
grep -q "2 invoices issued, 1 credit note, 3 ledger transfers" "$TMP/jun.err" \
  && ok || bad "June run: $(cat "$TMP/jun.err")"
ledger_ok "June run"
r=$(csv_col "$TMP/ledger.csv" balance_fen 'receivable:PP-1')
p=$(csv_col "$TMP/ledger.csv" balance_fen 'prepaid:PP-1')
expect "PP prepaid after June" "$p" $((-6996800 + 600000 + 100))
expect "PP owes nothing" "$r" 0

echo "bill_cli: $passes passed, $fails failed"
[ $fails = 0 ]
