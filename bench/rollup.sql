-- rollup.sql - an independent SQL implementation of the per-(shop, agent, day)
-- rollup of docs/spec metrics.md section 5 (with sections 3, 4, 6 and 7), used
-- to cross-check kefu's C engine and as the DuckDB/SQLite side of the benchmark.
--
-- Portable: runs unchanged on SQLite (>= 3.28, window functions) and DuckDB.
-- The only engine-specific part is loading and timestamp parsing, done by a
-- small shim that must define two views before this file runs:
--   msg_src(shop, buyer, agent, dir, ts, t, text)
--       ts: the canonical "YYYY-MM-DD HH:MM:SS" text, t: the same local wall
--       clock as integer seconds since 1970-01-01 (as if UTC)
--   ord_src(shop, order_id, buyer, created, created_t, paid, paid_t, amount_fen, items)
--       paid/paid_t NULL when never paid; amount_fen an exact integer
-- (bench/sqlite_load.sql and bench/duckdb_load.sql). No division is used
-- anywhere (SQLite and DuckDB disagree on integer '/'), and every boolean is
-- written as CASE ... THEN 1 ELSE 0 END so the sums are integers in both.
--
-- Settings are the spec defaults, inlined as literals:
--   tz +08:00 fixed and day_split 00:00: the business day of a local timestamp
--     is its date, so a day is represented by its start `t - t % 86400` and
--     its name by substr(ts, 1, 10)
--   max_wait 15m (900 s): a run of day D is answered by an A at most
--     D + 86400 + 900 (inclusive)
--   slow_reply_s 60; three_min_window 08:00-23:00 (28800..82800 s of the day,
--     end exclusive), ok when the gap <= 180 s
--   after_sale_days 5 (432000 s); attribution_window 48h (172800 s)
--   judge_rule order_first; inquiry_validity_days 2 (D + 172800);
--   converted_next_day: paid < D + 172800 (start of D+2); sales_basis gross
--   exclude_buyers empty
-- Inputs are assumed to carry canonical timestamps and unique (shop, order_id);
-- kefu's "later row of the same order replaces the earlier one" is not
-- modelled (row order is not portable SQL), nor key trimming/cntaobao.
--
-- The final statement prints the rollup sorted by shop, agent, day (byte
-- order: SQLite's BINARY collation and DuckDB's default both compare bytes).

-- 1. Messages: distinct import keys, day, direction rank (B < S < A).
CREATE TABLE r_msg AS
SELECT shop, buyer, agent, dir, t, t - t % 86400 AS day, substr(ts, 1, 10) AS dname,
       CASE dir WHEN 'B' THEN 0 WHEN 'S' THEN 1 ELSE 2 END AS dr, text
FROM (SELECT DISTINCT shop, buyer, agent, dir, ts, t, COALESCE(text, '') AS text
      FROM msg_src WHERE dir IN ('B', 'S', 'A')) d;

-- 2. Orders (paid_t NULL = never paid).
CREATE TABLE r_ord AS
SELECT shop, order_id, buyer, created_t, paid_t,
       paid_t - paid_t % 86400 AS paid_day, substr(paid, 1, 10) AS paid_dname,
       amount_fen, items
FROM ord_src;

-- 3. The B/A part of each (shop, agent, buyer) stream, ordered by ts, then
--    B before A, then text bytes. ai = number of A messages up to and
--    including this row: for a B row, the A messages before it; for an A
--    row, its own 1-based index among the stream's A messages.
--    S rows neither end nor answer a run, so they are left out here.
CREATE TABLE r_ba AS
SELECT shop, agent, buyer, dir, t, day,
       SUM(CASE WHEN dir = 'A' THEN 1 ELSE 0 END) OVER (
           PARTITION BY shop, agent, buyer ORDER BY t, dr, text
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ai
FROM r_msg WHERE dir <> 'S';

-- 4. Question runs: B messages with the same count of preceding A messages
--    are consecutive with no A between them; splitting them by business day
--    gives the maximal runs. The run's answer candidate is the first A after
--    its last B, i.e. the stream's A number ai + 1 (one A may answer a run of
--    the previous day and one of its own day). It answers the run if it
--    falls on the run's day or at most max_wait after that day ends.
CREATE TABLE r_run AS
SELECT r.shop, r.agent, r.buyer, r.day, r.first_t,
       CASE WHEN a.t IS NOT NULL AND a.t <= r.day + 86400 + 900 THEN a.t END AS ans_t
FROM (SELECT shop, agent, buyer, day, ai, MIN(t) AS first_t
      FROM r_ba WHERE dir = 'B'
      GROUP BY shop, agent, buyer, day, ai) r
