/**
 * VERIFY.sh, written at the root of every bundle (format v2, docs/bundle-format.md): a POSIX sh
 * script that checks the bundle with tools an outsider already has (coreutils, sed, awk, grep,
 * openssl). Only its first block differs between bundles: the signers' key names and the algorithm
 * of each one's signature over SHA256SUMS. `bundle verify` checks that a bundle's VERIFY.sh is
 * exactly what this function writes for its manifest, so the script and keyceremony cannot be made
 * to disagree by editing the script.
 *
 * The script is shellcheck-clean (test/pure/bundle-verify-script.test.ts runs Debian's shellcheck).
 */
import type { SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { KeyceremonyError } from '../../../shared/errors';
import { PGP_EVEN_WORDS, PGP_ODD_WORDS } from '../../../shared/pgp-words';

export interface ScriptSigner {
  /** Key name: the signature is SHA256SUMS.<name>.sig, the key keys/<name>.pub.pem. */
  name: string;
  algorithm: SignatureAlgorithm;
}

/** The algorithms VERIFY.sh knows how to check with openssl (one per key type, see bundle.ts). */
export const SCRIPT_ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256-sha256', 'ecdsa-p384-sha256', 'rsa-pss-sha256', 'ed25519'];

export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function renderVerifyScript(signers: readonly ScriptSigner[]): string {
  for (const s of signers) {
    if (!KEY_NAME.test(s.name)) throw new KeyceremonyError('INVALID_INPUT', `Key name "${s.name}" cannot name a signature file.`, { where: s.name });
    if (!SCRIPT_ALGORITHMS.includes(s.algorithm))
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `VERIFY.sh cannot check ${s.algorithm} signatures.`, { where: s.name });
  }
  const list = signers.map((s) => `${s.name} ${s.algorithm}`).join('\n');
  return HEAD.replace('@SIGNERS@', list) + BODY.replace('@EVEN@', PGP_EVEN_WORDS.join(' ')).replace('@ODD@', PGP_ODD_WORDS.join(' '));
}

const HEAD = `#!/bin/sh
# VERIFY.sh: check this keyceremony bundle with standard tools only (no keyceremony, node, python
# or jq). Run it inside the bundle folder:
#
#   sh VERIFY.sh
#
# Exit 0 when everything below holds; 1 naming each check that fails; 2 when a tool is missing.
#   1. SHA256SUMS is well formed and lists every file of the bundle (none added, none missing)
#      with its SHA-256, and every file matches;
#   2. each signer's detached signature over SHA256SUMS verifies with the signer's public key in
#      keys/ (openssl);
#   3. the transcript's hash chain holds line by line: each line starts with
#      {"prev":"<SHA-256 of the previous line, its line feed included>","seq":<line number - 1>,
#   4. the hash of the transcript's last line and its number of entries are the ones manifest.json
#      records.
# It prints each signer's fingerprint (SHA-256 of the public key's DER) in hex and as PGP words:
# compare them with the fingerprints read aloud at the ceremony. That comparison is what ties the
# bundle to the keys made in the room; the checks above tie every byte of the bundle to those keys.
# Tools: sh, sha256sum, base64, wc, head, tail, tr, cut, od, sed, awk, grep, openssl (3.0 or later).
# Format: keyceremony bundle v2, docs/bundle-format.md in the keyceremony repository.

# ---- written for this bundle when it was sealed: who signed SHA256SUMS, and with what ----
SIGNERS='
@SIGNERS@
'
`;

