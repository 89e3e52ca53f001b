// duckdb_run.mjs - runs bench/rollup.sql on DuckDB (through @duckdb/node-api)
// against the canonical CSVs of a data directory, end to end: read_csv, the
// rollup, and the sorted result written as CSV (LF line ends, RFC 4180
// quoting only where needed).
//
// Usage:
//   node duckdb_run.mjs --data DIR [--out FILE|-] [--db FILE] [--threads N]
//   node duckdb_run.mjs --data DIR --import-only   # CREATE TABLE AS read_csv of messages.csv
// Timings go to stderr as "duckdb: <what> <seconds> s".
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { data: '.', out: '-', db: ':memory:', threads: null, importOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const need = () => {
      if (i + 1 >= argv.length) usage(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--data') a.data = need();
    else if (k === '--out') a.out = need();
    else if (k === '--db') a.db = need();
    else if (k === '--threads') a.threads = need();
    else if (k === '--import-only') a.importOnly = true;
    else if (k === '-h' || k === '--help') usage(null);
    else usage(`unknown argument '${k}'`);
  }
  return a;
}

function usage(msg) {
  const text =
    'Usage: node duckdb_run.mjs --data DIR [--out FILE|-] [--db FILE] [--threads N] [--import-only]\n';
  if (msg) {
    process.stderr.write(`duckdb_run: ${msg}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const outPath = args.out === '-' ? null : resolve(args.out);
  process.chdir(args.data);
  const opts = {};
  if (args.threads) opts.threads = String(args.threads);
  const instance = await DuckDBInstance.create(args.db, opts);
  const conn = await instance.connect();
  // Intermediate tables need no row order (the final SELECT has ORDER BY).
  await conn.run('SET preserve_insertion_order = false');
  const t0 = process.hrtime.bigint();
  const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;

  if (args.importOnly) {
    const r = await conn.runAndReadAll(
      "CREATE TABLE messages AS SELECT * FROM read_csv('messages.csv', header = true, " +
        "all_varchar = true, quote = '\"', escape = '\"', delim = ','); " +
        'SELECT count(*) FROM messages;'
    );
    const n = r.getRows()[0][0];
    process.stderr.write(`duckdb: import ${secs().toFixed(3)} s (${n} rows)\n`);
    process.stdout.write(`${n}\n`);
    conn.closeSync();
    instance.closeSync();
    return;
  }

  const load = readFileSync(join(here, 'duckdb_load.sql'), 'utf8');
  const rollup = readFileSync(join(here, 'rollup.sql'), 'utf8');
  const reader = await conn.runAndReadAll(load + '\n' + rollup);
  const cols = reader.columnNames();
  const rows = reader.getRows();
  const lines = [cols.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  const text = lines.join('\n') + '\n';
  if (outPath) writeFileSync(outPath, text);
  else process.stdout.write(text);
  process.stderr.write(`duckdb: rollup ${secs().toFixed(3)} s (${rows.length} rows)\n`);
  conn.closeSync();
  instance.closeSync();
}

main().catch((e) => {
  process.stderr.write(`duckdb_run: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
