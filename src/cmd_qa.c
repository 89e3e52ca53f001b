/*
 * cmd_qa.c - `kefu qa`: quality inspection of every chat (客服质检,
 * docs/QUALITY.md). Subcommands: check (validate a rule file), run (score
 * every chat of a date range and store the hits), report (stored scores per
 * chat or per agent and day, manual reviews applied), hits (every hit with
 * its message), sample (the review sample), review (record a manual score),
 * scan (match a rule set over message files: the benchmark's entry point).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/loader.h"
#include "kefu/qa.h"
#include "kefu/store.h"
#include "kpi_session.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timing_on(void)
{
	const char *e = getenv("KEFU_TIMING");
	return e && e[0] == '1';
}

static void usage(FILE *f)
{
	fputs("Usage: kefu qa <subcommand> [options]\n\n"
	      "Quality inspection (客服质检): rules over every chat, scores, hits, review sample.\n\n"
	      "  kefu qa check RULES\n"
	      "      validate a rule file (YAML or JSON); every problem with file:line:column and key\n"
	      "  kefu qa run --rules RULES [--db DB] [--from D] [--to D] [--by chat|agent]\n"
	      "      score every chat of the range, store scores and hits, print the scores\n"
	      "  kefu qa report [--db DB] [--run N] [--by chat|agent] [--per P] [filters]\n"
	      "      stored scores of a run (default: the latest), manual scores applied;\n"
	      "      --by agent: mean chat score per agent and day (--per day|week|month|range)\n"
	      "  kefu qa hits [--db DB] [--run N] [--rule ID] [--severity S] [filters]\n"
	      "      every hit with its message, rule and matched text\n"
	      "  kefu qa sample --per-agent N [--seed S] [--db DB] [--run N] [filters]\n"
	      "      review sample per agent and day: critical hits, lowest scores, random\n"
	      "  kefu qa review CHAT --score N --reviewer R [--note TEXT] [--db DB] [--run N]\n"
	      "      record a manual score (0-100) overriding the automatic one in reports\n"
	      "  kefu qa scan --rules RULES [--engine multi|naive|reference] [--threads N] FILE...\n"
	      "      match a rule set over canonical message files, print counts and timing\n\n"
	      "Filters: --from YYYY-MM-DD --to YYYY-MM-DD --shop S --agent A\n"
	      "Output: --format table|csv|json, -o FILE (.csv .json .txt), --zh, --excel\n"
	      "Exit: 0 ok, 1 failure, 2 usage or invalid rules, 4 I/O, 5 store.\n",
	      f);
}

/* Options shared by the subcommands. */
typedef struct qa_opts {
	const char *db, *rules, *from, *to, *shop, *agent, *rule, *by, *format, *note, *reviewer;
	const char *engine;
	int per;
	int64_t run_id;
	int severity;
	int per_agent;
	uint64_t seed;
	int score, have_score;
	int threads;
	int zh, excel, quiet;
	char *outs[16];
	int nouts;
	const char *sets[64];
	int nsets;
	char **args;
	int nargs;
} qa_opts;

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	if (!s || !s[0])
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(const char *cmd, int argc, char **argv, qa_opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},        {"rules", required_argument, 0, 0},
		{"from", required_argument, 0, 0},      {"to", required_argument, 0, 0},
		{"shop", required_argument, 0, 0},      {"agent", required_argument, 0, 0},
		{"rule", required_argument, 0, 0},      {"severity", required_argument, 0, 0},
		{"by", required_argument, 0, 0},        {"format", required_argument, 0, 0},
		{"output", required_argument, 0, 'o'},  {"run", required_argument, 0, 0},
		{"per-agent", required_argument, 0, 0}, {"seed", required_argument, 0, 0},
		{"score", required_argument, 0, 0},     {"note", required_argument, 0, 0},
		{"reviewer", required_argument, 0, 0},  {"engine", required_argument, 0, 0},
		{"threads", required_argument, 0, 0},   {"set", required_argument, 0, 0},
		{"per", required_argument, 0, 0},
		{"zh", no_argument, 0, 0},              {"excel", no_argument, 0, 0},
		{"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	memset(o, 0, sizeof *o);
	o->format = "table";
	o->by = "chat";
	o->severity = -1;
	o->seed = 1;
	o->engine = "multi";
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'q') {
			o->quiet = 1;
			continue;
		}
		if (c == 'o') {
			if (o->nouts >= 16)
				return cli_usage_error(cmd, "too many -o options"), -1;
			o->outs[o->nouts++] = optarg;
			continue;
		}
		if (c != 0)
			return cli_usage_error(cmd, "invalid option"), -1;
		const char *n = longopts[idx].name;
		long v;
		if (!strcmp(n, "db"))
			o->db = optarg;
		else if (!strcmp(n, "rules"))
			o->rules = optarg;
		else if (!strcmp(n, "from"))
			o->from = optarg;
		else if (!strcmp(n, "to"))
			o->to = optarg;
		else if (!strcmp(n, "shop"))
			o->shop = optarg;
		else if (!strcmp(n, "agent"))
			o->agent = optarg;
		else if (!strcmp(n, "rule"))
			o->rule = optarg;
		else if (!strcmp(n, "note"))
			o->note = optarg;
		else if (!strcmp(n, "reviewer"))
			o->reviewer = optarg;
		else if (!strcmp(n, "zh"))
			o->zh = 1;
		else if (!strcmp(n, "excel"))
			o->excel = 1;
		else if (!strcmp(n, "set")) {
			if (o->nsets >= 64)
				return cli_usage_error(cmd, "too many --set options"), -1;
			o->sets[o->nsets++] = optarg;
		} else if (!strcmp(n, "severity")) {
			int s = -1;
			for (int i = 0; i < 4; i++)
				if (!strcmp(optarg, kefu_qa_severity_name((kefu_qa_severity)i)))
					s = i;
			if (s < 0)
				return cli_usage_error(cmd, "--severity: expected info, minor, major or critical"), -1;
			o->severity = s;
		} else if (!strcmp(n, "per")) {
			kefu_per p;
			if (kefu_per_parse(optarg, &p))
				return cli_usage_error(cmd, "--per: expected day, week, month or range"), -1;
			o->per = (int)p;
		} else if (!strcmp(n, "by")) {
			if (strcmp(optarg, "chat") && strcmp(optarg, "agent"))
				return cli_usage_error(cmd, "--by: expected chat or agent"), -1;
			o->by = optarg;
		} else if (!strcmp(n, "format")) {
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return cli_usage_error(cmd, "--format: expected table, csv or json"), -1;
			o->format = optarg;
		} else if (!strcmp(n, "engine")) {
			if (strcmp(optarg, "multi") && strcmp(optarg, "naive") && strcmp(optarg, "reference"))
				return cli_usage_error(cmd, "--engine: expected multi, naive or reference"), -1;
			o->engine = optarg;
		} else if (!strcmp(n, "run")) {
			if (parse_long(optarg, 1, 1L << 40, &v))
				return cli_usage_error(cmd, "--run: expected a run number"), -1;
			o->run_id = v;
		} else if (!strcmp(n, "per-agent")) {
			if (parse_long(optarg, 1, 100000, &v))
				return cli_usage_error(cmd, "--per-agent: expected a number from 1"), -1;
			o->per_agent = (int)v;
		} else if (!strcmp(n, "seed")) {
			char *end;
			unsigned long long s = strtoull(optarg, &end, 10);
			if (!optarg[0] || *end)
				return cli_usage_error(cmd, "--seed: expected a number"), -1;
			o->seed = s;
		} else if (!strcmp(n, "score")) {
			if (parse_long(optarg, 0, 100, &v))
				return cli_usage_error(cmd, "--score: expected 0 to 100"), -1;
			o->score = (int)v;
			o->have_score = 1;
		} else if (!strcmp(n, "threads")) {
			if (parse_long(optarg, 1, 256, &v))
				return cli_usage_error(cmd, "--threads: expected 1 to 256"), -1;
			o->threads = (int)v;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

static void print_problems(const kefu_qa_problems *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		const kefu_qa_problem *p = &pr->p[i];
		fprintf(stderr, "kefu: error: %s", p->file);
		if (p->line > 0)
			fprintf(stderr, ":%ld", p->line);
		if (p->line > 0 && p->col > 0)
			fprintf(stderr, ":%ld", p->col);
		fprintf(stderr, ": %s%s%s\n", p->key, p->key[0] ? ": " : "", p->msg);
	}
}

