#!/usr/bin/env bash
# tern-cli's output and exit-status contract, against the PostgreSQL of tests/servers.
#   tern_cli_test.sh PATH-TO-tern-cli
set -uo pipefail
cli=$1
: "${TERN_PG_URL:?run through tests/servers exec}"
failures=0

check() {  # check NAME EXPECTED-STATUS EXPECTED-STDOUT -- ARGS...
  local name=$1 want_status=$2 want_out=$3
  shift 4
  local out status
  out=$("$cli" "$@" 2>/tmp/tern-cli-stderr.$$)
  status=$?
  if [[ $status != "$want_status" || $out != "$want_out" ]]; then
    echo "FAIL $name: status $status (want $want_status)"
    echo "  stdout: $(printf '%q' "$out")"
    echo "  want:   $(printf '%q' "$want_out")"
    echo "  stderr: $(cat /tmp/tern-cli-stderr.$$)"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

stderr_has() {  # stderr_has NAME TEXT: the last check's stderr contains TEXT
  if ! grep -qF -- "$2" /tmp/tern-cli-stderr.$$; then
    echo "FAIL $1: stderr lacks '$2': $(cat /tmp/tern-cli-stderr.$$)"
    failures=$((failures + 1))
  fi
}

tab=$'\t'
nl=$'\n'
check simple 0 "a${tab}b${nl}1${tab}x" -- "$TERN_PG_URL" "SELECT 1 AS a, 'x' AS b"
check null-and-escapes 0 "v${nl}\\N${nl}a\\tb\\nc\\\\d" -- "$TERN_PG_URL" \
  "SELECT NULL::text AS v UNION ALL SELECT E'a\\tb\\nc\\\\d'"
check several-statements 0 "x${nl}1${nl}y${nl}2" -- "$TERN_PG_URL" "SELECT 1 AS x; SELECT 2 AS y"
check several-arguments 0 "x${nl}1${nl}y${nl}2" -- "$TERN_PG_URL" "SELECT 1 AS x" "SELECT 2 AS y"
check no-rows 0 "" -- "$TERN_PG_URL" "CREATE TEMP TABLE t (a int)"
check params 0 "sum${tab}s${nl}42${tab}it's" -- --param 40 --param "it's" "$TERN_PG_URL" \
  'SELECT $1::int + 2 AS sum, $2::text AS s'
check binary 0 "i${tab}f${tab}b${tab}t${tab}n${nl}-7${tab}1.5${tab}t${tab}héllo${tab}12.340" -- \
  --binary "$TERN_PG_URL" "SELECT -7::int8 AS i, 1.5::float8 AS f, true AS b, 'héllo' AS t, 12.340::numeric AS n"
# Issue 24: binary values render as psql shows them, following the session's settings.
check binary-as-psql 0 "i${tab}a${tab}f${tab}ts${nl}01:00:00${tab}[0:1][1:2]={{1,2},{3,4}}${tab}0.0001${tab}Wed Dec 26 15:05:06 2001 EST" -- \
  --binary "$TERN_PG_URL" "SET IntervalStyle TO postgres" "SET DateStyle = 'Postgres, MDY'" \
  "SET TimeZone = 'America/New_York'" \
  "SELECT INTERVAL '01:00' AS i, '[0:1][1:2]={{1,2},{3,4}}'::int[] AS a, 0.0001::float8 AS f, '2001-12-26 20:05:06+00'::timestamptz AS ts"
check server-error 1 "" -- "$TERN_PG_URL" "SELECT * FROM no_such_table"
stderr_has server-error-sqlstate "42P01"
check bad-password 2 "" -- "${TERN_PG_URL/tern_pw/wrong}" "SELECT 1"
stderr_has bad-password-reason "28P01"
check refused 2 "" -- "postgresql://tern@127.0.0.1:1/x?connect_timeout=5" "SELECT 1"
stderr_has refused-reason "could not connect to server at 127.0.0.1:1: "
check usage 64 "" -- "$TERN_PG_URL"
# Usage errors exit 64 and say why; --help and -h print the usage on stdout and exit 0.
check help 0 "$("$cli" --help)" -- --help
check help-text 0 "$("$cli" -h)" -- -h
if ! "$cli" --help | grep -q '^usage: tern-cli '; then
  echo "FAIL help-usage-line: $("$cli" --help)"
  failures=$((failures + 1))
fi
check unknown-option 64 "" -- --bogus "$TERN_PG_URL" "SELECT 1"
stderr_has unknown-option-reason "unknown option --bogus"
check http-url 64 "" -- "http://example.com/db" "SELECT 1"
stderr_has http-url-reason 'unsupported URL scheme "http"'
check mysql-without-slashes 64 "" -- "mysql:/x" "SELECT 1"
stderr_has mysql-without-slashes-reason 'unsupported URL scheme "mysql"'
check not-a-url 64 "" -- "not a url" "SELECT 1"
stderr_has not-a-url-reason "expected a postgresql:// URL or key=value keywords"
sep='?'
[[ $TERN_PG_URL == *\?* ]] && sep='&'
check unknown-url-parameter 64 "" -- "${TERN_PG_URL}${sep}sslmod=require" "SELECT 1"
stderr_has unknown-url-parameter-reason 'invalid URI query parameter: "sslmod"'
check unknown-host 2 "" -- "postgresql://tern@no-such-host.invalid/x" "SELECT 1"
stderr_has unknown-host-reason 'could not translate host name "no-such-host.invalid" to address: '

: "${TERN_MYSQL_URL:?run through tests/servers exec}"
check mysql-simple 0 "a${tab}b${nl}1${tab}x${nl}\\N${tab}t\\tab" -- "$TERN_MYSQL_URL" \
  "SELECT 1 AS a, 'x' AS b UNION ALL SELECT NULL, 't\\tab'"
check mysql-several 0 "x${nl}1${nl}y${nl}2" -- "$TERN_MYSQL_URL" "SELECT 1 AS x; SELECT 2 AS y"
check mysql-params 0 "s${tab}t${nl}42${tab}it's" -- --param 40 --param "it's" "$TERN_MYSQL_URL" \
  "SELECT ? + 2 AS s, ? AS t"
check mysql-binary 0 "i${tab}d${tab}dt${tab}tm${nl}-7${tab}12.340${tab}2024-02-29 13:14:15.500${tab}-01:02:03" -- \
  --binary "$TERN_MYSQL_URL" \
  "SELECT -7 AS i, CAST(12.34 AS DECIMAL(10,3)) AS d, CAST('2024-02-29 13:14:15.5' AS DATETIME(3)) AS dt, CAST('-01:02:03' AS TIME) AS tm"
check mysql-binary-floats 0 "a${tab}b${nl}0.0001${tab}1e308" -- \
  --binary "$TERN_MYSQL_URL" "SELECT 0.001e-1 AS a, 10e307 AS b"
check mysql-server-error 1 "" -- "$TERN_MYSQL_URL" "SELECT * FROM no_such_table"
stderr_has mysql-server-error-code "42S02"
check mysql-bad-password 2 "" -- "${TERN_MYSQL_URL/tern_pw/wrong}" "SELECT 1"
stderr_has mysql-bad-password-code "28000"

rm -f /tmp/tern-cli-stderr.$$
[[ $failures == 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "all tern-cli checks passed"
