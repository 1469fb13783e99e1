#!/bin/sh
# ock-down.sh DIR: stop pkcsslotd, then the namespace holder, by PID. The namespaces (mounts, SysV
# shared memory) vanish with their last process. Leaves DIR (token data in DIR/lib/swtok).
D=$(realpath -m "$1")
alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
for f in "$D/run/pkcsslotd.pid" "$D/ns.pid"; do
  [ -s "$f" ] || continue
  pid=$(cat "$f"); rm -f "$f"
  alive "$pid" || continue
  kill "$pid" 2>/dev/null || continue
  i=0; while alive "$pid" && [ $i -lt 150 ]; do sleep 0.02; i=$((i + 1)); done
  if alive "$pid"; then echo "ock-down: $pid ignored SIGTERM; SIGKILL" >&2; kill -9 "$pid" 2>/dev/null; fi
done
exit 0
