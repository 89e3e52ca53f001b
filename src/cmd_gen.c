/*
 * cmd_gen.c - `kefu gen`: writes a deterministic, realistic synthetic data
 * set (messages, orders, ratings, evals, agents as canonical CSV) into a
 * directory, for demos, tests and benchmarks. The model lives in lib/gen.c;
 * this file parses options and owns the files: each is written under a
 * temporary name and renamed into place only when everything succeeded.
 */
#include "cli_util.h"
#include "commands.h"
#include "kefu/gen.h"
#include "kefu/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void help(FILE *out)
{
	fprintf(out,
		"Usage: kefu gen --out DIR --messages N [options]\n\n"
		"Writes deterministic synthetic demo/benchmark data as canonical CSV:\n"
		"DIR/messages.csv, orders.csv, ratings.csv, evals.csv, agents.csv.\n"
		"The same options always produce byte-identical files.\n\n"
		"Options:\n"
		"  -o, --out DIR          output directory (created if missing)\n"
		"  -n, --messages N       exact number of message rows (e.g. 1000000)\n"
		"  -s, --seed S           random seed (default 1)\n"
		"      --shops K          number of shops (default: 1 per 200k messages, min 3)\n"
		"      --days D           number of days (default 30)\n"
		"      --start YYYY-MM-DD first day (default 2024-10-20)\n"
		"  -v, --verbose          print a summary (rows, bytes, MB/s) to stderr\n"
		"  -h, --help             show this help\n");
}

/* Parses a non-negative decimal integer with an optional k/M/G suffix
 * (powers of 1000). Returns 0 or -1. */
static int parse_count(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return -1;
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -1;
	uint64_t mul = 1;
	if (*p == 'k' || *p == 'K')
		mul = 1000, p++;
	else if (*p == 'm' || *p == 'M')
		mul = 1000000, p++;
	else if (*p == 'g' || *p == 'G')
		mul = 1000000000, p++;
	if (*p)
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof path)
		return -1;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

typedef struct sink {
	int fd[KEFU_GEN_FILE_COUNT];
	char tmp[KEFU_GEN_FILE_COUNT][4200];
	char final[KEFU_GEN_FILE_COUNT][4200];
	int err_errno;
	int err_file;
} sink;

