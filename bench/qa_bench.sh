#!/usr/bin/env bash
# qa_bench.sh - quality inspection speed (docs/PERFORMANCE.md, "Quality
# inspection"): 5,000 keywords and 50 regexes over N generated messages,
# beside the KPI computation on the same store and a naive
# one-pattern-at-a-time loop (run on the first NAIVE_N messages only and
# scaled, since it is thousands of times slower).
#
#   bench/qa_bench.sh [N]        N messages (default 1000000)
# Environment: KEFU (binary, default build/kefu), SEED (1), NAIVE_N (20000),
# BENCH_DATA (default bench/data/qa-<N>-s<SEED>, git-ignored).
set -euo pipefail
N=${1:-1000000}
SEED=${SEED:-1}
NAIVE_N=${NAIVE_N:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEFU=${KEFU:-$ROOT/build/kefu}
DATA=${BENCH_DATA:-$ROOT/bench/data/qa-$N-s$SEED}
mkdir -p "$DATA"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "qa_bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
step() { # name, command...
	local name=$1; shift
	"$TIME" -f "%e %U %S %M" -o "$DATA/time.txt" "$@" > "$DATA/$name.out" 2> "$DATA/$name.err"
	read -r wall user sys rss < <(tail -1 "$DATA/time.txt")
	printf '| %s | %s | %.2f | %d |\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}
if [ ! -f "$DATA/messages.csv" ]; then
	"$KEFU" gen --out "$DATA" --messages "$N" --seed "$SEED"
fi
# the rule set: 5,000 keywords (10 taken from the generated texts so that
# they hit, 4,990 random CJK words) and 50 regexes (off-platform contact,
# phone numbers, digit runs, 47 'word .{0,6} word' patterns)
python3 - "$DATA" <<'PY'
import csv, random, sys
d = sys.argv[1]
random.seed(7)
texts = []
with open(d + '/messages.csv', newline='', encoding='utf-8') as f:
    r = csv.reader(f); next(r)
    for i, row in enumerate(r):
        texts.append(row[5])
        if i >= 200000: break
cjk = [chr(c) for c in range(0x4e00, 0x9fa5)]
words = set()
while len(words) < 10:
    t = random.choice(texts)
    if len(t) < 4: continue
    L = random.randint(2, 4); s = random.randint(0, len(t) - L); w = t[s:s + L]
    if all('\u4e00' <= c <= '\u9fa5' for c in w): words.add(w)
while len(words) < 5000:
    words.add(''.join(random.choice(cjk) for _ in range(random.randint(2, 4))))
open(d + '/words.txt', 'w', encoding='utf-8').write('\n'.join(sorted(words)) + '\n')
y = ['rules:', '  - id: kw', '    kind: keywords', '    severity: major', '    points: 5',
     '    file: words.txt', '    except: [不是最好]']
regs = [r'(微信|VX|QQ|vx|weixin)\s*[:：]?\s*[0-9A-Za-z_-]{5,}', r'1[3-9]\d{9}', r'[0-9]{5,11}']
while len(regs) < 50:
    a = ''.join(random.choice(cjk) for _ in range(2)); b = ''.join(random.choice(cjk) for _ in range(2))
    regs.append(a + '.{0,6}' + b)
for i, p in enumerate(regs):
    y += ['  - id: re%d' % i, '    kind: regex', '    severity: minor', '    points: 1',
          "    pattern: '%s'" % p.replace("'", "''")]
y += ['  - id: slow', '    kind: reply_gap', '    over_s: 180', '    severity: minor', '    points: 2',
      '  - id: noanswer', '    kind: unanswered', '    severity: major', '    points: 10']
open(d + '/bench.yaml', 'w', encoding='utf-8').write('\n'.join(y) + '\n')
PY
head -n $((NAIVE_N + 1)) "$DATA/messages.csv" > "$DATA/messages-head.csv"
if [ ! -f "$DATA/store.db" ]; then
	"$KEFU" import --db "$DATA/store.db" "$DATA"/messages.csv "$DATA"/orders.csv \
		"$DATA"/ratings.csv "$DATA"/evals.csv "$DATA"/agents.csv > /dev/null
	"$KEFU" kpi --db "$DATA/store.db" --format csv > /dev/null # writes the snapshot
fi
echo "| step | wall s | cpu s | max RSS MB |"
echo "|---|---:|---:|---:|"
export KEFU_TIMING=1
step kpi_db "$KEFU" kpi --db "$DATA/store.db" --format csv
step qa_run "$KEFU" qa run --db "$DATA/store.db" --rules "$DATA/bench.yaml" --format csv
step qa_scan_multi "$KEFU" qa scan --rules "$DATA/bench.yaml" "$DATA/messages.csv"
step qa_scan_multi_head "$KEFU" qa scan --rules "$DATA/bench.yaml" "$DATA/messages-head.csv"
step qa_scan_naive_head "$KEFU" qa scan --engine naive --rules "$DATA/bench.yaml" "$DATA/messages-head.csv"
echo
echo "kpi phases:"; grep timing "$DATA/kpi_db.err" || true
echo "qa phases:"; grep -E "timing|qa run" "$DATA/qa_run.err" || true
echo "scan (all):"; cat "$DATA/qa_scan_multi.out"
echo "scan (first $NAIVE_N, multi):"; cat "$DATA/qa_scan_multi_head.out"
echo "scan (first $NAIVE_N, naive):"; cat "$DATA/qa_scan_naive_head.out"