const BODY = `# ---- from here on, the same in every bundle of this format ----

set -u
LC_ALL=C
export LC_ALL
for tool in sha256sum base64 wc head tail tr cut od sed awk grep openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "VERIFY.sh: needs $tool on the PATH" >&2; exit 2; }
done
case $0 in
  */*) cd "\${0%/*}" || exit 2 ;;
  *) ;;
esac

SUMS=SHA256SUMS
TRANSCRIPT=transcript.jsonl
MANIFEST=manifest.json
GENESIS=0000000000000000000000000000000000000000000000000000000000000000
EVEN='@EVEN@'
ODD='@ODD@'

problems=0
fail() {
  problems=$((problems + 1))
  printf 'FAIL  %s\\n' "$*"
}
pass() {
  printf 'ok    %s\\n' "$*"
}

# words HEX: the PGP words of a hex fingerprint (even bytes from the even list, odd from the odd)
words() {
  printf '%s\\n' "$1" | awk -v even="$EVEN" -v odd="$ODD" '
    BEGIN { split(even, E, " "); split(odd, O, " "); hex = "0123456789abcdef" }
    {
      out = ""
      for (i = 1; i < length($0); i += 2) {
        b = (index(hex, substr($0, i, 1)) - 1) * 16 + index(hex, substr($0, i + 1, 1)) - 1
        w = (((i - 1) / 2) % 2 == 0) ? E[b + 1] : O[b + 1]
        out = out (out == "" ? "" : " ") w
      }
      print out
    }'
}

# manifest NAME PATTERN / mstring NAME PATTERN: the value of a member of manifest.json as keyceremony
# writes it (one member per line; mstring drops the quotes of a string)
manifest() {
  sed -n "s/^ *\\"$1\\": \\($2\\),\\{0,1\\}$/\\1/p" "$MANIFEST" 2>/dev/null | head -n 1
}
mstring() {
  sed -n "s/^ *\\"$1\\": \\"\\($2\\)\\",\\{0,1\\}$/\\1/p" "$MANIFEST" 2>/dev/null | head -n 1
}

if [ "$(manifest rehearsal 'true')" = true ]; then
  echo '*** REHEARSAL: NOT FOR PRODUCTION ***'
fi
printf 'bundle: %s\\n' "$(mstring title '.*')"
printf 'run:    %s, sealed %s\\n' "$(mstring runId '[0-9a-f]*')" "$(mstring sealedAt '[0-9TZ:.-]*')"

# 1. SHA256SUMS: well formed, plain relative paths, each once, every file present and matching
sums_ok=0
if [ ! -f "$SUMS" ]; then
  fail "$SUMS is missing"
else
  sums_ok=1
  bad=$(grep -vnE '^[0-9a-f]{64}  [A-Za-z0-9._-][A-Za-z0-9._/-]*$' "$SUMS" | head -n 1)
  if [ -n "$bad" ]; then
    fail "$SUMS: line \${bad%%:*} is not '<64 hex digits><2 spaces><relative path>'"
    sums_ok=0
  fi
  bad=$(cut -c67- "$SUMS" | grep -nE '(^|/)[.][.]?(/|$)|//|/$|^SHA256SUMS' | head -n 1)
  if [ -n "$bad" ]; then
    fail "$SUMS: line \${bad%%:*} names a path outside the bundle, a folder, or the checksum file itself"
    sums_ok=0
  fi
  dup=$(cut -c67- "$SUMS" | awk 'seen[$0]++ { print; exit }')
  if [ -n "$dup" ]; then
    fail "$SUMS: $dup is listed twice"
    sums_ok=0
  fi
  if [ "$sums_ok" = 1 ]; then
    if out=$(sha256sum -c "$SUMS" 2>&1); then
      pass "$SUMS: all $(wc -l <"$SUMS" | tr -d ' ') files match their SHA-256"
    else
      printf '%s\\n' "$out" | grep -v ': OK$' | sed 's/^/      /'
      fail "$SUMS: files above are missing or do not match"
    fi
  fi
fi

# 2. no file that SHA256SUMS does not list (other than SHA256SUMS and the signers' signatures)
is_signer() {
  printf '%s\\n' "$SIGNERS" | cut -d ' ' -f 1 | grep -qxF -- "$1"
}
listed() {
  cut -c67- "$SUMS" | grep -qxF -- "$1"
}
walk() {
  for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    rel=\${f#./}
    if [ -L "$f" ]; then
      fail "$rel: a symbolic link (a bundle holds regular files only)"
    elif [ -d "$f" ]; then
      walk "$f"
    elif [ ! -f "$f" ]; then
      fail "$rel: not a regular file"
    else
      case $rel in
        "$SUMS") ;;
        "$SUMS".*.sig)
          name=\${rel#"$SUMS".}
          is_signer "\${name%.sig}" || fail "$rel: a signature by a key that is not one of this bundle's signers"
          ;;
        *) listed "$rel" || fail "$rel: not in $SUMS (added after the bundle was sealed)" ;;
      esac
    fi
  done
}
if [ -f "$SUMS" ]; then
  extra=$problems
  walk .
  [ "$problems" != "$extra" ] || pass "no file outside $SUMS"
fi

# 3. each signer's signature over SHA256SUMS, checked with its public key; fingerprints printed
verify_sig() { # ALGORITHM KEY SIGNATURE
  case $1 in
    ecdsa-p256-sha256 | ecdsa-p384-sha256)
      openssl dgst -sha256 -verify "$2" -signature "$3" "$SUMS" >/dev/null 2>&1
      ;;
    rsa-pss-sha256)
      openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 \\
        -verify "$2" -signature "$3" "$SUMS" >/dev/null 2>&1
      ;;
    ed25519)
      openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in "$SUMS" -sigfile "$3" >/dev/null 2>&1
      ;;
    *) return 3 ;;
  esac
}
signers=0
while read -r name alg; do
  [ -n "$name" ] || continue
  signers=$((signers + 1))
  key=keys/$name.pub.pem
  sig=$SUMS.$name.sig
  if [ ! -f "$key" ]; then
    fail "$key: missing (the public key of signer $name)"
    continue
  fi
  fp=$(sed '/^-----/d' "$key" | tr -d '\\r\\n' | base64 -d 2>/dev/null | sha256sum | cut -c1-64)
  printf 'signer %s (%s)\\n  fingerprint %s\\n  words       %s\\n' "$name" "$alg" "$fp" "$(words "$fp")"
  if [ ! -f "$sig" ]; then
    fail "$sig: missing (the signature of $name over $SUMS)"
  elif [ ! -f "$SUMS" ]; then
    fail "$sig: nothing to check it against"
  elif verify_sig "$alg" "$key" "$sig"; then
    pass "$sig: verifies with $key"
  else
    fail "$sig: does NOT verify with $key ($alg)"
  fi
done <<EOF
$SIGNERS
EOF
[ "$signers" -gt 0 ] || fail "this script names no signers"

# 4. the transcript's hash chain, line by line, up to the head manifest.json records
if [ ! -f "$TRANSCRIPT" ]; then
  fail "$TRANSCRIPT is missing"
else
  n=0
  prev=$GENESIS
  broken=0
  if [ -s "$TRANSCRIPT" ] && [ "$(tail -c 1 "$TRANSCRIPT" | od -An -tx1 | tr -d ' \\n')" != 0a ]; then
    fail "$TRANSCRIPT: the last line has no line feed (a torn write, or bytes added after the last entry)"
    broken=1
  fi
  while IFS= read -r line; do
    case $line in
      "{\\"prev\\":\\"$prev\\",\\"seq\\":$n,\\""*) ;;
      *)
        got=$(printf '%s\\n' "$line" | sed -n 's/^{"prev":"[0-9a-f]\\{64\\}","seq":\\([0-9]\\{1,15\\}\\),".*/\\1/p')
        if [ -z "$got" ]; then
          fail "$TRANSCRIPT: line $((n + 1)): not a transcript line (a line begins {\\"prev\\":\\"<64 hex>\\",\\"seq\\":<n>,)"
        elif [ "$got" -gt "$n" ]; then
          fail "$TRANSCRIPT: line $((n + 1)): entry $n is missing (found entry $got in its place)"
        elif [ "$got" -lt "$n" ]; then
          fail "$TRANSCRIPT: line $((n + 1)): entry $got is out of order (expected entry $n)"
        else
          fail "$TRANSCRIPT: line $((n + 1)): entry $n does not chain to line $n (previous-hash mismatch): line $n was altered, or this line was"
        fi
        broken=1
        break
        ;;
    esac
    prev=$(printf '%s\\n' "$line" | sha256sum | cut -c1-64)
    n=$((n + 1))
  done <"$TRANSCRIPT"
  if [ "$broken" = 0 ]; then
    mhead=$(mstring head '[0-9a-f]\\{64\\}')
    entries=$(manifest entries '[0-9]\\{1,15\\}')
    if [ "$prev" != "$mhead" ]; then
      fail "$TRANSCRIPT: the hash of its last line is not the head $MANIFEST records (the last line was altered, or lines were added or removed at the end)"
    elif [ "$n" != "$entries" ]; then
      fail "$TRANSCRIPT: $n entries, $MANIFEST records $entries"
    else
      pass "$TRANSCRIPT: $n entries chained, line by line, to the head $MANIFEST records ($prev)"
    fi
  fi
fi

if [ "$problems" -eq 0 ]; then
  echo "VERIFIED: every file is the one the signers above sealed; compare their fingerprints with the ones read aloud."
  exit 0
fi
echo "NOT VERIFIED: $problems problem(s), each marked FAIL above."
exit 1
`;