/* Loads rules, printing every problem. Exit code or 0. */
static int load_rules(const char *path, kefu_qa_rules **rs)
{
	kefu_qa_problems pr = {NULL, 0, 0};
	kefu_err err = KEFU_ERR_INIT;
	int rc = kefu_qa_rules_load(rs, path, &pr, &err);
	if (rc == KEFU_EPARSE) {
		print_problems(&pr);
		fprintf(stderr, "kefu: %s: %zu problem%s\n", path, pr.n, pr.n == 1 ? "" : "s");
	} else if (rc) {
		cli_print_err(&err);
	}
	kefu_qa_problems_clear(&pr);
	return rc == 0 ? 0 : rc == KEFU_EPARSE ? KEFU_EXIT_USAGE : cli_exit_for(rc);
}

static int build_matcher(const kefu_qa_rules *rs, kefu_qa_matcher **m)
{
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_qa_matcher_new(m, rs, &err)) {
		cli_print_err(&err);
		return KEFU_EXIT_USAGE;
	}
	return 0;
}

static int qa_check(int argc, char **argv)
{
	qa_opts o;
	int r = parse_opts("qa check", argc, argv, &o);
	if (r)
		return r > 0 ? KEFU_EXIT_OK : KEFU_EXIT_USAGE;
	const char *path = o.rules ? o.rules : o.nargs == 1 ? o.args[0] : NULL;
	if (!path || (o.rules && o.nargs))
		return cli_usage_error("qa check", "give one rule file");
	kefu_qa_rules *rs = NULL;
	kefu_qa_matcher *m = NULL;
	int rc = load_rules(path, &rs);
	if (!rc)
		rc = build_matcher(rs, &m);
	if (!rc) {
		kefu_qa_matcher_info info;
		kefu_qa_matcher_get_info(m, &info);
		printf("%s: %zu rules, ok\n", path, rs->n);
		for (size_t i = 0; i < rs->n; i++) {
			const kefu_qa_rule *ru = &rs->r[i];
			printf("  %-16s %-15s %-8s %3d points", ru->id, kefu_qa_kind_name(ru->kind),
			       kefu_qa_severity_name(ru->severity), ru->points);
			if (ru->kind == KEFU_QA_KEYWORDS)
				printf(", %zu words", ru->n_words);
			if (ru->n_except)
				printf(", %zu exceptions", ru->n_except);
			if (ru->kind == KEFU_QA_KEYWORDS || ru->kind == KEFU_QA_REGEX)
				printf(", side %s", kefu_qa_side_name(ru->side));
			printf("\n");
		}
		printf("matcher: %zu patterns, %zu in Vectorscan (%zu as prefilters confirmed by "
		       "PCRE2), %zu by PCRE2 alone; compiled in %.3f s\n",
		       info.patterns, info.hs_patterns, info.hs_prefilter, info.pcre_only,
		       info.compile_s);
	}
	kefu_qa_matcher_free(m);
	kefu_qa_rules_free(rs);
	return rc;
}

