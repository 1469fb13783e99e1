import { existsSync } from 'node:fs';

/** Well-known PKCS#11 module locations on Linux and macOS, most specific first. */
export const WELL_KNOWN_MODULES: { name: string; paths: string[] }[] = [
  {
    name: 'SoftHSM2',
    paths: [
      '/usr/lib/softhsm/libsofthsm2.so',
      '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
      '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
      '/usr/lib64/pkcs11/libsofthsm2.so',
      '/usr/local/lib/softhsm/libsofthsm2.so',
      '/opt/homebrew/lib/softhsm/libsofthsm2.so',
      '/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so',
    ],
  },
  {
    name: 'OpenSC',
    paths: [
      '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so',
      '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so',
      '/usr/lib64/opensc-pkcs11.so',
      '/usr/lib/opensc-pkcs11.so',
      '/Library/OpenSC/lib/opensc-pkcs11.so',
      '/opt/homebrew/lib/opensc-pkcs11.so',
      '/usr/local/lib/opensc-pkcs11.so',
    ],
  },
  {
    name: 'YubiHSM 2',
    paths: [
      '/usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so',
      '/usr/lib64/pkcs11/yubihsm_pkcs11.so',
      '/usr/lib/pkcs11/yubihsm_pkcs11.so',
      '/usr/local/lib/pkcs11/yubihsm_pkcs11.dylib',
      '/opt/homebrew/lib/pkcs11/yubihsm_pkcs11.dylib',
    ],
  },
  {
    name: 'YubiKey PIV (ykcs11)',
    paths: [
      '/usr/lib/x86_64-linux-gnu/libykcs11.so',
      '/usr/lib/aarch64-linux-gnu/libykcs11.so',
      '/usr/lib64/libykcs11.so',
      '/usr/local/lib/libykcs11.dylib',
      '/opt/homebrew/lib/libykcs11.dylib',
    ],
  },
];

export interface FoundModule {
  name: string;
  path: string;
}

/** Modules present on this machine. */
export function findModules(exists: (p: string) => boolean = existsSync): FoundModule[] {
  const out: FoundModule[] = [];
  for (const m of WELL_KNOWN_MODULES) {
    const p = m.paths.find((x) => exists(x));
    if (p) out.push({ name: m.name, path: p });
  }
  return out;
}

/** The module to use: explicit path, then $KEYCEREMONY_PKCS11_MODULE, then the first well-known one. */
export function resolveModulePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit;
  if (env.KEYCEREMONY_PKCS11_MODULE) return env.KEYCEREMONY_PKCS11_MODULE;
  return findModules()[0]?.path;
}
