-- duckdb_load.sql - DuckDB shim for rollup.sql: reads the canonical CSVs of
-- the current directory with read_csv (all columns as text, RFC 4180
-- quoting) and defines the msg_src / ord_src views that rollup.sql reads.
CREATE VIEW msg_src AS
SELECT shop, buyer, agent, dir, ts,
       CAST(epoch(CAST(ts AS TIMESTAMP)) AS BIGINT) AS t,
       text
FROM read_csv('messages.csv', header = true, all_varchar = true, quote = '"', escape = '"',
              delim = ',', auto_detect = false,
              columns = {'shop': 'VARCHAR', 'buyer': 'VARCHAR', 'agent': 'VARCHAR',
                         'dir': 'VARCHAR', 'ts': 'VARCHAR', 'text': 'VARCHAR'});
CREATE VIEW ord_src AS
SELECT shop, order_id, buyer,
       created, CAST(epoch(CAST(created AS TIMESTAMP)) AS BIGINT) AS created_t,
       NULLIF(paid, '') AS paid,
       CAST(epoch(CAST(NULLIF(paid, '') AS TIMESTAMP)) AS BIGINT) AS paid_t,
       CAST(CAST(amount AS DECIMAL(18, 2)) * 100 AS BIGINT) AS amount_fen,
       CAST(items AS BIGINT) AS items
FROM read_csv('orders.csv', header = true, all_varchar = true, quote = '"', escape = '"',
              delim = ',');
