#!/bin/sh
# Sourced by tpm-down.sh and ock-down.sh. stop_pidfile NAME FILE: stop the process whose PID is in
# FILE (then remove FILE): SIGTERM, wait up to 3 s, then SIGKILL. A stopped daemon that was re-parented
# stays a zombie until PID 1 reaps it, so "stopped" means gone or Z.
alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
stop_pidfile() {
  [ -s "$2" ] || return 0
  pid=$(cat "$2"); rm -f "$2"
  alive "$pid" || return 0
  kill "$pid" 2>/dev/null || return 0
  i=0; while alive "$pid" && [ $i -lt 150 ]; do sleep 0.02; i=$((i + 1)); done
  if alive "$pid"; then echo "$(basename "$0"): $1 ($pid) ignored SIGTERM; SIGKILL" >&2; kill -9 "$pid" 2>/dev/null; fi
  return 0
}
