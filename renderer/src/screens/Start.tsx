import { ScreenTitle } from '../components/common';
import type { ScreenProps } from '../nav';

export function Start({ info, go, screens }: ScreenProps) {
  const choices = screens.filter((s) => s.start);
  return (
    <main aria-labelledby="start-title">
      <ScreenTitle>What are you here to do?</ScreenTitle>
      <p>
        This app works offline. It is in <strong>{info.mode}</strong> mode
        {info.mode === 'rehearsal' ? ': practice freely, nothing made here is trusted.' : ': keys and signatures made here are real.'}
      </p>
      <ul className="choices">
        {choices.map(({ name, start: c }) => {
          if (!c) return null;
          const available = c.feature ? info.features[c.feature] : true;
          return (
            <li key={name}>
              <button type="button" className="choice" onClick={() => go(name)} aria-describedby={`who-${name}`}>
                {c.title}
              </button>
              <span id={`who-${name}`} className="hint">
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
