#!/usr/bin/env bash
# Runs the documentation's samples (examples/docs/) against the servers of tests/servers and
# checks what they print, so that a page never shows code that does not work.
#   docs_samples_test.sh QUICKSTART RUNTIME SCOPES POOL ORM_GUIDE ORM_EXT ORM_PEEWEE DRIVERS \
#                        REPLICAS README TERN_CLI OBSERVABILITY THREADS LISTEN COMPOSITE
set -uo pipefail
: "${TERN_PG_URL:?run through tests/servers exec}" "${TERN_MYSQL_URL:?}"
quickstart=$1 runtime=$2 scopes=$3 pool=$4 orm_guide=$5 orm_ext=$6 orm_peewee=$7 drivers=$8
replicas=$9 readme=${10} tern_cli=${11} observability=${12} threads=${13}
listen=${14} composite=${15}
failures=0

check() {  # check NAME EXPECTED-STDOUT -- COMMAND...
  local name=$1 want=$2 out
  shift 3
  if ! out=$("$@" 2>&1) || [[ $out != "$want" ]]; then
    echo "FAIL $name"
    echo "  got:  $(printf '%q' "$out")"
    echo "  want: $(printf '%q' "$want")"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

quickstart_out='1 block(s); the first says: Peewee is SUPER awesome with async!
count: 1
pool: 1 open, 1 idle'
check quickstart-pg "$quickstart_out" -- "$quickstart" "$TERN_PG_URL"
check quickstart-mysql "$quickstart_out" -- "$quickstart" "$TERN_MYSQL_URL"
# The test servers offer TLS: 'S'.
check runtime "the server answered 'S'
posted from another thread" -- "$runtime" "$TERN_PG_HOST" "$TERN_PG_PORT"
# 100 + 0, a transfer, a savepoint rolled back, one interest each for the two accounts; the
# test case's DELETE rolled back.
check scopes 'total: 102
the hook saw 6 statements
total: 102' -- "$scopes" "$TERN_PG_URL"
check pool '42; 1 of at most 5 connections open, 1 acquired
max_connections 3, pipeline_depth 2
QueryTimeout
loaded 10000 rows, total 24997500.0' -- "$pool" "$TERN_PG_URL"
orm_out='2 inserted, 1 long, 2 by Ada, poems: no
Ada: 2 books
Grace wrote Manual (created)
Grace: 2 books
add_column book.isbn: 2 statements'
check orm-guide-pg "$orm_out" -- "$orm_guide" "$TERN_PG_URL"
check orm-guide-mysql "$orm_out" -- "$orm_guide" "$TERN_MYSQL_URL"
check orm-ext '1 doc(s), color red' -- "$orm_ext" "$TERN_PG_URL"
check orm-peewee 'key 1, ignored: yes, 2 keys, 1 row
memo keyed, draft keyed, line (5, boots)
1 deleted (draft), 1 now HELLO
2 authors in the union, job running
3 books created, 3 updated
saved Notes 0, revised (updated)
by Ada / Ada
Ann takes 1 course(s); Math has 1 student(s)' -- "$orm_peewee" "$TERN_PG_URL"
# The primary listed as its own replica: no standby needed (the topology suite has real ones).
check replicas '1 item(s) above 10' -- "$replicas" "$TERN_PG_URL" "$TERN_PG_URL"
# README's example, on the database "test" of the PG* environment as the demo runs it.
"$tern_cli" "$TERN_PG_URL" "CREATE DATABASE test" >/dev/null 2>&1  # it may exist already
check readme 'Peewee is SUPER awesome with async!' -- env PGHOST="$TERN_PG_HOST" \
  PGPORT="$TERN_PG_PORT" PGUSER=tern PGPASSWORD=tern_pw PGSSLMODE=disable "$readme"
check drivers 'TERN 3
jobs: job 1
copied out: 1	one
copied out: 2	two
2 in, 2 out
TERN 42' -- "$drivers" "$TERN_PG_URL" "$TERN_MYSQL_URL"
# Each operation as the tracer sees it end, the notice through the logger, then two lines
# of the Prometheus text.
pg_db=${TERN_PG_URL##*/}
pg_db=${pg_db%%\?*}
pg_labels="db_system_name=\"postgresql\",db_namespace=\"$pg_db\",kind=\"query\""
check observability "connect rows=0
query CREATE rows=0
transaction BEGIN rows=0
query INSERT rows=1
transaction COMMIT rows=0
query INSERT rows=0 error=23505
[info pg] NOTICE:  pages: 1
query DO rows=0
tern_db_operations_total{$pg_labels} 4
tern_db_operation_errors_total{$pg_labels} 1" -- bash -c '"$1" "$2" | grep -v "^\[info ring\]"' _ \
  "$observability" "$TERN_PG_URL"  # (under TERN_RING=epoll the logger also says so)
# Two loops sum 1..100 each; the order of their "done" lines varies, so they are sorted.
check threads 'loop 0 done
loop 1 done
open after close: 0
sum 10100 over 2 shards' -- bash -c '"$1" "$2" | sort' _ "$threads" "$TERN_PG_URL"
check listen 'job 1
job 2' -- "$listen" "$TERN_PG_URL"
check composite 'ann lives at 1 "Main" St, (rear), 12345
Elm NULL 7' -- "$composite" "$TERN_PG_URL"

[[ $failures == 0 ]] || { echo "$failures failure(s)"; exit 1; }
