import type { AppInfo } from '../../../shared/ipc/contract';
import { Notice, ScreenTitle } from '../components/common';

export function Ceremony({ info }: { info: AppInfo }) {
  return (
    <main>
      <ScreenTitle>Run a ceremony</ScreenTitle>
      {!info.features.ceremony && <Notice>The ceremony engine is not wired into this build yet. Use the command line: keyceremony ceremony run.</Notice>}
    </main>
  );
}
