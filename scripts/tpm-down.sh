#!/bin/sh
# tpm-down.sh DIR: stop what tpm-up.sh DIR started, by PID (abrmd, then dbus, then swtpm). Leaves DIR.
# shellcheck source=scripts/stop-pidfile.sh
. "$(dirname "$0")/stop-pidfile.sh"
D=$(realpath -m "$1")
for n in abrmd dbus swtpm; do stop_pidfile "$n" "$D/$n.pid"; done
exit 0
