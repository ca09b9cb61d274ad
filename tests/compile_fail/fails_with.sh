#!/bin/sh
# fails_with.sh MESSAGE COMPILER ARGS...: passes when the compile command fails and its
# diagnostics contain MESSAGE (a compile-failure check that also proves what it says).
message=$1
shift
if output=$("$@" 2>&1); then
  echo "compiled, but must not: $*"
  exit 1
fi
case $output in
*"$message"*) exit 0 ;;
*)
  echo "$output"
  echo "the diagnostics do not say: $message"
  exit 1
  ;;
esac