static int open_store(const qa_opts *o, kefu_store **st)
{
	kefu_err err = KEFU_ERR_INIT;
	char *path = o->db ? strdup(o->db) : cli_default_db();
	if (!path)
		return KEFU_EXIT_FAIL;
	int rc = kefu_store_open_ex(st, path, KEFU_STORE_NOCREATE, &err);
	free(path);
	if (rc) {
		cli_print_err(&err);
		return KEFU_EXIT_STORE;
	}
	return 0;
}

static int fill_filter(const char *cmd, const qa_opts *o, kefu_qa_filter *f)
{
	*f = (kefu_qa_filter)KEFU_QA_FILTER_INIT;
	f->run_id = o->run_id;
	f->shop = o->shop;
	f->agent = o->agent;
	f->rule = o->rule;
	f->min_severity = o->severity;
	f->per = o->per;
	if (o->from && kefu_day_parse(o->from, strlen(o->from), &f->from_day))
		return cli_usage_error(cmd, "--from: expected YYYY-MM-DD, got '%s'", o->from);
	if (o->to && kefu_day_parse(o->to, strlen(o->to), &f->to_day))
		return cli_usage_error(cmd, "--to: expected YYYY-MM-DD, got '%s'", o->to);
	return 0;
}

static int write_table(kefu_table *t, const qa_opts *o)
{
	kpi_term_columns = NULL;
	return kpi_write_outputs(t, (char **)o->outs, o->nouts, o->format, o->zh, o->excel);
}

