#!/bin/sh
# ock-up.sh DIR [LABEL] [SOPIN] [USERPIN]
# A private openCryptoki 3.8 soft token for one test run. openCryptoki 3.8 compiles its paths in
# (/etc/opencryptoki/opencryptoki.conf, /var/lib/opencryptoki/swtok, /run/pkcsslotd.socket,
# /var/lock/opencryptoki) and reads no environment override, so pkcsslotd runs in its own mount+IPC
# namespace with those paths bind-mounted from DIR. Needs root (CAP_SYS_ADMIN) and util-linux
# unshare/nsenter. Nothing outside DIR changes. Clients must run inside the namespace: DIR/env holds
# OCK_NS (the nsenter prefix). PINs are 4-8 characters; the factory SO PIN 87654321 is changed.
# Stop with ock-down.sh DIR. Recipe: ../shared/peers/README.md, "Second and third PKCS#11 modules", B1.
set -eu
D=$(realpath -m "$1"); LABEL=${2:-ockA}; SOPIN=${3:-12345678}; PIN=${4:-1234}
M=/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so
mkdir -p "$D/lib/swtok/TOK_OBJ" "$D/run/lock/opencryptoki/swtok" "$D/etc"
chgrp -R pkcs11 "$D/lib" "$D/run/lock/opencryptoki"
chmod -R 0770 "$D/lib" "$D/run/lock/opencryptoki"
printf 'version opencryptoki-3.1\nslot 3\n{\nstdll = libpkcs11_sw.so\n}\n' > "$D/etc/opencryptoki.conf"

# the namespace holder: unshare execs sleep, so $! is a process inside the new namespaces
unshare --mount --ipc --propagation private sleep infinity < /dev/null > /dev/null 2>&1 &
echo $! > "$D/ns.pid"
NS="nsenter -t $(cat "$D/ns.pid") -m -i"
i=0
until [ "$(readlink "/proc/$(cat "$D/ns.pid")/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "ock-up: namespace not created" >&2; exit 1; }
  sleep 0.02
done

# private paths inside the namespace (/var/run and /var/lock are symlinks into /run on Debian 12)
$NS mount --bind "$D/run" /run
$NS mount --bind "$D/lib" /var/lib/opencryptoki
$NS mount --bind "$D/etc/opencryptoki.conf" /etc/opencryptoki/opencryptoki.conf

$NS /usr/sbin/pkcsslotd
i=0
until [ -S "$D/run/pkcsslotd.socket" ] && [ -s "$D/run/pkcsslotd.pid" ]; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "ock-up: pkcsslotd did not come up" >&2; exit 1; }
  sleep 0.02
done

if [ ! -s "$D/lib/swtok/NVTOK.DAT" ] || [ -n "${OCK_REINIT:-}" ]; then
  $NS pkcs11-tool --module $M --slot 3 --init-token --label "$LABEL" --so-pin 87654321 > "$D/init.log" 2>&1
  $NS pkcs11-tool --module $M --slot 3 --login --login-type so --so-pin 87654321 --change-pin --new-pin "$SOPIN" >> "$D/init.log" 2>&1
  $NS pkcs11-tool --module $M --slot 3 --login --login-type so --so-pin "$SOPIN" --init-pin --pin "$PIN" >> "$D/init.log" 2>&1
fi
cat > "$D/env" <<ENV
OCK_NS=nsenter -t $(cat "$D/ns.pid") -m -i --wd=.
P11_MODULE=$M
ENV
echo "ock-up: $D ns holder $(cat "$D/ns.pid") pkcsslotd $(cat "$D/run/pkcsslotd.pid")"
