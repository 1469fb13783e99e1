import type { AppInfo } from '../../../shared/ipc/contract';
import { ScreenTitle } from '../components/common';
import type { ScreenName } from '../App';

const CHOICES: { screen: ScreenName; title: string; who: string; feature?: keyof AppInfo['features'] }[] = [
  { screen: 'ceremony', title: 'Run a ceremony', who: 'Administrator with custodians and witnesses', feature: 'ceremony' },
  { screen: 'sign', title: 'Sign', who: 'Custodian or release manager: sign a request or a file with my token', feature: 'tokens' },
  { screen: 'recover', title: 'Recover', who: 'Recovery team: restore a backed-up key onto a fresh token', feature: 'backup' },
  { screen: 'verify', title: 'Verify', who: 'Anyone: check signatures, metadata and bundles', feature: 'verify' },
];

export function Start({ info, go }: { info: AppInfo; go: (s: ScreenName) => void }) {
  return (
    <main aria-labelledby="start-title">
      <ScreenTitle>What are you here to do?</ScreenTitle>
      <p>
        This app works offline. It is in <strong>{info.mode}</strong> mode
        {info.mode === 'rehearsal' ? ': practice freely, nothing made here is trusted.' : ': keys and signatures made here are real.'}
      </p>
      <ul className="choices">
        {CHOICES.map((c) => {
          const available = c.feature ? info.features[c.feature] : true;
          return (
            <li key={c.screen}>
              <button type="button" className="choice" onClick={() => go(c.screen)} aria-describedby={`who-${c.screen}`}>
                {c.title}
              </button>
              <span id={`who-${c.screen}`} className="hint">
                {c.who}
                {!available && ' (not available in this build)'}
              </span>
            </li>
          );
        })}
      </ul>
      <p>
        <button type="button" onClick={() => go('tokens')}>
          Tokens and keys
        </button>
      </p>
      <p className="hint">
        Version {info.version}
        {info.module ? ` · PKCS#11 module ${info.module}` : ' · no PKCS#11 module found'}
      </p>
    </main>
  );
}