static int err_exit(const kefu_err *err)
{
	cli_print_err(err);
	return err->code == KEFU_ENOTFOUND ? KEFU_EXIT_FAIL : cli_exit_for(err->code);
}

static int qa_run(int argc, char **argv)
{
	qa_opts o;
	int r = parse_opts("qa run", argc, argv, &o);
	if (r)
		return r > 0 ? KEFU_EXIT_OK : KEFU_EXIT_USAGE;
	if (!o.rules)
		return cli_usage_error("qa run", "--rules RULES is required");
	if (o.nargs)
		return cli_usage_error("qa run", "unexpected argument '%s'", o.args[0]);
	int timing = timing_on();
	double t0 = mono(), c0 = cpu_now();
	kefu_qa_rules *rs = NULL;
	kefu_qa_matcher *m = NULL;
	kefu_store *st = NULL;
	kefu_qa_msgs msgs;
	memset(&msgs, 0, sizeof msgs);
	kefu_qa_result *qr = NULL;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	kpi_session s;
	memset(&s, 0, sizeof s);
	int rc = load_rules(o.rules, &rs);
	if (rc)
		return rc;
	if ((rc = build_matcher(rs, &m)))
		goto out;
	double t_rules = mono(), c_rules = cpu_now();
	char *dbpath = o.db ? strdup(o.db) : cli_default_db();
	kpi_session_opts so;
	memset(&so, 0, sizeof so);
	so.db = dbpath;
	so.from = o.from;
	so.to = o.to;
	so.quiet = o.quiet;
	for (int i = 0; i < o.nsets; i++)
		so.sets[so.nsets++] = o.sets[i];
	rc = kpi_session_run(&s, &so);
	if (rc) {
		free(dbpath);
		goto out;
	}
	double t_kpi = mono(), c_kpi = cpu_now();
	rc = kefu_store_open_ex(&st, dbpath, KEFU_STORE_NOCREATE, &err);
	free(dbpath);
	if (rc) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto out;
	}
	/* texts of the range with a margin for time zones, day_split and
	 * max_wait (a run's answer may come the next calendar day) */
	int64_t from_ts = s.ropts.from_day == INT64_MIN ? INT64_MIN
							: (s.ropts.from_day - 3) * 86400;
	int64_t to_ts = s.ropts.to_day == INT64_MAX ? INT64_MAX : (s.ropts.to_day + 4) * 86400;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = o.threads ? o.threads : cpus > 0 ? (int)cpus : 1;
	if ((rc = kefu_qa_store_load_msgs(st, s.ds, from_ts, to_ts, threads, &msgs, &err))) {
		rc = err_exit(&err);
		goto out;
	}
	double t_load = mono(), c_load = cpu_now();
	kefu_qa_opts qo = KEFU_QA_OPTS_INIT;
	qo.shop_settings = s.vs;
	qo.n_shop_settings = s.nvs;
	qo.from_day = s.ropts.from_day;
	qo.to_day = s.ropts.to_day;
	qo.threads = threads;
	if ((rc = kefu_qa_inspect(&qr, s.ds, s.res, &msgs, rs, m, &qo, &err))) {
		rc = err_exit(&err);
		goto out;
	}
	double t_inspect = mono(), c_inspect = cpu_now();
	int64_t run_id = 0;
	if ((rc = kefu_qa_store_save(st, s.ds, s.res, &msgs, rs, qr, s.ropts.from_day,
				     s.ropts.to_day, 0, &run_id, &err))) {
		rc = err_exit(&err);
		goto out;
	}
	double t_save = mono(), c_save = cpu_now();
	kefu_qa_filter f;
	if ((rc = fill_filter("qa run", &o, &f)))
		goto out;
	f.run_id = run_id;
	rc = !strcmp(o.by, "agent")
		     ? kefu_qa_report_agents(&t, st, &f, &err)
		     : kefu_qa_report_result(&t, st, s.ds, s.res, rs, qr, &f, &err);
	if (rc) {
		rc = err_exit(&err);
		goto out;
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%lld", (long long)run_id);
	kefu_table_add_meta(t, "qa_run", buf);
	kefu_table_add_meta(t, "rules", o.rules);
	if (!o.quiet)
		fprintf(stderr, "kefu: qa run %lld: %zu chats, %zu messages scanned, %zu hits\n",
			(long long)run_id, qr->n_chats, qr->msgs_scanned, qr->n_hits);
	if (timing) {
		kefu_qa_matcher_info info;
		kefu_qa_matcher_get_info(m, &info);
		fprintf(stderr,
			"kefu: timing: wall/cpu s: rules+compile %.3f/%.3f (compile %.3f), kpi "
			"%.3f/%.3f, texts %.3f/%.3f (%zu rows), inspect %.3f/%.3f (text pass %.3f wall, "
			"%zu msgs, %zu bytes), store %.3f/%.3f\n",
			t_rules - t0, c_rules - c0, info.compile_s, t_kpi - t_rules, c_kpi - c_rules,
			t_load - t_kpi, c_load - c_kpi, msgs.n, t_inspect - t_load, c_inspect - c_load,
			qr->scan_s, qr->msgs_scanned, qr->bytes_scanned, t_save - t_inspect,
			c_save - c_inspect);
	}
	rc = write_table(t, &o);
out:
	kefu_table_free(t);
	kefu_qa_result_free(qr);
	kefu_qa_msgs_clear(&msgs);
	kefu_store_close(st);
	kpi_session_free(&s);
	kefu_qa_matcher_free(m);
	kefu_qa_rules_free(rs);
	return rc;
}