LEFT JOIN (SELECT shop, agent, buyer, ai, MIN(t) AS t
           FROM r_ba WHERE dir = 'A'
           GROUP BY shop, agent, buyer, ai) a
  ON a.shop = r.shop AND a.agent = r.agent AND a.buyer = r.buyer AND a.ai = r.ai + 1;

-- 5. Per chat (shop, agent, buyer, day) from its runs. The chat's first run
--    is the one with the smallest first B ts (rn = 1); first_resp only if
--    that run is answered. 3-minute rounds: runs whose first B is in
--    [08:00, 23:00) local.
CREATE TABLE r_chat_runs AS
SELECT shop, agent, buyer, day,
       MIN(first_t) AS f,
       MAX(CASE WHEN ans_t IS NOT NULL THEN 1 ELSE 0 END) AS received,
       SUM(CASE WHEN rn = 1 AND ans_t IS NOT NULL THEN ans_t - first_t ELSE 0 END) AS first_resp_sum_s,
       SUM(CASE WHEN rn = 1 AND ans_t IS NOT NULL THEN 1 ELSE 0 END) AS first_resp_n,
       SUM(CASE WHEN ans_t IS NOT NULL THEN ans_t - first_t ELSE 0 END) AS resp_sum_s,
       SUM(CASE WHEN ans_t IS NOT NULL THEN 1 ELSE 0 END) AS resp_n,
       MAX(CASE WHEN ans_t IS NOT NULL AND ans_t - first_t > 60 THEN 1 ELSE 0 END) AS slow,
       SUM(CASE WHEN first_t - day >= 28800 AND first_t - day < 82800 THEN 1 ELSE 0 END) AS rounds_3min,
       SUM(CASE WHEN first_t - day >= 28800 AND first_t - day < 82800
                 AND ans_t IS NOT NULL AND ans_t - first_t <= 180 THEN 1 ELSE 0 END) AS rounds_3min_ok,
       MAX(ans_t) AS last_ans
FROM (SELECT shop, agent, buyer, day, first_t, ans_t,
             ROW_NUMBER() OVER (PARTITION BY shop, agent, buyer, day ORDER BY first_t) AS rn
      FROM r_run) x
GROUP BY shop, agent, buyer, day;

-- 6. Per (shop, agent, buyer, day) message counts; every message counts on
--    its own business day. Groups with only S messages are not chats.
CREATE TABLE r_chat_msgs AS
SELECT shop, agent, buyer, day, MIN(dname) AS dname,
       SUM(CASE WHEN dir = 'B' THEN 1 ELSE 0 END) AS buyer_msgs,
       SUM(CASE WHEN dir = 'A' THEN 1 ELSE 0 END) AS agent_msgs,
       SUM(CASE WHEN dir = 'A' THEN length(text) ELSE 0 END) AS agent_chars,
       SUM(CASE WHEN dir = 'S' THEN 1 ELSE 0 END) AS auto_msgs,
       MIN(CASE WHEN dir <> 'S' THEN t END) AS start_t,
       MAX(CASE WHEN dir <> 'S' THEN t END) AS last_t
FROM r_msg
GROUP BY shop, agent, buyer, day;

-- 7. Chats with their span [start_t, end_t]: start = first B or A of the
--    day, end = the latest of the last B or A of the day and the answers to
--    the day's runs (an answer may fall after midnight). cid is an
--    arbitrary integer id used only as a join key below.
CREATE TABLE r_chat AS
SELECT ROW_NUMBER() OVER () AS cid, m.shop, m.agent, m.buyer, m.day, m.dname, m.buyer_msgs, m.agent_msgs, m.agent_chars,
       m.start_t,
       CASE WHEN r.last_ans IS NOT NULL AND r.last_ans > m.last_t THEN r.last_ans ELSE m.last_t END AS end_t,
       CASE WHEN m.buyer_msgs > 0 THEN 1 ELSE 0 END AS consult,
       COALESCE(r.received, 0) AS received,
       r.f,
       COALESCE(r.first_resp_sum_s, 0) AS first_resp_sum_s, COALESCE(r.first_resp_n, 0) AS first_resp_n,
       COALESCE(r.resp_sum_s, 0) AS resp_sum_s, COALESCE(r.resp_n, 0) AS resp_n,
       COALESCE(r.slow, 0) AS slow,
       COALESCE(r.rounds_3min, 0) AS rounds_3min, COALESCE(r.rounds_3min_ok, 0) AS rounds_3min_ok
