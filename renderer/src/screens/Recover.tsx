import type { AppInfo } from '../../../shared/ipc/contract';
import { Notice, ScreenTitle } from '../components/common';

export function Recover({ info }: { info: AppInfo }) {
  return (
    <main>
      <ScreenTitle>Recover a key onto a fresh token</ScreenTitle>
      {!info.features.backup && <Notice>Backup and recovery are not wired into this build yet.</Notice>}
    </main>
  );
}
