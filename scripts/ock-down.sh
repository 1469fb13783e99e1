#!/bin/sh
# ock-down.sh DIR: stop pkcsslotd, then the namespace holder, by PID. The namespaces (mounts, SysV
# shared memory) vanish with their last process. Leaves DIR (token data in DIR/lib/swtok).
# shellcheck source=scripts/stop-pidfile.sh
. "$(dirname "$0")/stop-pidfile.sh"
D=$(realpath -m "$1")
stop_pidfile pkcsslotd "$D/run/pkcsslotd.pid"
stop_pidfile namespace "$D/ns.pid"
exit 0