FROM r_chat_msgs m
LEFT JOIN r_chat_runs r
  ON r.shop = m.shop AND r.agent = m.agent AND r.buyer = m.buyer AND r.day = m.day
WHERE m.start_t IS NOT NULL;

-- 8. Inquiries: received chats whose buyer had no order in the shop paid in
--    [f - 5 x 24 h, f) (售后 otherwise), whatever its status or refund.
--    Written as a join rather than NOT EXISTS so that SQLite can index it.
CREATE TABLE r_after AS
SELECT DISTINCT c.cid
FROM r_chat c
JOIN r_ord o ON o.shop = c.shop AND o.buyer = c.buyer
WHERE c.received = 1 AND o.paid_t >= c.f - 432000 AND o.paid_t < c.f;

CREATE TABLE r_inq AS
SELECT c.cid, c.shop, c.agent, c.buyer, c.day, c.f
FROM r_chat c
WHERE c.received = 1 AND c.cid NOT IN (SELECT cid FROM r_after);

-- 9. Crediting (section 6) of paid orders, for the creation event (kind 0)
--    and the payment event (kind 1). Candidates are received chats of
--    (shop, buyer): in-chat (start <= t <= end) first, else last touch (end
--    in [t - 48 h, t)); then the latest end, the smallest agent, the
--    earlier chat day.
CREATE TABLE r_credit AS
SELECT shop, order_id, kind, agent
FROM (SELECT e.shop, e.order_id, e.kind, c.agent,
             ROW_NUMBER() OVER (
                 PARTITION BY e.shop, e.order_id, e.kind
                 ORDER BY CASE WHEN c.end_t >= e.t THEN 0 ELSE 1 END, c.end_t DESC, c.agent, c.day) AS rk
      FROM (SELECT shop, order_id, buyer, 0 AS kind, created_t AS t FROM r_ord WHERE paid_t IS NOT NULL
            UNION ALL
            SELECT shop, order_id, buyer, 1 AS kind, paid_t AS t FROM r_ord WHERE paid_t IS NOT NULL) e
      JOIN r_chat c ON c.shop = e.shop AND c.buyer = e.buyer AND c.received = 1
      WHERE (c.start_t <= e.t AND e.t <= c.end_t)
         OR (c.end_t < e.t AND c.end_t >= e.t - 172800)) x
WHERE rk = 1;

-- 10. Paid orders with credit_create and the order_first sale agent
--     (credit_create, else credit_pay); the sale day is the payment day.
CREATE TABLE r_paid AS
SELECT o.shop, o.order_id, o.buyer, o.created_t, o.paid_t, o.paid_day, o.paid_dname,
       o.amount_fen, o.items,
       c0.agent AS create_agent,
       COALESCE(c0.agent, c1.agent) AS sale_agent
FROM r_ord o
LEFT JOIN r_credit c0 ON c0.shop = o.shop AND c0.order_id = o.order_id AND c0.kind = 0
LEFT JOIN r_credit c1 ON c1.shop = o.shop AND c1.order_id = o.order_id AND c1.kind = 1
WHERE o.paid_t IS NOT NULL;

-- 11. Conversion (section 7): an inquiry converts if the buyer has a paid
--     order in the shop whose credit_create is the chat's agent and that
--     was created in [f, start of D + 2). Next day: also paid before D + 2.
CREATE TABLE r_conv AS
SELECT i.cid,
       1 AS converted,
       MAX(CASE WHEN p.paid_t < i.day + 172800 THEN 1 ELSE 0 END) AS converted_next_day
FROM r_inq i
JOIN r_paid p ON p.shop = i.shop AND p.buyer = i.buyer AND p.create_agent = i.agent
WHERE p.created_t >= i.f AND p.created_t < i.day + 172800
GROUP BY i.cid;

