/*
 * serve.c - `kefu serve`: the HTTP side of the dashboard server on
 * libmicrohttpd. Loopback by default; TLS with --cert/--key; strict HTTP
 * parsing; bodies over --max-body answered 413 before they are buffered
 * (at the first call when Content-Length says so, else discarded while they
 * arrive); headers over the connection memory answered 431 by MHD; `..` and
 * `%2e%2e` paths refused; a token bucket per client address (429); the same
 * security headers on every answer (a Content-Security-Policy that allows
 * only the server's own scripts and styles). Static files come from the
 * binary (assets.h), never from the file system. /api/v1/ goes to
 * serve_api.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "kefu/assets.h"
#include "serve.h"

#define SESSION_COOKIE "kefu_session"

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
			  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* ---------------------------------------------------------- rate limit */

#define RL_SLOTS 4096

typedef struct rl_slot {
	unsigned char addr[16];
	int used;
	double tokens, last;
} rl_slot;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes `cost` tokens from the client's bucket; 0 when allowed, else the
 * seconds to wait. Direct-mapped table: a colliding address starts with a
 * full bucket (a few more requests, never a lock-out of someone else). */
int serve_rate_take(serve_ctx *c, struct MHD_Connection *con, double cost)
{
	if (c->rate <= 0)
		return 0;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char key[16] = {0};
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		else if (sa->sa_family == AF_INET6)
			memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	double t = now_s();
	int wait = 0;
	pthread_mutex_lock(&c->rl_mu);
	rl_slot *s = &c->rl[h % RL_SLOTS];
	if (!s->used || memcmp(s->addr, key, 16)) {
		memcpy(s->addr, key, 16);
		s->used = 1;
		s->tokens = c->burst;
		s->last = t;
	}
	s->tokens += (t - s->last) * c->rate;
	if (s->tokens > c->burst)
		s->tokens = c->burst;
	s->last = t;
	if (s->tokens >= cost)
		s->tokens -= cost;
	else
		wait = (int)((cost - s->tokens) / c->rate) + 1;
	pthread_mutex_unlock(&c->rl_mu);
	return wait;
}

/* ------------------------------------------------------------ requests */

typedef struct conn_req {
	int started, too_big, bad_path;
	char *body;
	size_t len, cap;
	struct timespec t0;
} conn_req;

