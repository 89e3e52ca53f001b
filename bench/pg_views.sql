-- pg_views.sql - PostgreSQL shim for rollup.sql over the tables that
-- `kefu push` writes (docs/SCALE.md): defines the msg_src / ord_src views
-- that rollup.sql reads, in local wall-clock time of each shop's zone
-- (the schema's messages_local / orders_local views). Run in a scratch
-- schema first on the search_path, with the pushed schema after it:
--   CREATE SCHEMA r; SET search_path TO r, kefu;  \i pg_views.sql  \i rollup.sql
CREATE VIEW msg_src AS
SELECT shop, buyer, agent, dir::text AS dir, ts_text AS ts, t, text
FROM messages_local;
CREATE VIEW ord_src AS
SELECT shop, order_id, buyer, created_text AS created, created_t,
       paid_text AS paid, paid_t, amount_fen, items
FROM orders_local;
