#!/usr/bin/env bash
# Fails if a pure FileChannel library depends on an OS library or includes an
# OS header. $1: the genquery output (one label per line). Runs from the
# runfiles root, where the pure sources are listed in data.
set -euo pipefail
deps="$1"
status=0

if [ ! -s "$deps" ]; then
  echo "FAIL: $deps is empty"
  exit 1
fi
# OS code: this package's OS layer and the platform seam.
forbidden='^//cc/file_channel:(uuid|channel_file|channel_file_reader_io|channel_info|file_channel)$|^//cc/platform|^//cc/channel:ipc_channel$'
if bad="$(grep -E "$forbidden" "$deps")"; then
  echo "FAIL: pure libraries depend on OS libraries:"
  echo "$bad"
  status=1
fi
# Sanity: the query saw the pure libraries themselves.
for lib in message inbox file_index channel_file_format channel_file_readers channel_info_format; do
  grep -qx "//cc/file_channel:$lib" "$deps" || { echo "FAIL: //cc/file_channel:$lib missing from $deps"; status=1; }
done

headers='#include <(unistd|fcntl|dirent|signal|spawn|poll)\.h>|#include <sys/|#include "cc/platform/|#include "cc/file_channel/(channel_file|channel_info|uuid|file_channel)\.h"'
for f in cc/file_channel/{channel_file_format,channel_file_readers,channel_info_format,file_index,inbox,message}.{h,cc}; do
  [ -f "$f" ] || { echo "FAIL: $f is not in the runfiles"; status=1; continue; }
  if bad="$(grep -nE "$headers" "$f")"; then
    echo "FAIL: $f includes an OS header:"
    echo "$bad"
    status=1
  fi
done
[ "$status" = 0 ] && echo "PASS: $(wc -l <"$deps") targets, none of them OS code"
exit "$status"
