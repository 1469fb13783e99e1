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
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
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
