#!/usr/bin/env bash
# pg_scratch.sh - a throwaway PostgreSQL server for tests and benchmarks:
# initdb into DIR/data (C locale, UTF-8, trust auth, user kefu), listening
# only on a Unix socket in DIR. Run as root, the server runs as the
# postgres user (PostgreSQL refuses root).
#   pg_scratch.sh start DIR [-c name=value ...]   prints the libpq connection string
#   pg_scratch.sh stop DIR
#   pg_scratch.sh bin                             prints the server's bin directory (exit 1: none)
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
cmd=${1:-}
if [ "$cmd" = bin ]; then
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && command -v psql >/dev/null && echo "$PGBIN"
	exit $?
fi
DIR=${2:?usage: pg_scratch.sh start|stop DIR}
[ -n "$PGBIN" ] || { echo "pg_scratch: PostgreSQL server binaries not found" >&2; exit 1; }
AS=()
[ "$(id -u)" = 0 ] && AS=(runuser -u postgres --)
case "$cmd" in
start)
	shift 2
	mkdir -p "$DIR"
	chmod 755 "$DIR"
	[ "$(id -u)" = 0 ] && chown postgres "$DIR"
	"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" --auth=trust --no-locale -E UTF8 -U kefu \
		>"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
	opts="-k $DIR -c listen_addresses="
	for o in "$@"; do opts="$opts $o"; done
	"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" -o "$opts" start >/dev/null ||
		{ cat "$DIR/log" >&2; exit 1; }
	echo "host=$DIR user=kefu dbname=postgres"
	;;
stop)
	"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
	;;
*)
	echo "usage: pg_scratch.sh start|stop DIR | bin" >&2
	exit 2
	;;
esac
