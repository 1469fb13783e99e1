import { useEffect, useState } from 'react';
import type { AppInfo } from '../../shared/ipc/contract';
import { call, toUiError, type UiError } from './api';
import { ErrorBox, ModeBanner, Notice } from './components/common';
import type { ScreenName } from './nav';
import { SCREENS } from './screens/registry';

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
  const current = SCREENS.find((s) => s.name === screen) ?? SCREENS[0];

  return (
    <div className={`app mode-${info.mode}`} data-mode={info.mode}>
      <ModeBanner mode={info.mode} />
      <nav aria-label="Main">
        <ul>
          {SCREENS.filter((s) => s.nav).map((s) => (
            <li key={s.name}>
              <button type="button" aria-current={screen === s.name ? 'page' : undefined} onClick={() => setScreen(s.name)}>
                {s.title}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="screen" key={`${screen}-${visit}`}>
        {current?.render({ info, go: setScreen, screens: SCREENS })}
      </div>
    </div>
  );
}