typedef int (*report_fn)(kefu_table **, kefu_store *, const qa_opts *, const kefu_qa_filter *,
			 kefu_err *);

static int do_report(kefu_table **t, kefu_store *st, const qa_opts *o, const kefu_qa_filter *f,
		     kefu_err *err)
{
	return !strcmp(o->by, "agent") ? kefu_qa_report_agents(t, st, f, err)
				       : kefu_qa_report_chats(t, st, f, err);
}

static int do_hits(kefu_table **t, kefu_store *st, const qa_opts *o, const kefu_qa_filter *f,
		   kefu_err *err)
{
	(void)o;
	return kefu_qa_report_hits(t, st, f, err);
}

static int do_sample(kefu_table **t, kefu_store *st, const qa_opts *o, const kefu_qa_filter *f,
		     kefu_err *err)
{
	return kefu_qa_sample(t, st, f, o->per_agent, o->seed, err);
}

static int qa_stored(const char *cmd, report_fn fn, int argc, char **argv)
{
	qa_opts o;
	int r = parse_opts(cmd, argc, argv, &o);
	if (r)
		return r > 0 ? KEFU_EXIT_OK : KEFU_EXIT_USAGE;
	if (o.nargs)
		return cli_usage_error(cmd, "unexpected argument '%s'", o.args[0]);
	if (fn == do_sample && !o.per_agent)
		return cli_usage_error(cmd, "--per-agent N is required");
	kefu_qa_filter f;
	if ((r = fill_filter(cmd, &o, &f)))
		return r;
	kefu_store *st = NULL;
	if ((r = open_store(&o, &st)))
		return r;
	kefu_table *t = NULL;
	kefu_err err = KEFU_ERR_INIT;
	if (fn(&t, st, &o, &f, &err)) {
		kefu_store_close(st);
		return err_exit(&err);
	}
	if (fn == do_sample) {
		char buf[32];
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)o.seed);
		kefu_table_add_meta(t, "seed", buf);
	}
	r = write_table(t, &o);
	kefu_table_free(t);
	kefu_store_close(st);
	return r;
}

