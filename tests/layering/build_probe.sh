#!/usr/bin/env bash
# Builds one layering probe: build_probe.sh BUILD_DIR TARGET HEADER builds|fails-to-find.
# "fails-to-find" passes only when the build fails because HEADER cannot be found, so a probe
# broken for another reason does not count as proof of the layering.
set -uo pipefail
build_dir=$1 target=$2 header=$3 expect=$4
output=$(ninja -C "$build_dir" "$target" 2>&1)
status=$?
echo "$output"
case $expect in
  builds) exit $status ;;
  fails-to-find)
    if [[ $status -eq 0 ]]; then
      echo "build_probe: $target built, but $header must not be visible to its layer" >&2
      exit 1
    fi
    grep -q "$header.*No such file\|'$header' file not found" <<<"$output" || {
      echo "build_probe: $target failed, but not because $header was not found" >&2
      exit 1
    } ;;
esac