/* Called by MHD with the raw request target before any decoding. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	(void)cls;
	(void)con;
	conn_req *rq = calloc(1, sizeof *rq);
	if (!rq)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	if (uri) {
		const char *q = strchr(uri, '?');
		size_t n = q ? (size_t)(q - uri) : strlen(uri);
		/* `..` in any spelling, backslashes, encoded slashes or NUL */
		for (size_t i = 0; i < n; i++) {
			if (uri[i] == '\\' || (uri[i] == '.' && i + 1 < n && uri[i + 1] == '.'))
				rq->bad_path = 1;
			if (uri[i] == '%' && i + 2 < n + 1) {
				const char *e = uri + i + 1;
				if (!strncasecmp(e, "2e", 2) || !strncasecmp(e, "2f", 2) ||
				    !strncasecmp(e, "5c", 2) || !strncmp(e, "00", 2))
					rq->bad_path = 1;
			}
		}
	}
	return rq;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con;
	(void)toe;
	conn_req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void add_headers(serve_ctx *c, struct MHD_Response *resp, int api, const char *page_csp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", page_csp ? page_csp : csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	MHD_add_response_header(resp, "Cache-Control", api ? "no-store" : "no-cache");
	if (c->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static void access_log(serve_ctx *c, conn_req *rq, const char *method, const char *url,
		       unsigned status)
{
	if (!c->access_log && status < 500)
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double ms = rq ? (double)(t.tv_sec - rq->t0.tv_sec) * 1e3 +
				 (double)(t.tv_nsec - rq->t0.tv_nsec) / 1e6
		       : 0;
	json_t *o = json_pack("{s:s, s:s, s:i, s:f}", "method", method ? method : "", "path",
			      url ? url : "", "status", (int)status, "ms", ms);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(o);
}

static enum MHD_Result send_resp(serve_ctx *c, struct MHD_Connection *con, conn_req *rq,
				 const char *method, const char *url, serve_resp *r, int api)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	add_headers(c, resp, api, r->csp);
	MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "text/plain; charset=utf-8");
	if (r->cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r->cookie);
	if (r->disposition[0])
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	if (r->retry_after) {
		char ra[32];
		snprintf(ra, sizeof ra, "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(con, r->status, resp);
	MHD_destroy_response(resp);
	access_log(c, rq, method, url, r->status);
	return ret;
}

void serve_error(serve_resp *r, unsigned status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	free(r->body);
	r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	r->len = r->body ? strlen(r->body) : 0;
	json_decref(o);
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
}

static enum MHD_Result simple(serve_ctx *c, struct MHD_Connection *con, conn_req *rq,
			      const char *method, const char *url, unsigned status, const char *msg)
{
	serve_resp r;
	memset(&r, 0, sizeof r);
	serve_error(&r, status, msg);
	return send_resp(c, con, rq, method, url, &r, 1);
}

static void store_destroy(void *p)
{
	kefu_store_close(p);
}

static kefu_store *thread_store(serve_ctx *c, kefu_err *err)
{
	kefu_store *st = pthread_getspecific(c->store_key);
	if (st)
		return st;
	if (kefu_store_open_ex(&st, c->db, KEFU_STORE_NOCREATE, err))
		return NULL;
	pthread_setspecific(c->store_key, st);
	return st;
}

static enum MHD_Result serve_static(serve_ctx *c, struct MHD_Connection *con, conn_req *rq,
				    const char *method, const char *url)
{
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return simple(c, con, rq, method, url, 405, "method not allowed");
	const char *name = !strcmp(url, "/") ? "index.html" : url + 1;
	const kefu_asset *a = strchr(name, '/') ? NULL : kefu_asset_get(name);
	if (!a)
		return simple(c, con, rq, method, url, 404, "not found");
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	add_headers(c, resp, 0, NULL);
	MHD_add_response_header(resp, "Content-Type", a->mime);
	enum MHD_Result ret = MHD_queue_response(con, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	access_log(c, rq, method, url, 200);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	serve_ctx *c = cls;
	conn_req *rq = *con_cls;
	if (!rq)
		return MHD_NO; /* out of memory in on_uri */
	if (!rq->started) {
		rq->started = 1;
		if (rq->bad_path || !url || url[0] != '/' || strstr(url, ".."))
			return simple(c, con, rq, method, url, 400, "invalid path");
		if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST") &&
		    strcmp(method, "DELETE"))
			return simple(c, con, rq, method, url, 405, "method not allowed");
		int wait = serve_rate_take(c, con, 1);
		if (wait) {
			serve_resp r;
			memset(&r, 0, sizeof r);
			serve_error(&r, 429, "too many requests");
			r.retry_after = wait;
			return send_resp(c, con, rq, method, url, &r, 1);
		}
		const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || *end || n > c->max_body)
				return simple(c, con, rq, method, url, 413, "request body too large");
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->too_big || rq->len + n > c->max_body) {
			rq->too_big = 1; /* discard, never buffer */
			free(rq->body);
			rq->body = NULL;
			rq->len = rq->cap = 0;
			return MHD_YES;
		}
		if (rq->len + n + 1 > rq->cap) {
			size_t cap = rq->len + n + 1;
			char *b = realloc(rq->body, cap);
			if (!b)
				return MHD_NO;
			rq->body = b;
			rq->cap = cap;
		}
		memcpy(rq->body + rq->len, upload_data, n);
		rq->len += n;
		rq->body[rq->len] = '\0';
		return MHD_YES;
	}
	if (rq->too_big)
		return simple(c, con, rq, method, url, 413, "request body too large");
	if (strncmp(url, "/api/", 5))
		return serve_static(c, con, rq, method, url);
	if (strncmp(url, "/api/v1/", 8))
		return simple(c, con, rq, method, url, 404, "unknown API version");

	serve_resp r;
	memset(&r, 0, sizeof r);
	kefu_err err = KEFU_ERR_INIT;
	serve_req q;
	memset(&q, 0, sizeof q);
	q.ctx = c;
	q.con = con;
	q.method = method;
	q.path = url + 8;
	q.body = rq->body ? rq->body : "";
	q.body_len = rq->len;
	q.st = thread_store(c, &err);
	if (!q.st) {
		fprintf(stderr, "kefu: error: serve: %s\n", err.msg);
		return simple(c, con, rq, method, url, 503, "store not available");
	}
	q.token = MHD_lookup_connection_value(con, MHD_COOKIE_KIND, SESSION_COOKIE);
	if (q.token && kefu_auth_session(q.st, q.token, (int64_t)time(NULL), &q.user, &err))
		q.user = NULL;
	/* scripts: an API token instead of a session (no cookie, so no CSRF
	 * token is needed either: a browser never sends this header by itself) */
	const char *authz = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	if (!q.user && authz && !strncmp(authz, "Bearer ", 7)) {
		q.token = NULL;
		if (kefu_api_token_user(q.st, authz + 7, (int64_t)time(NULL), &q.user, &err) == 0)
			q.bearer = 1;
		else
			q.user = NULL;
	}
	serve_api(&q, &r);
	kefu_user_free(q.user);
	if (!r.status)
		serve_error(&r, 500, "internal error");
	return send_resp(c, con, rq, method, url, &r, 1);
}

