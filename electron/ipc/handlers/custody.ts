/**
 * Handlers of IPC area "custody" (shared/ipc/channels/custody.ts): PIN change with the tries-left
 * state, stored shares checked against their backup file, and a backup refresh whose new shares are
 * handed out one custodian at a time. Typed and new shares stay in this module's memory (zeroed when
 * forgotten, replaced, saved, or when the app quits); their words never go back to the renderer
 * except a new share, once, to its custodian.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual, utf8, zeroize } from '../../../shared/encoding/bytes';
import type { custodyChannels, PinState, RefreshView, SharesReport } from '../../../shared/ipc/channels/custody';
import {
  RESPLIT_EXPLANATION,
  ROTATE_EXPLANATION,
  backupToJson,
  checkMembership,
  expectationOf,
  parseBackup,
  parseShareText,
  shareToText,
  verifyEveryShare,
  type BackupFile,
  type LabeledShare,
  type Share,
} from '../../core/backup';
import { resplitBackup, rotateBackup } from '../../adapters/backup/refresh';
import { writeFilesInto } from '../../adapters/fs/files';
import { requireToken, summarizeToken, type AreaHandlers, type HostKit } from '../host-kit';
import type { TokenInfo } from '../deps';

function triesWords(f: TokenInfo['flags'], so: boolean): string {
  if (so ? f.soPinLocked : f.pinLocked) return 'locked';
  if (so ? f.soPinFinalTry : f.pinFinalTry) return 'one try left before it locks';
  if (so ? f.soPinCountLow : f.pinCountLow) return 'a wrong PIN was entered: few tries left';
  return 'no wrong tries reported';
}

export function custodyHandlers(kit: HostKit): AreaHandlers<typeof custodyChannels> {
  let opened: { backup: BackupFile; shares: LabeledShare[] } | null = null;
  let refresh: { view: RefreshView; backup: BackupFile; shares: Share[]; revealed: Set<number> } | null = null;
  // The new backup file once saved (no share in it): more copies can be saved (two removable media).
  let savedBackup: BackupFile | null = null;

  const forgetShares = () => {
    const n = opened?.shares.length ?? 0;
    opened?.shares.forEach((s) => zeroize(s.share.body));
    if (opened) opened.shares = [];
    return n;
  };
  const forgetRefresh = () => {
    refresh?.shares.forEach((s) => zeroize(s.body));
    refresh = null;
  };
  kit.onDispose(() => {
    forgetShares();
    forgetRefresh();
  });

  const pinState = (t: TokenInfo): PinState => ({ token: summarizeToken(t), user: triesWords(t.flags, false), so: triesWords(t.flags, true) });

  const report = async (): Promise<SharesReport> => {
    if (!opened) throw new KeyceremonyError('PRECONDITION_FAILED', 'Open the backup file first.', { where: 'backup' });
    const b = opened.backup;
    const r: SharesReport = {
      setId: b.shareSet.id,
      m: b.shareSet.m,
      n: b.shareSet.n,
      holders: b.shareSet.custodians,
      key: { label: b.key.label, fingerprint: b.key.fingerprint },
      checked: opened.shares.map((s) => ({ index: s.share.index, by: s.label })),
    };
    if (opened.shares.length >= b.shareSet.m) {
      try {
        const v = await verifyEveryShare(opened.shares, expectationOf(b));
        r.opens = {
          ok: true,
          subsets: `${v.subsetsCombined} of ${v.subsetsTotal} ${v.m}-subsets combined${v.exhaustive ? ' (all)' : ''}; KEK check value ${v.kcv}`,
        };
      } catch (e) {
        r.opens = { ok: false, message: e instanceof Error ? e.message : String(e) };
      }
    }
    return r;
  };

  const refreshView = (): RefreshView => {
    if (!refresh) throw new KeyceremonyError('PRECONDITION_FAILED', 'No backup refresh is open.', { where: 'refresh' });
    return structuredClone(refresh.view);
  };

  return {
    'kc:custody.pinState': async (req) => pinState(requireToken(kit.tokens(), req.token)),

    'kc:custody.changePin': async (req) => {
      const m = kit.tokens();
      const t = requireToken(m, req.token);
      if (req.oldPin === null) throw new KeyceremonyError('PIN_REQUIRED', 'Type the current PIN.', { where: 'oldPin' });
      await m.withSession({ serial: t.serial }, { rw: true, login: false }, async (s) =>
        s.changePin(req.so ? 'so' : 'user', utf8(req.oldPin as string), utf8(req.newPin)),
      );
      return pinState(requireToken(m, req.token));
    },

    'kc:custody.sharesOpen': async (req) => {
      forgetShares();
      savedBackup = null;
      opened = { backup: await parseBackup(req.backupText, 'backup file'), shares: [] };
      return report();
    },

    'kc:custody.sharesAdd': async (req) => {
      if (!opened) throw new KeyceremonyError('PRECONDITION_FAILED', 'Open the backup file first.', { where: 'backup' });
      const share = parseShareText(req.text, `the share typed by ${req.by}`);
      try {
        checkMembership([...opened.shares, { share, label: req.by }], expectationOf(opened.backup));
      } catch (e) {
        zeroize(share.body);
        throw e;
      }
      opened.shares.push({ share, label: req.by });
      return report();
    },

    'kc:custody.sharesForget': async () => ({ forgotten: forgetShares() }),

    'kc:custody.refreshStart': async (req) => {
      if (!opened) throw new KeyceremonyError('PRECONDITION_FAILED', 'Open the backup file first.', { where: 'backup' });
      if (req.custodians.length !== req.n) throw new KeyceremonyError('INVALID_INPUT', `Name ${req.n} custodians, one per new share.`, { where: 'custodians' });
      if (req.m > req.n) throw new KeyceremonyError('INVALID_INPUT', `The threshold ${req.m} is more than the ${req.n} shares.`, { where: 'm' });
      forgetRefresh();
      savedBackup = null;
      const previous = opened.backup;
      const set = { m: req.m, n: req.n, custodians: req.custodians };
      let made: { backup: BackupFile; shares: Share[] };
      if (req.mode === 'resplit') {
        made = await resplitBackup(previous, opened.shares, set);
        forgetShares(); // the old shares did their job
      } else {
        if (!req.token || req.pin === undefined || req.soPin === undefined || req.pin === null || req.soPin === null) {
          throw new KeyceremonyError('PIN_REQUIRED', 'Rotating needs the token holding the key, its PIN and its security officer PIN.', { where: 'token' });
        }
        const pin = req.pin;
        const soPin = req.soPin;
        made = await kit.withToken(req.token, pin, true, (s) => rotateBackup(s, previous, set, { userPin: () => utf8(pin), soPin: () => utf8(soPin) }));
      }
      refresh = {
        backup: made.backup,
        shares: made.shares.map((s) => ({ ...s, custodian: req.custodians[s.index - 1] ?? '' })),
        revealed: new Set(),
        view: {
          mode: req.mode,
          setId: made.backup.shareSet.id,
          previousSetId: previous.shareSet.id,
          m: req.m,
          n: req.n,
          custodians: req.custodians,
          fingerprint: made.backup.key.fingerprint,
          verified: [],
          explanation: req.mode === 'resplit' ? RESPLIT_EXPLANATION : ROTATE_EXPLANATION,
        },
      };
      return refreshView();
    },

    'kc:custody.refreshReveal': async (req) => {
      if (!refresh) throw new KeyceremonyError('PRECONDITION_FAILED', 'No backup refresh is open.', { where: 'refresh' });
      const s = refresh.shares.find((x) => x.index === req.index);
      if (!s) throw new KeyceremonyError('NOT_FOUND', `There is no share ${req.index}.`, { where: 'index' });
      if (refresh.revealed.has(req.index))
        throw new KeyceremonyError('CONFLICT', `Share ${req.index} was shown already; it is shown once, to its custodian.`, { where: 'index' });
      refresh.revealed.add(req.index);
      return { text: shareToText(s) };
    },

    'kc:custody.refreshConfirm': async (req) => {
      if (!refresh) throw new KeyceremonyError('PRECONDITION_FAILED', 'No backup refresh is open.', { where: 'refresh' });
      const want = refresh.shares.find((x) => x.index === req.index);
      if (!want) throw new KeyceremonyError('NOT_FOUND', `There is no share ${req.index}.`, { where: 'index' });
      const typed = parseShareText(req.text, `share ${req.index} typed back`);
      try {
        checkMembership([{ share: typed, label: `share ${req.index} typed back` }], expectationOf(refresh.backup));
        const same = typed.index === want.index && bytesEqual(typed.body, want.body);
        if (!same)
          throw new KeyceremonyError('SHARE_INVALID', `That is not share ${req.index} as it was shown; check the copy and type it again.`, { where: 'share' });
      } finally {
        zeroize(typed.body);
      }
      if (!refresh.view.verified.includes(req.index)) refresh.view.verified.push(req.index);
      refresh.view.verified.sort((a, b) => a - b);
      return refreshView();
    },

    'kc:custody.refreshSave': async (req) => {
      if (!refresh && savedBackup) {
        // another copy of the file already saved (its shares were checked and are gone from memory)
        const folder = kit.files.folder(req.folderId);
        return { folder, written: writeFilesInto(folder, [{ name: `${savedBackup.key.label}.backup.json`, bytes: backupToJson(savedBackup) }]) };
      }
      if (!refresh)
        throw new KeyceremonyError('PRECONDITION_FAILED', 'No backup refresh is open: open a backup file and make the new shares first.', { where: 'refresh' });
      const missing = refresh.shares.filter((s) => !refresh!.view.verified.includes(s.index)).map((s) => s.index);
      if (missing.length)
        throw new KeyceremonyError(
          'PRECONDITION_FAILED',
          `Share(s) ${missing.join(', ')} have not been typed back yet; every new share is checked before the new backup file is saved.`,
          { where: 'refresh' },
        );
      // The proof that the new set opens the new file, with every new share (as `backup verify-shares` does).
      await verifyEveryShare(
        refresh.shares.map((s) => ({ share: s, label: `share ${s.index}` })),
        expectationOf(refresh.backup),
      );
      const folder = kit.files.folder(req.folderId);
      const written = writeFilesInto(folder, [{ name: `${refresh.backup.key.label}.backup.json`, bytes: backupToJson(refresh.backup) }]);
      savedBackup = refresh.backup;
      forgetRefresh();
      return { folder, written };
    },
  };
}
