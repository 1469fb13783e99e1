import { useEffect, useState } from 'react';
import type { AppInfo } from '../../shared/ipc/contract';
import { call, toUiError, type UiError } from './api';
import { ErrorBox, ModeBanner, Notice } from './components/common';
import { Start } from './screens/Start';
import { Tokens } from './screens/Tokens';
import { Sign } from './screens/Sign';
import { Verify } from './screens/Verify';
import { Ceremony } from './screens/Ceremony';
import { Recover } from './screens/Recover';

export type ScreenName = 'start' | 'tokens' | 'ceremony' | 'sign' | 'recover' | 'verify';

const TITLES: Record<ScreenName, string> = {
  start: 'Start',
  tokens: 'Tokens',
  ceremony: 'Ceremony',
  sign: 'Sign',
  recover: 'Recover',
  verify: 'Verify',
};

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [screen, setScreenState] = useState<ScreenName>('start');
  // Every navigation (even to the screen already open) starts that screen afresh.
  const [visit, setVisit] = useState(0);
  const setScreen = (s: ScreenName) => {
    setScreenState(s);
    setVisit((v) => v + 1);
  };

  useEffect(() => {
    call('kc:app.info', {}).then(setInfo, (e: unknown) => setError(toUiError(e)));
  }, []);

  if (error) return <ErrorBox error={error} title="The app could not start." />;
  if (!info) return <Notice>Starting…</Notice>;

  return (
    <div className={`app mode-${info.mode}`} data-mode={info.mode}>
      <ModeBanner mode={info.mode} />
      <nav aria-label="Main">
        <ul>
          {(Object.keys(TITLES) as ScreenName[]).map((s) => (
            <li key={s}>
              <button type="button" aria-current={screen === s ? 'page' : undefined} onClick={() => setScreen(s)}>
                {TITLES[s]}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="screen" key={`${screen}-${visit}`}>
        {screen === 'start' && <Start info={info} go={setScreen} />}
        {screen === 'tokens' && <Tokens />}
        {screen === 'sign' && <Sign />}
        {screen === 'verify' && <Verify />}
        {screen === 'ceremony' && <Ceremony info={info} />}
        {screen === 'recover' && <Recover info={info} />}
      </div>
    </div>
  );
}
