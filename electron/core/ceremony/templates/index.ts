/** Built-in ceremony templates (`keyceremony ceremony template NAME > file.json`). */
import cosignKey from './cosign-key.json';
import notaryRepository from './notary-repository.json';
import recovery from './recovery.json';
import tufDelegation from './tuf-delegation.json';
import tufRoot from './tuf-root.json';
import tufRootRotation from './tuf-root-rotation.json';

export const TEMPLATES: Record<string, { summary: string; script: unknown }> = {
  'tuf-root': { summary: 'New TUF repository: n root keys on n custodian tokens, threshold t, online keys, first signed metadata', script: tufRoot },
  'tuf-root-rotation': { summary: 'TUF root rotation: new root keys, root N+1 signed by old and new', script: tufRootRotation },
  'tuf-delegation': { summary: 'Delegation key ceremony for a release team', script: tufDelegation },
  'cosign-key': { summary: 'cosign signing key with an m-of-n backup', script: cosignKey },
  'notary-repository': { summary: 'Notary v1 / Docker Content Trust repository keys', script: notaryRepository },
  recovery: { summary: 'Recovery: restore a key from its m-of-n backup onto a new token', script: recovery },
};

/** The template as the text users copy (2-space JSON, final newline). */
export function templateText(name: string): string | undefined {
  const t = TEMPLATES[name];
  return t ? JSON.stringify(t.script, null, 2) + '\n' : undefined;
}
