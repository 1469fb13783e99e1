#!/bin/sh
# tpm-down.sh DIR: stop what tpm-up.sh DIR started, by PID (abrmd, then dbus, then swtpm). Leaves DIR.
# A stopped daemon that was re-parented stays a zombie until PID 1 reaps it: "stopped" = gone or Z.
D=$(realpath -m "$1")
alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
for n in abrmd dbus swtpm; do
  f="$D/$n.pid"; [ -s "$f" ] || continue
  pid=$(cat "$f"); rm -f "$f"
  alive "$pid" || continue
  kill "$pid" 2>/dev/null || continue
  i=0; while alive "$pid" && [ $i -lt 150 ]; do sleep 0.02; i=$((i + 1)); done
  if alive "$pid"; then echo "tpm-down: $n ($pid) ignored SIGTERM; SIGKILL" >&2; kill -9 "$pid" 2>/dev/null; fi
done
exit 0