static int qa_review(int argc, char **argv)
{
	qa_opts o;
	int r = parse_opts("qa review", argc, argv, &o);
	if (r)
		return r > 0 ? KEFU_EXIT_OK : KEFU_EXIT_USAGE;
	if (o.nargs != 1)
		return cli_usage_error("qa review", "give one CHAT (the chat column of the reports)");
	if (!o.have_score)
		return cli_usage_error("qa review", "--score N is required");
	if (!o.reviewer || !o.reviewer[0])
		return cli_usage_error("qa review", "--reviewer R is required");
	kefu_store *st = NULL;
	if ((r = open_store(&o, &st)))
		return r;
	kefu_err err = KEFU_ERR_INIT;
	if (kefu_qa_review(st, o.run_id, o.args[0], o.score, o.note, o.reviewer, 0, &err)) {
		kefu_store_close(st);
		return err_exit(&err);
	}
	kefu_store_close(st);
	if (!o.quiet)
		fprintf(stderr, "kefu: chat %s: manual score %d recorded (reviewer %s)\n", o.args[0],
			o.score, o.reviewer);
	return 0;
}

/* ---------------------------------------------------------------- scan */

typedef struct scan_ctx {
	kefu_qa_msgs *msgs;
} scan_ctx;

static int scan_row(void *ctx, const kefu_record *rec, const char *file, long line, kefu_err *err)
{
	(void)file;
	(void)line;
	scan_ctx *sc = ctx;
	if (rec->kind != KEFU_KIND_MESSAGES)
		return 0;
	const kefu_message_rec *m = &rec->u.msg;
	if (kefu_qa_msgs_add(sc->msgs, 0, 0, 0, (int)m->dir, m->ts, 0, m->text.p, m->text.n))
		return kefu_err_set(err, KEFU_ENOMEM, "out of memory");
	return 0;
}

static int scan_reject(void *ctx, const char *file, long line, long col, const char *column,
		       const char *reason, kefu_str raw)
{
	(void)ctx;
	(void)raw;
	fprintf(stderr, "kefu: error: %s:%ld:%ld: %s%s%s\n", file, line, col, column,
		column[0] ? ": " : "", reason);
	return 0;
}

/* The benchmark's baseline: one pattern at a time. Keywords and exceptions
 * with memmem over an ASCII-lowercased copy of the message (every
 * occurrence), regexes with PCRE2 JIT one after the other. */
typedef struct naive {
	char ***words; /* per rule, lowercased */
	char ***exc;
	pcre2_code **re;
	pcre2_match_data *md;
	char *low;
	size_t low_cap;
} naive;

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static size_t naive_scan(naive *nv, const kefu_qa_rules *rs, int side, const char *t, size_t n)
{
	if (n + 1 > nv->low_cap) {
		nv->low_cap = (n + 1) * 2;
		nv->low = realloc(nv->low, nv->low_cap);
	}
	for (size_t i = 0; i < n; i++)
		nv->low[i] = t[i] >= 'A' && t[i] <= 'Z' ? (char)(t[i] - 'A' + 'a') : t[i];
	nv->low[n] = '\0';
	size_t hits = 0;
	for (size_t r = 0; r < rs->n; r++) {
		const kefu_qa_rule *ru = &rs->r[r];
		if ((int)ru->side != side)
			continue;
		if (ru->kind == KEFU_QA_KEYWORDS) {
			for (size_t w = 0; w < ru->n_words; w++) {
				const char *kw = nv->words[r][w];
				size_t kn = strlen(kw);
				const char *p = nv->low;
				while ((p = strstr(p, kw))) {
					size_t s = (size_t)(p - nv->low), e = s + kn, cancelled = 0;
					for (size_t x = 0; x < ru->n_except && !cancelled; x++) {
						const char *q = nv->low;
						size_t xn = strlen(nv->exc[r][x]);
						while ((q = strstr(q, nv->exc[r][x]))) {
							size_t qs = (size_t)(q - nv->low);
							if (qs <= s && qs + xn >= e) {
								cancelled = 1;
								break;
							}
							q++;
						}
					}
					hits += !cancelled;
					p++;
				}
			}
		} else if (ru->kind == KEFU_QA_REGEX && nv->re[r]) {
			PCRE2_SIZE start = 0;
			while (start < n && pcre2_match(nv->re[r], (PCRE2_SPTR)t, n, start, 0, nv->md,
							NULL) >= 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(nv->md);
				hits++;
				start = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
			}
		}
	}
	return hits;
}