-- 12. Max concurrency: sweep over the closed spans of the agent's chats of
--     the day (all chats); at equal instants starts come before ends.
CREATE TABLE r_conc AS
SELECT shop, agent, day, MAX(n) AS max_concurrent
FROM (SELECT shop, agent, day,
             SUM(delta) OVER (PARTITION BY shop, agent, day ORDER BY ev_t, kind
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n
      FROM (SELECT shop, agent, day, start_t AS ev_t, 0 AS kind, 1 AS delta FROM r_chat
            UNION ALL
            SELECT shop, agent, day, end_t AS ev_t, 1 AS kind, -1 AS delta FROM r_chat) ev) s
GROUP BY shop, agent, day;

-- 13. Per (shop, agent, day) aggregates.
CREATE TABLE r_chat_agg AS
SELECT c.shop, c.agent, c.day, MIN(c.dname) AS dname,
       SUM(c.consult) AS consults,
       SUM(c.received) AS received,
       SUM(CASE WHEN i.cid IS NOT NULL THEN 1 ELSE 0 END) AS inquiries,
       SUM(c.first_resp_sum_s) AS first_resp_sum_s, SUM(c.first_resp_n) AS first_resp_n,
       SUM(c.resp_sum_s) AS resp_sum_s, SUM(c.resp_n) AS resp_n,
       SUM(c.slow) AS slow_buyers,
       SUM(c.rounds_3min) AS rounds_3min, SUM(c.rounds_3min_ok) AS rounds_3min_ok,
       SUM(c.buyer_msgs) AS buyer_msgs, SUM(c.agent_msgs) AS agent_msgs,
       SUM(c.agent_chars) AS agent_chars,
       SUM(CASE WHEN c.received = 1 THEN c.end_t - c.start_t ELSE 0 END) AS duration_sum_s,
       SUM(COALESCE(v.converted, 0)) AS converted,
       SUM(COALESCE(v.converted_next_day, 0)) AS converted_next_day
FROM r_chat c
LEFT JOIN r_inq i ON i.cid = c.cid
LEFT JOIN r_conv v ON v.cid = c.cid
GROUP BY c.shop, c.agent, c.day;

CREATE TABLE r_auto AS
SELECT shop, agent, day, COUNT(*) AS auto_msgs
FROM r_msg WHERE dir = 'S'
GROUP BY shop, agent, day;

CREATE TABLE r_sales AS
SELECT shop, sale_agent AS agent, paid_day AS day, MIN(paid_dname) AS dname,
       SUM(amount_fen) AS sales_fen,
       COUNT(DISTINCT buyer) AS sales_buyers,
       COUNT(*) AS sales_orders,
       SUM(items) AS sales_items
FROM r_paid WHERE sale_agent IS NOT NULL
GROUP BY shop, sale_agent, paid_day;

-- 14. A row exists for every (shop, agent, day) with a chat or a credited
--     sale; auto_msgs are only reported on such rows.
CREATE TABLE kpi_rollup AS
SELECT k.shop AS shop, k.agent AS agent, k.dname AS day,
       COALESCE(a.consults, 0) AS consults,
       COALESCE(a.received, 0) AS received,
       COALESCE(a.consults, 0) - COALESCE(a.received, 0) AS unanswered,
       COALESCE(a.inquiries, 0) AS inquiries,
       COALESCE(a.first_resp_sum_s, 0) AS first_resp_sum_s,
       COALESCE(a.first_resp_n, 0) AS first_resp_n,
       COALESCE(a.resp_sum_s, 0) AS resp_sum_s,
       COALESCE(a.resp_n, 0) AS resp_n,
       COALESCE(a.slow_buyers, 0) AS slow_buyers,
       COALESCE(a.rounds_3min, 0) AS rounds_3min,
       COALESCE(a.rounds_3min_ok, 0) AS rounds_3min_ok,
       COALESCE(a.buyer_msgs, 0) AS buyer_msgs,
       COALESCE(a.agent_msgs, 0) AS agent_msgs,
       COALESCE(a.agent_chars, 0) AS agent_chars,
       COALESCE(a.duration_sum_s, 0) AS duration_sum_s,
       COALESCE(cc.max_concurrent, 0) AS max_concurrent,
       COALESCE(au.auto_msgs, 0) AS auto_msgs,
       COALESCE(a.converted, 0) AS converted,
       COALESCE(a.converted_next_day, 0) AS converted_next_day,
       COALESCE(s.sales_fen, 0) AS sales_fen,
       COALESCE(s.sales_buyers, 0) AS sales_buyers,
       COALESCE(s.sales_orders, 0) AS sales_orders,
       COALESCE(s.sales_items, 0) AS sales_items
FROM (SELECT shop, agent, day, dname FROM r_chat_agg
      UNION
      SELECT shop, agent, day, dname FROM r_sales) k
LEFT JOIN r_chat_agg a ON a.shop = k.shop AND a.agent = k.agent AND a.day = k.day
LEFT JOIN r_conc cc ON cc.shop = k.shop AND cc.agent = k.agent AND cc.day = k.day
LEFT JOIN r_auto au ON au.shop = k.shop AND au.agent = k.agent AND au.day = k.day
LEFT JOIN r_sales s ON s.shop = k.shop AND s.agent = k.agent AND s.day = k.day;

SELECT * FROM kpi_rollup ORDER BY shop, agent, day;
