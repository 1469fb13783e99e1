#!/bin/sh
# tpm-up.sh DIR [LABEL] [SOPIN] [USERPIN]
# A private software TPM for one test run: swtpm (TPM 2.0) on a Unix socket, a private D-Bus session
# bus, the tpm2-abrmd resource manager on it (without one, swtpm's 3 object slots run out after one
# key), and a tpm2-pkcs11 token made with tpm2_ptool (tokens made by C_InitToken list no RSA-PSS
# mechanisms). Everything lives under DIR; keep DIR short (DIR/swtpm.sock.ctrl must fit in the 108
# bytes of an AF_UNIX path). Writes DIR/env (the variables the module reads) and DIR/*.pid.
# Dictionary-attack lockout is switched OFF (3 wrong PINs would otherwise lock every login on this TPM
# for 1000 s); TPM_DA=on keeps the TPM default. Stop with tpm-down.sh DIR (by PID).
# Recipe: ../shared/peers/README.md, "Second and third PKCS#11 modules", A.
set -eu
D=$(realpath -m "$1"); LABEL=${2:-tpmA}; SOPIN=${3:-12345678}; PIN=${4:-1234}
mkdir -p "$D/state" "$D/store"
export TSS2_LOG=all+NONE

swtpm socket --tpm2 --tpmstate dir="$D/state" \
  --server type=unixio,path="$D/swtpm.sock" --ctrl type=unixio,path="$D/swtpm.sock.ctrl" \
  --flags not-need-init,startup-clear --pid file="$D/swtpm.pid" --log file="$D/swtpm.log" --daemon

dbus-daemon --session --address="unix:path=$D/dbus.sock" --fork --print-pid > "$D/dbus.pid"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$D/dbus.sock"

tpm2-abrmd --session --allow-root --flush-all --tcti="swtpm:path=$D/swtpm.sock" > "$D/abrmd.log" 2>&1 &
echo $! > "$D/abrmd.pid"
export TPM2TOOLS_TCTI="tabrmd:bus_type=session"
i=0
until tpm2_getcap properties-fixed > /dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "tpm-up: tpm2-abrmd did not come up (see $D/abrmd.log)" >&2; exit 1; }
  sleep 0.05
done

export TPM2_PKCS11_STORE="$D/store"
if [ ! -s "$D/store/tpm2_pkcs11.sqlite3" ]; then
  tpm2_ptool init --path "$D/store" > "$D/ptool.log"
  tpm2_ptool addtoken --pid 1 --sopin "$SOPIN" --userpin "$PIN" --label "$LABEL" --path "$D/store" >> "$D/ptool.log"
fi
if [ "${TPM_DA:-off}" = off ]; then
  tpm2_dictionarylockout --setup-parameters --max-tries=3 --recovery-time=0 --lockout-recovery-time=0
fi

cat > "$D/env" <<ENV
DBUS_SESSION_BUS_ADDRESS=unix:path=$D/dbus.sock
TPM2TOOLS_TCTI=tabrmd:bus_type=session
TPM2_PKCS11_TCTI=tabrmd:bus_type=session
TPM2_PKCS11_STORE=$D/store
TSS2_LOG=all+NONE
P11_MODULE=/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so
ENV
echo "tpm-up: $D swtpm $(cat "$D/swtpm.pid") dbus $(cat "$D/dbus.pid") abrmd $(cat "$D/abrmd.pid")"