static int sink_write(void *ctx, kefu_gen_file f, const char *p, size_t n)
{
	sink *s = ctx;
	while (n) {
		ssize_t w = write(s->fd[f], p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			s->err_errno = errno;
			s->err_file = (int)f;
			return KEFU_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_gen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, 'o'},
		{"messages", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"shops", required_argument, NULL, 'K'},
		{"days", required_argument, NULL, 'D'},
		{"start", required_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	kefu_gen_opts o = KEFU_GEN_OPTS_INIT;
	const char *out = NULL;
	int have_n = 0, verbose = 0;
	uint64_t v;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:n:s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (parse_count(optarg, &v) || v == 0 || v > ((uint64_t)1 << 40))
				return cli_usage_error("gen", "--messages: expected a count 1..2^40, got '%s'",
						       optarg);
			o.messages = v;
			have_n = 1;
			break;
		case 's':
			if (parse_count(optarg, &v))
				return cli_usage_error("gen", "--seed: expected a non-negative integer, got '%s'",
						       optarg);
			o.seed = v;
			break;
		case 'K':
			if (parse_count(optarg, &v) || v == 0 || v > 100000)
				return cli_usage_error("gen", "--shops: expected 1..100000, got '%s'", optarg);
			o.shops = (uint32_t)v;
			break;
		case 'D':
			if (parse_count(optarg, &v) || v == 0 || v > 3660)
				return cli_usage_error("gen", "--days: expected 1..3660, got '%s'", optarg);
			o.days = (uint32_t)v;
			break;
		case 'S': {
			int64_t day;
			if (strlen(optarg) != 10 || kefu_day_parse(optarg, 10, &day) || day < 0)
				return cli_usage_error("gen", "--start: expected YYYY-MM-DD, got '%s'", optarg);
			o.start_day = day;
			break;
		}
		case 'v':
			verbose = 1;
			break;
		case 'h':
			help(stdout);
			return KEFU_EXIT_OK;
		case ':':
			return cli_usage_error("gen", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("gen", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("gen", "unexpected argument '%s'", argv[optind]);
	if (!out)
		return cli_usage_error("gen", "--out DIR is required");
	if (!have_n)
		return cli_usage_error("gen", "--messages N is required");

	if (mkdir_p(out) != 0) {
		cli_errorf("%s: cannot create directory: %s", out, strerror(errno));
		return KEFU_EXIT_IO;
	}
	sink s;
	memset(&s, 0, sizeof s);
	int f, rc = KEFU_EXIT_OK;
	for (f = 0; f < KEFU_GEN_FILE_COUNT; f++)
		s.fd[f] = -1;
	for (f = 0; f < KEFU_GEN_FILE_COUNT; f++) {
		const char *name = kefu_gen_file_name((kefu_gen_file)f);
		snprintf(s.final[f], sizeof s.final[f], "%s/%s", out, name);
		snprintf(s.tmp[f], sizeof s.tmp[f], "%s/.%s.tmp%ld", out, name, (long)getpid());
		s.fd[f] = open(s.tmp[f], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (s.fd[f] < 0) {
			cli_errorf("%s: %s", s.tmp[f], strerror(errno));
			rc = KEFU_EXIT_IO;
			goto cleanup;
		}
	}

	double t0 = now_s();
	kefu_err err = KEFU_ERR_INIT;
	kefu_gen_stats st;
	int lrc = kefu_gen_run(&o, sink_write, &s, &st, &err);
	if (lrc) {
		if (lrc == KEFU_EIO && s.err_errno)
			cli_errorf("%s: write failed: %s", s.tmp[s.err_file], strerror(s.err_errno));
		else
			cli_print_err(&err);
		rc = lrc == KEFU_EIO ? KEFU_EXIT_IO : cli_exit_for(lrc);
		goto cleanup;
	}
	for (f = 0; f < KEFU_GEN_FILE_COUNT; f++) {
		int fd = s.fd[f];
		s.fd[f] = -1;
		if (close(fd) != 0) {
			cli_errorf("%s: close failed: %s", s.tmp[f], strerror(errno));
			rc = KEFU_EXIT_IO;
			goto cleanup;
		}
	}
	for (f = 0; f < KEFU_GEN_FILE_COUNT; f++) {
		if (rename(s.tmp[f], s.final[f]) != 0) {
			cli_errorf("%s: rename failed: %s", s.final[f], strerror(errno));
			rc = KEFU_EXIT_IO;
			goto cleanup;
		}
		s.tmp[f][0] = '\0';
	}
	if (verbose) {
		double dt = now_s() - t0;
		uint64_t bytes = 0;
		for (f = 0; f < KEFU_GEN_FILE_COUNT; f++)
			bytes += st.bytes[f];
		fprintf(stderr,
			"kefu: gen: %" PRIu64 " messages, %" PRIu64 " orders, %" PRIu64
			" ratings, %" PRIu64 " evals, %" PRIu64 " agents; %.1f MB in %.2f s (%.0f MB/s)\n",
			st.rows[KEFU_GEN_MESSAGES], st.rows[KEFU_GEN_ORDERS],
			st.rows[KEFU_GEN_RATINGS], st.rows[KEFU_GEN_EVALS], st.rows[KEFU_GEN_AGENTS],
			(double)bytes / 1e6, dt, dt > 0 ? (double)bytes / 1e6 / dt : 0.0);
	}

cleanup:
	for (f = 0; f < KEFU_GEN_FILE_COUNT; f++) {
		if (s.fd[f] >= 0)
			close(s.fd[f]);
		if (rc != KEFU_EXIT_OK && s.tmp[f][0])
			unlink(s.tmp[f]);
	}
	return rc;
}
