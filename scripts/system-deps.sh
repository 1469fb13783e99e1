#!/usr/bin/env bash
# Installs the system packages keyceremony's tests and rehearsals use (Debian/Ubuntu names).
# As root: apt-get installs what is missing. Otherwise: prints the exact line to run and exits 1.
# Set KEYCEREMONY_SKIP_SYSTEM_DEPS=1 to skip the check (you take responsibility for the tools).
set -euo pipefail
[ "${KEYCEREMONY_SKIP_SYSTEM_DEPS:-}" = "1" ] && exit 0

# command -> package
declare -A need=(
  [softhsm2-util]=softhsm2
  [pkcs11-tool]=opensc
  [openssl]=openssl
  [notary]=notary
  [notary-server]=notary
  [chromium]=chromium
  [Xvfb]=xvfb
  [pdftoppm]=poppler-utils
  [zbarimg]=zbar-tools
  [docker-registry]=docker-registry
  [shellcheck]=shellcheck
  [swtpm]=swtpm
  [tpm2_startup]=tpm2-tools
  [tpm2-abrmd]=tpm2-abrmd
  [tpm2_ptool]=libtpm2-pkcs11-tools
  [dbus-daemon]=dbus-daemon
  [pkcsslotd]=opencryptoki
  [unshare]=util-linux
  # tuf-on-ci-shaped test repositories are written by Python's own json.dumps (test/helpers/tuf-on-ci.ts)
  [python3]=python3
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
# second and third PKCS#11 modules (token tier): tpm2-pkcs11 on swtpm, openCryptoki soft token
[ -e /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so ] || missing+=(libtpm2-pkcs11-1)
ls /usr/lib/*/libtss2-tcti-tabrmd.so* >/dev/null 2>&1 || missing+=(libtss2-tcti-tabrmd0)
[ -e /usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so ] || missing+=(libopencryptoki0)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
line="apt-get update && apt-get install -y --no-install-recommends ${pkgs}"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${pkgs}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends ${pkgs} >/dev/null
  echo "system-deps: installed ${pkgs}" >&2
  exit 0
fi
echo "keyceremony needs system packages that are not installed: ${pkgs}" >&2
echo "Run as root (or with sudo):" >&2
echo "  ${line}" >&2
exit 1
