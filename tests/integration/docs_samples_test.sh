#!/usr/bin/env bash
# Runs the documentation's samples (examples/docs/) against the servers of tests/servers and
# checks what they print, so that a page never shows code that does not work.
#   docs_samples_test.sh QUICKSTART SCOPES ORM_GUIDE DRIVERS
set -uo pipefail
: "${TERN_PG_URL:?run through tests/servers exec}" "${TERN_MYSQL_URL:?}"
quickstart=$1 scopes=$2 orm_guide=$3 drivers=$4
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
# 100 + 0, a transfer, a savepoint rolled back, one interest each for the two accounts.
check scopes 'total: 102' -- "$scopes" "$TERN_PG_URL"
orm_out='2 inserted, 1 long, 2 by Ada, poems: no
Ada: 2 books'
check orm-guide-pg "$orm_out" -- "$orm_guide" "$TERN_PG_URL"
check orm-guide-mysql "$orm_out" -- "$orm_guide" "$TERN_MYSQL_URL"
check drivers 'TERN 3
jobs: job 1
copied out: 1	one
copied out: 2	two
2 in, 2 out
TERN 42' -- "$drivers" "$TERN_PG_URL" "$TERN_MYSQL_URL"

[[ $failures == 0 ]] || { echo "$failures failure(s)"; exit 1; }