static int naive_init(naive *nv, const kefu_qa_rules *rs)
{
	memset(nv, 0, sizeof *nv);
	nv->words = calloc(rs->n + 1, sizeof *nv->words);
	nv->exc = calloc(rs->n + 1, sizeof *nv->exc);
	nv->re = calloc(rs->n + 1, sizeof *nv->re);
	nv->md = pcre2_match_data_create(32, NULL);
	if (!nv->words || !nv->exc || !nv->re || !nv->md)
		return -1;
	for (size_t r = 0; r < rs->n; r++) {
		const kefu_qa_rule *ru = &rs->r[r];
		nv->words[r] = calloc(ru->n_words + 1, sizeof(char *));
		nv->exc[r] = calloc(ru->n_except + 1, sizeof(char *));
		if (!nv->words[r] || !nv->exc[r])
			return -1;
		for (size_t w = 0; w < ru->n_words; w++)
			nv->words[r][w] = lower_dup(ru->words[w]);
		for (size_t w = 0; w < ru->n_except; w++)
			nv->exc[r][w] = lower_dup(ru->except[w]);
		if (ru->kind == KEFU_QA_REGEX) {
			int ec;
			PCRE2_SIZE eo;
			nv->re[r] = pcre2_compile((PCRE2_SPTR)ru->pattern, PCRE2_ZERO_TERMINATED,
						  PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
			if (nv->re[r])
				pcre2_jit_compile(nv->re[r], PCRE2_JIT_COMPLETE);
		}
	}
	return 0;
}

static void naive_free(naive *nv, const kefu_qa_rules *rs)
{
	for (size_t r = 0; rs && r < rs->n; r++) {
		for (size_t w = 0; nv->words && nv->words[r] && w < rs->r[r].n_words; w++)
			free(nv->words[r][w]);
		for (size_t w = 0; nv->exc && nv->exc[r] && w < rs->r[r].n_except; w++)
			free(nv->exc[r][w]);
		if (nv->words)
			free(nv->words[r]);
		if (nv->exc)
			free(nv->exc[r]);
		if (nv->re)
			pcre2_code_free(nv->re[r]);
	}
	free(nv->words);
	free(nv->exc);
	free(nv->re);
	pcre2_match_data_free(nv->md);
	free(nv->low);
}

static int qa_scan(int argc, char **argv)
{
	qa_opts o;
	int r = parse_opts("qa scan", argc, argv, &o);
	if (r)
		return r > 0 ? KEFU_EXIT_OK : KEFU_EXIT_USAGE;
	if (!o.rules || !o.nargs)
		return cli_usage_error("qa scan", "--rules RULES and message FILEs are required");
	kefu_qa_rules *rs = NULL;
	kefu_qa_matcher *m = NULL;
	kefu_qa_scratch *sc = NULL;
	kefu_qa_msgs msgs;
	memset(&msgs, 0, sizeof msgs);
	kefu_err err = KEFU_ERR_INIT;
	int rc = load_rules(o.rules, &rs);
	if (rc)
		return rc;
	double t0 = mono();
	if (!strcmp(o.engine, "multi") && (rc = build_matcher(rs, &m)))
		goto out;
	double t_compile = mono() - t0;
	kefu_settings base;
	if (kefu_settings_init(&base, &err)) {
		rc = err_exit(&err);
		goto out;
	}
	scan_ctx ctx = {&msgs};
	for (int i = 0; i < o.nargs; i++) {
		kefu_load_opts lo = KEFU_LOAD_OPTS_INIT;
		lo.kind = KEFU_KIND_MESSAGES;
		lo.default_tz = base.tz;
		if (kefu_load_file(o.args[i], &lo, scan_row, scan_reject, &ctx, NULL, &err)) {
			kefu_settings_clear(&base);
			rc = err_exit(&err);
			goto out;
		}
	}
	kefu_settings_clear(&base);
	size_t hits = 0, scanned = 0, bytes = 0;
	double t1 = mono();
	if (!strcmp(o.engine, "multi")) {
		if (kefu_qa_scratch_new(&sc, m, &err)) {
			rc = err_exit(&err);
			goto out;
		}
		for (size_t i = 0; i < msgs.n; i++) {
			if (msgs.dir[i] == KEFU_DIR_S)
				continue;
			const kefu_qa_match *h;
			size_t nh;
			if (kefu_qa_scan(sc, msgs.dir[i] == KEFU_DIR_B ? KEFU_QA_BUYER : KEFU_QA_AGENT,
					 msgs.buf + msgs.off[i], msgs.len[i], &h, &nh, &err)) {
				rc = err_exit(&err);
				goto out;
			}
			hits += nh;
			scanned++;
			bytes += msgs.len[i];
		}
	} else if (!strcmp(o.engine, "naive")) {
		naive nv;
		if (naive_init(&nv, rs)) {
			naive_free(&nv, rs);
			cli_errorf("out of memory");
			rc = KEFU_EXIT_FAIL;
			goto out;
		}
		for (size_t i = 0; i < msgs.n; i++) {
			if (msgs.dir[i] == KEFU_DIR_S)
				continue;
			hits += naive_scan(&nv, rs, msgs.dir[i] == KEFU_DIR_B ? KEFU_QA_BUYER : KEFU_QA_AGENT,
					   msgs.buf + msgs.off[i], msgs.len[i]);
			scanned++;
			bytes += msgs.len[i];
		}
		naive_free(&nv, rs);
	} else {
		kefu_qa_match *h = NULL;
		size_t nh = 0, cap = 0;
		kefu_qa_reference *ref = NULL;
		if (kefu_qa_reference_new(&ref, rs, &err)) {
			rc = err_exit(&err);
			goto out;
		}
		for (size_t i = 0; i < msgs.n; i++) {
			if (msgs.dir[i] == KEFU_DIR_S)
				continue;
			if (kefu_qa_scan_reference(ref, msgs.dir[i] == KEFU_DIR_B ? KEFU_QA_BUYER
										  : KEFU_QA_AGENT,
						   msgs.buf + msgs.off[i], msgs.len[i], &h, &nh, &cap,
						   &err)) {
				kefu_free(h);
				kefu_qa_reference_free(ref);
				rc = err_exit(&err);
				goto out;
			}
			hits += nh;
			scanned++;
			bytes += msgs.len[i];
		}
		kefu_free(h);
		kefu_qa_reference_free(ref);
	}
	double dt = mono() - t1;
	printf("engine %s: %zu messages, %zu bytes, %zu hits, compile %.3f s, scan %.3f s "
	       "(%.1f MB/s, %.0f messages/s)\n",
	       o.engine, scanned, bytes, hits, t_compile, dt, dt > 0 ? (double)bytes / dt / 1e6 : 0,
	       dt > 0 ? (double)scanned / dt : 0);
out:
	kefu_qa_scratch_free(sc);
	kefu_qa_msgs_clear(&msgs);
	kefu_qa_matcher_free(m);
	kefu_qa_rules_free(rs);
	return rc;
}

int cmd_qa(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return KEFU_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout);
		return KEFU_EXIT_OK;
	}
	argc--;
	argv++;
	if (!strcmp(sub, "check"))
		return qa_check(argc, argv);
	if (!strcmp(sub, "run"))
		return qa_run(argc, argv);
	if (!strcmp(sub, "report"))
		return qa_stored("qa report", do_report, argc, argv);
	if (!strcmp(sub, "hits"))
		return qa_stored("qa hits", do_hits, argc, argv);
	if (!strcmp(sub, "sample"))
		return qa_stored("qa sample", do_sample, argc, argv);
	if (!strcmp(sub, "review"))
		return qa_review(argc, argv);
	if (!strcmp(sub, "scan"))
		return qa_scan(argc, argv);
	fprintf(stderr, "kefu: qa: unknown subcommand '%s'. See 'kefu qa --help'.\n", sub);
	return KEFU_EXIT_USAGE;
}