/* ------------------------------------------------------------- command */

static void usage(FILE *f)
{
	fputs("Usage: kefu serve --db DB [--listen ADDR:PORT] [options]\n\n"
	      "Serves the dashboard and the JSON API (/api/v1/...) over the store DB.\n"
	      "Users are managed with 'kefu user'. See docs/SERVER.md.\n\n"
	      "Options:\n"
	      "      --db DB              the SQLite store (required)\n"
	      "      --listen ADDR:PORT   address to listen on (default 127.0.0.1:8080;\n"
	      "                           [::1]:8080 for IPv6; port 0 picks a free port)\n"
	      "      --cert FILE          TLS certificate (PEM); needs --key\n"
	      "      --key FILE           TLS private key (PEM)\n"
	      "      --max-body BYTES     largest request body (default 65536)\n"
	      "      --rate N             requests per second per client address, bursts of\n"
	      "                           2N; a login costs 10 (default 100; 0 = no limit)\n"
	      "      --threads N          worker threads (default 4)\n"
	      "      --cache-mb N         rendered KPI/chats answers kept per data version\n"
	      "                           (default 64; 0 = off)\n"
	      "      --hash-limit N       password hashes at once (default 2)\n"
	      "      --hash-cost C        Argon2id cost of new passwords: interactive\n"
	      "                           (default), moderate, or min (tests only)\n"
	      "      --access-log         one JSON line per request on stderr\n"
	      "      --port-file FILE     write the port listened on to FILE\n"
	      "  -h, --help               show this help\n\n"
	      "Exit: 0 stopped by SIGINT/SIGTERM, 1 failure, 2 usage, 5 store.\n",
	      f);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t k = fread(buf + n, 1, 4096, f);
		n += k;
		if (k < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, 0, 0},        {"listen", required_argument, 0, 0},
		{"cert", required_argument, 0, 0},      {"key", required_argument, 0, 0},
		{"max-body", required_argument, 0, 0},  {"rate", required_argument, 0, 0},
		{"threads", required_argument, 0, 0},   {"hash-limit", required_argument, 0, 0},
		{"access-log", no_argument, 0, 0},      {"port-file", required_argument, 0, 0},
		{"hash-cost", required_argument, 0, 0}, {"cache-mb", required_argument, 0, 0},
		{"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
	const char *db = NULL, *listen = "127.0.0.1:8080", *cert = NULL, *key = NULL,
		   *port_file = NULL;
	long max_body = 65536, threads = 4, hash_limit = 2, cache_mb = 64;
	double rate = 100;
	int access = 0, c, idx;
	kefu_auth_opts ao = KEFU_AUTH_OPTS_INIT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return KEFU_EXIT_OK;
		}
		if (c != 0)
			return cli_usage_error("serve", "invalid option");
		const char *n = longopts[idx].name;
		char *end = NULL;
		if (!strcmp(n, "db"))
			db = optarg;
		else if (!strcmp(n, "listen"))
			listen = optarg;
		else if (!strcmp(n, "cert"))
			cert = optarg;
		else if (!strcmp(n, "key"))
			key = optarg;
		else if (!strcmp(n, "port-file"))
			port_file = optarg;
		else if (!strcmp(n, "access-log"))
			access = 1;
		else if (!strcmp(n, "hash-cost")) {
			if (kefu_auth_cost_parse(optarg, &ao))
				return cli_usage_error("serve", "--hash-cost: expected interactive, moderate or min");
		}
		else if (!strcmp(n, "rate")) {
			rate = strtod(optarg, &end);
			if (*end || rate < 0 || rate > 1e9)
				return cli_usage_error("serve", "--rate: expected a number >= 0");
		} else {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || (v == 0 && strcmp(n, "cache-mb")))
				return cli_usage_error("serve", "--%s: expected a positive integer", n);
			if (!strcmp(n, "max-body"))
				max_body = v;
			else if (!strcmp(n, "threads"))
				threads = v > 64 ? 64 : v;
			else if (!strcmp(n, "cache-mb"))
				cache_mb = v > 65536 ? 65536 : v;
			else
				hash_limit = v > 16 ? 16 : v;
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!db)
		return cli_usage_error("serve", "--db DB is required");
	if (!cert != !key)
		return cli_usage_error("serve", "--cert and --key go together");

	/* address */
	char host[256];
	const char *port;
	if (listen[0] == '[') {
		const char *e = strchr(listen, ']');
		if (!e || e[1] != ':' || (size_t)(e - listen - 1) >= sizeof host)
			return cli_usage_error("serve", "--listen: expected [IPv6]:PORT");
		memcpy(host, listen + 1, (size_t)(e - listen - 1));
		host[e - listen - 1] = '\0';
		port = e + 2;
	} else {
		const char *e = strrchr(listen, ':');
		if (!e || (size_t)(e - listen) >= sizeof host)
			return cli_usage_error("serve", "--listen: expected ADDR:PORT");
		memcpy(host, listen, (size_t)(e - listen));
		host[e - listen] = '\0';
		port = e + 1;
	}
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) || !ai)
		return cli_usage_error("serve", "--listen: '%s' is not a numeric ADDR:PORT", listen);

	int loopback = ai->ai_family == AF_INET
			       ? (ntohl(((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127
			       : IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
	if (!loopback && !cert)
		fprintf(stderr, "kefu: warning: serve: listening on %s without TLS: passwords and "
				"session cookies cross the network in clear (use --cert/--key)\n",
			listen);
	kefu_err err = KEFU_ERR_INIT;
	kefu_store *st = NULL;
	int rc = KEFU_EXIT_OK;
	char *cert_pem = NULL, *key_pem = NULL;
	struct MHD_Daemon *d = NULL;
	serve_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.db = db;
	ctx.max_body = (size_t)max_body;
	ctx.rate = rate;
	ctx.burst = rate * 2 < 1 ? 1 : rate * 2;
	ctx.access_log = access;
	ctx.tls = cert != NULL;
	serve_data_init(&ctx.data, db);
	ctx.data.cache_cap = (size_t)cache_mb << 20;
	pthread_mutex_init(&ctx.rl_mu, NULL);
	pthread_key_create(&ctx.store_key, store_destroy);
	ctx.rl = calloc(RL_SLOTS, sizeof *ctx.rl);
	ao.max_hashes = (int)hash_limit;
	if (kefu_store_open_ex(&st, db, KEFU_STORE_NOCREATE, &err) ||
	    kefu_auth_store_init(st, &err)) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto cleanup;
	}
	if (!ctx.rl || kefu_auth_new(&ctx.auth, &ao, &err)) {
		cli_errorf("serve: %s", err.msg[0] ? err.msg : "out of memory");
		rc = KEFU_EXIT_FAIL;
		goto cleanup;
	}
	/* load the data now: errors show at start, the first request is fast */
	serve_snap *snap = serve_data_acquire(&ctx.data, st, &err);
	if (!snap) {
		cli_print_err(&err);
		rc = KEFU_EXIT_STORE;
		goto cleanup;
	}
	serve_data_release(&ctx.data, snap);
	kefu_store_close(st);
	st = NULL;
	kefu_asset_get(NULL); /* fill the asset table before threads start */
	kefu_asset_echarts();

	/* Requests allocate and free the same few MB again and again: keep
	 * freed memory in the process instead of giving it back to the kernel
	 * after each request (and faulting it in again on the next). */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert) {
		size_t n;
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			cli_errorf("serve: this libmicrohttpd has no TLS support");
			rc = KEFU_EXIT_FAIL;
			goto cleanup;
		}
		if (!(cert_pem = read_file(cert, &n)) || !(key_pem = read_file(key, &n))) {
			cli_errorf("serve: cannot read %s: %s", cert_pem ? key : cert, strerror(errno));
			rc = KEFU_EXIT_IO;
			goto cleanup;
		}
		flags |= MHD_USE_TLS;
	}
	/* block the stop signals in every thread; main waits for them */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_OptionItem tls_opts[] = {
		{cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert_pem},
		{cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key_pem},
		{MHD_OPTION_END, 0, NULL}};
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &ctx,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
			     MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)256,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_ARRAY, tls_opts,
			     MHD_OPTION_END);
	if (!d) {
		cli_errorf("serve: cannot listen on %s", listen);
		rc = KEFU_EXIT_FAIL;
		goto cleanup;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned bound = di ? di->port : 0;
	fprintf(stderr, "kefu: serving %s://%s%s%s:%u/ from %s\n", cert ? "https" : "http",
		ai->ai_family == AF_INET6 ? "[" : "", host, ai->ai_family == AF_INET6 ? "]" : "",
		bound, db);
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		FILE *pf = fopen(tmp, "w");
		if (!pf || fprintf(pf, "%u\n", bound) < 0 || fclose(pf) || rename(tmp, port_file)) {
			cli_errorf("serve: cannot write %s", port_file);
			rc = KEFU_EXIT_IO;
			goto cleanup;
		}
	}
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "kefu: serve: stopping (signal %d)\n", sig);
cleanup:
	if (d)
		MHD_stop_daemon(d);
	kefu_store_close(st);
	freeaddrinfo(ai);
	free(cert_pem);
	free(key_pem);
	kefu_auth_free(ctx.auth);
	serve_data_free(&ctx.data);
	free(ctx.rl);
	pthread_mutex_destroy(&ctx.rl_mu);
	pthread_key_delete(ctx.store_key);
	return rc;
}
