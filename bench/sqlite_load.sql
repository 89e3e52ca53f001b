-- sqlite_load.sql - SQLite shim for rollup.sql: imports the canonical CSVs
-- of the current directory (messages.csv, orders.csv) and defines the
-- msg_src / ord_src views that rollup.sql reads. Run from the data
-- directory: sqlite3 DB < sqlite_load.sql (then rollup.sql).
.bail on
.import --csv messages.csv messages_csv
.import --csv orders.csv orders_csv
CREATE VIEW msg_src AS
SELECT shop, buyer, agent, dir, ts, CAST(strftime('%s', ts) AS INTEGER) AS t, text
FROM messages_csv;
CREATE VIEW ord_src AS
SELECT shop, order_id, buyer,
       created, CAST(strftime('%s', created) AS INTEGER) AS created_t,
       NULLIF(paid, '') AS paid, CAST(strftime('%s', NULLIF(paid, '')) AS INTEGER) AS paid_t,
       -- amounts have at most 2 decimals, so rounding amount*100 is exact
       CAST(ROUND(CAST(amount AS REAL) * 100) AS INTEGER) AS amount_fen,
       CAST(items AS INTEGER) AS items
FROM orders_csv;
