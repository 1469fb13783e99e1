/**
 * The engine's BackupService over the backup modules (electron/adapters/pkcs11/backup.ts wraps the
 * key under a Shamir-split session KEK; electron/core/backup does shares and verification).
 * Shares go to custodians through the ShareSink and come back for verify-every-share; the returned
 * receipts carry index, custodian and the set's check value only. Share buffers are zeroed.
 */
import { fromHex, fromUtf8, utf8, zeroize } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import { backupToJson, checkMembership, expectationOf, parseBackup, parseShareText, shareToText, verifyEveryShare, type LabeledShare } from '../../core/backup';
import type { BackupService, ShareReceipt } from '../../core/ceremony/types';
import { createBackup, reconstructKek, recoverOntoToken } from '../pkcs11/backup';
import type { Pkcs11Module } from '../pkcs11';
import type { TokenJournal } from '../pkcs11/types';

export function pkcs11BackupService(mod: Pkcs11Module, now: () => Date = () => new Date(), journal?: TokenJournal): BackupService {
  return {
    async backupKey(i) {
      const sel = i.token.serial ? { serial: i.token.serial, label: i.token.label } : { label: i.token.label };
      const made = await mod.withSession(sel, { pin: i.pin, rw: true }, (s) =>
        createBackup(s, {
          key: { label: i.key.label, id: fromHex(i.key.idHex) },
          m: i.threshold,
          n: i.shares,
          custodians: i.holders ?? i.custodians,
          soPin: i.soPin,
          userPin: i.pin,
          now,
        }),
      );
      const collected: LabeledShare[] = [];
      try {
        if (made.backup.key.fingerprint !== i.key.fingerprint) {
          throw new KeyceremonyError('VERIFICATION_FAILED', 'The backup is of a different key than the ceremony recorded.', { where: i.key.label });
        }
        for (const sh of made.shares) {
          const who = i.custodians[sh.index - 1] ?? `custodian ${sh.index}`;
          // the share names its holder as the backup file does (checked against it at recovery)
          const text = utf8(shareToText({ ...sh, custodian: i.holders?.[sh.index - 1] ?? who }));
          try {
            await i.sink.deliver(who, sh.index, i.shares, text);
          } finally {
            zeroize(text);
          }
        }
        for (const sh of made.shares) {
          const who = i.custodians[sh.index - 1] ?? `custodian ${sh.index}`;
          const back = await i.sink.collect(who, sh.index);
          try {
            collected.push({ share: parseShareText(fromUtf8(back), `share ${sh.index} (${who})`), label: `share ${sh.index} (${who})` });
          } finally {
            zeroize(back);
          }
        }
        const report = await verifyEveryShare(collected, expectationOf(made.backup));
        const receipts: ShareReceipt[] = made.shares.map((sh) => ({
          index: sh.index,
          custodian: i.custodians[sh.index - 1] ?? '',
          checkValue: `set ${made.facts.setId} kcv ${made.facts.kcv} #${sh.index}`,
          verified: report.verified.includes(sh.index) && report.everySubsetReconstructs,
        }));
        return {
          files: [{ path: `backup/${i.key.label}.backup.json`, bytes: utf8(backupToJson(made.backup)), kind: 'backup' }],
          receipts,
          mechanism: `${made.facts.mechanism}${made.facts.trustedKek ? ' (session KEK trusted by the SO)' : ''}; ${report.subsetsCombined}/${report.subsetsTotal} ${i.threshold}-subsets combined`,
        };
      } finally {
        made.shares.forEach((s) => zeroize(s.body));
        collected.forEach((c) => zeroize(c.share.body));
      }
    },

    async restoreKey(i) {
      const backup = await parseBackup(fromUtf8(i.backupFile));
      const shares: LabeledShare[] = [];
      const expect = expectationOf(backup);
      const from: string[] = [];
      try {
        const got = await i.sink.gather({
          needed: backup.shareSet.m,
          total: backup.shareSet.n,
          setId: backup.shareSet.id,
          custodians: i.custodians,
          holders: backup.shareSet.custodians,
          check: (text, entered) => {
            const s = parseShareText(fromUtf8(text), 'this share');
            try {
              checkMembership([{ share: s, label: 'this share' }], expect);
              if (entered.includes(s.index)) {
                throw new KeyceremonyError(
                  'SHARE_DUPLICATE',
                  `Share ${s.index} was entered already; each share counts once. The next custodian types theirs.`,
                  { where: 'share', details: { index: s.index } },
                );
              }
              return { index: s.index };
            } finally {
              zeroize(s.body);
            }
          },
        });
        for (const g of got) {
          try {
            const share = parseShareText(fromUtf8(g.text), `share from ${g.custodian}`);
            shares.push({ share, label: `share ${share.index} (from ${g.custodian})` });
            from.push(g.custodian);
          } finally {
            zeroize(g.text);
          }
        }
        let kek: Uint8Array;
        try {
          kek = await reconstructKek(backup, shares);
        } catch (e) {
          i.sink.forget?.(); // these shares do not open the backup: a retry asks again
          throw e;
        }
        const sel = i.token.serial ? { serial: i.token.serial, label: i.token.label } : { label: i.token.label };
        let r: Awaited<ReturnType<typeof recoverOntoToken>>;
        try {
          r = await mod.withSession(sel, { pin: i.pin, rw: true }, (s) => recoverOntoToken(s, backup, kek, journal ? { journal, now } : { now }));
        } finally {
          zeroize(kek); // also when the token is missing or the PIN is wrong
        }
        return {
          key: {
            label: r.key.label,
            idHex: r.key.idHex,
            keyType: r.key.keyType,
            publicKeySpki: r.key.publicKeySpki,
            fingerprint: r.key.fingerprint,
            created: true,
            mechanism: backup.wrap.mechanism,
          },
          receipts: shares.map((s, k) => ({
            index: s.share.index,
            custodian: from[k] ?? '',
            checkValue: `set ${backup.shareSet.id} kcv ${backup.wrap.kekCheckValue} #${s.share.index}`,
            verified: true,
          })),
        };
      } finally {
        shares.forEach((s) => zeroize(s.share.body));
      }
    },
  };
}
