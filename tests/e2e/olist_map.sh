#!/bin/bash
# olist_map.sh - real data through --map (docs/IMPORT.md "Olist"): every one
# of the 103,886 Olist payment rows imported exactly (one order row per
# payment row, order_id = "{order_id}:{payment_sequential}"), their sum
# 16,008,872.12 BRL checked to the cent through `kefu export orders` and
# `kefu kpi --by shop`; the v1 classified file as orders and as ratings
# (review_score for all three DSR scores) with a time format; the Taobao
# fixtures through the CLI (GBK detection, --shop required, rejects).
# Usage: bash olist_map.sh <kefu-binary> <tests-dir> <shared-data-dir>
set -u
KEFU=$1
FIX=$2/fixtures/presets
D=$3/olist_brazilian_ecommerce
T=$(mktemp -d /tmp/kefu-e2e-olist.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
export NO_COLOR=1 XDG_CONFIG_HOME=$T/config
unset KEFU_DB

fail() {
	echo "FAIL: $*" >&2
	for f in out err; do [ -f "$f" ] && { echo "--- $f" >&2; head -40 "$f" >&2; }; done
	exit 1
}
run() {
	local want=$1
	shift
	"$KEFU" "$@" >out 2>err
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "kefu $* exited $rc, expected $want"
}
has() { grep -qxF -- "$1" "$2" || fail "expected line '$1' in $2"; }
contains() { grep -qF -- "$1" "$2" || fail "expected '$1' in $2"; }

# ---- payments: one order row per payment row ----
PAY_MAP='order_id={order_id}:{payment_sequential},buyer=order_id,created="2018-09-01 00:00:00",paid="2018-09-01 00:00:00",amount=payment_value,items="1",status=payment_type'
if [ -f "$D/olist_order_payments_dataset.csv" ]; then
	run 0 import --db pay.db --shop olist --map "$PAY_MAP" "$D/olist_order_payments_dataset.csv"
	has "orders: read 103886, added 103886, unchanged 0, updated 0, conflicts 0, rejected 0" out
	run 0 export orders --db pay.db
	# exact sum in integer cents (awk's doubles are exact below 2^53)
	sum=$(awk -F, 'NR>1 { split($6, a, "."); s += a[1] * 100 + a[2]; n++ }
		END { printf "%d %d.%02d", n, int(s / 100), s % 100 }' out)
	[ "$sum" = "103886 16008872.12" ] || fail "payments: got '$sum'"
	run 0 kpi --db pay.db --by shop --per range --format csv
	contains "1600887212" out
	# importing again adds nothing
	run 0 import --db pay.db --shop olist --map "$PAY_MAP" "$D/olist_order_payments_dataset.csv"
	has "orders: read 103886, added 0, unchanged 103886, updated 0, conflicts 0, rejected 0" out
	# a preset file gives the same mapping a name
	mkdir -p config/kefu
	printf '# Olist\nolist-payments: %s\n' "$PAY_MAP" >config/kefu/presets
	run 0 import --db pay2.db --shop olist --format olist-payments "$D/olist_order_payments_dataset.csv"
	has "orders: read 103886, added 103886, unchanged 0, updated 0, conflicts 0, rejected 0" out
	rm -rf config
else
	echo "skip: Olist payments not present" >&2
fi

# ---- v1 classified file: orders and ratings ----
V1="$D/olist_classified_public_dataset_v1.csv"
if [ -f "$V1" ]; then
	run 0 import --db v1.db --shop olist --time-format '%Y-%m-%d %H:%M:%S.%f' \
		--map 'order_id=id,buyer=olist-{id},created=order_purchase_timestamp,paid=order_aproved_at,amount=order_products_value,items=order_items_qty,status=order_status' "$V1"
	has "orders: read 3584, added 3584, unchanged 0, updated 0, conflicts 0, rejected 0" out
	run 0 import --db v1.db --shop olist \
		--map 'order_id=id,buyer=olist-{id},ts=review_creation_date|time:%Y-%m-%d %H:%M:%S.%f,desc=review_score,service=review_score,shipping=review_score' "$V1"
	has "ratings: read 3584, added 3584, unchanged 0, updated 0, conflicts 0, rejected 0" out
	run 0 export ratings --db v1.db
	# 5★ 1,655, 4★ 514, 3★ 332, 2★ 216, 1★ 867 (PROVENANCE.md)
	got=$(awk -F, 'NR>1 { c[$5]++ } END { printf "%d %d %d %d %d", c[5], c[4], c[3], c[2], c[1] }' out)
	[ "$got" = "1655 514 332 216 867" ] || fail "review scores: got '$got'"
fi

# ---- Taobao fixtures through the CLI ----
run 1 import --db tb.db "$FIX/taobao_orders_gbk.csv"
contains "no shop column: give --shop" err
run 3 import --db tb.db --shop 店A --reject rej.csv "$FIX/taobao_orders_gbk.csv"
has "orders: read 11, added 9, unchanged 0, updated 0, conflicts 0, rejected 2" out
contains "taobao_orders_gbk.csv:12: 宝贝标题: invalid GB18030 byte sequence" err
contains "taobao_orders_gbk.csv:11: 订单付款时间: paid before created" err
# stdin goes through the same detection and transcoding
run 3 import --db tb.db --shop 店A --reject rej.csv - <"$FIX/taobao_orders_gbk.csv"
has "orders: read 11, added 0, unchanged 9, updated 0, conflicts 0, rejected 2" out
run 3 import --db tb.db --shop 店B --reject rej.csv --format taobao-orders --encoding utf-8 \
	"$FIX/taobao_orders_old_bom.csv"
has "orders: read 9, added 8, unchanged 0, updated 0, conflicts 0, rejected 1" out
run 0 export orders --db tb.db
has "店A,8888888888888888,tb_小明,2023-03-03 09:00:00,2023-03-03 09:02:00,99.00,1,TRADE_CLOSED,99.00" out
has "店A,2222222222222222,tb_阿花,2023-03-01 11:00:00,,0.00,1,WAIT_BUYER_PAY,0.00" out
has "店B,6666666666666666,tb_小红,2023-03-02 12:00:00,2023-03-02 12:01:30,59.90,1,WAIT_SELLER_SEND_GOODS,0.00" out
# usage errors
run 2 import --db tb.db --format nosuch "$FIX/taobao_orders_gbk.csv"
run 2 import --db tb.db --encoding latin1 "$FIX/taobao_orders_gbk.csv"
run 2 import --db tb.db --map 'buyer' "$FIX/taobao_orders_gbk.csv"
# kpi reads the export directly too
run 3 kpi --input-shop 店A --by shop --per range --format csv "$FIX/taobao_orders_old_bom.csv" -q
echo ok
