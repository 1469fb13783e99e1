/**
 * Every screen of the app, in navigation order. Add a screen here (one entry) and it appears in the
 * navigation and, with `start`, on the Start screen.
 */
import type { ScreenDef } from '../nav';
import { Start } from './Start';
import { Tokens } from './Tokens';
import { Sign } from './Sign';
import { Verify } from './Verify';
import { Ceremony } from './Ceremony';
import { Recover } from './Recover';
import { Custody } from './Custody';
import { TufRelease } from './TufRelease';
import { SigningEvent } from './SigningEvent';
import { Cosign } from './Cosign';
import { Notary } from './Notary';
import { Expiry } from './Expiry';
import { ExportTrust } from './ExportTrust';
import { DctMigration } from './DctMigration';

export const SCREENS: readonly ScreenDef[] = [
  { name: 'start', title: 'Start', nav: true, render: (p) => <Start {...p} /> },
  { name: 'tokens', title: 'Tokens', nav: true, render: () => <Tokens /> },
  {
    name: 'ceremony',
    title: 'Ceremony',
    nav: true,
    start: { title: 'Run a ceremony', who: 'Administrator with custodians and witnesses', feature: 'ceremony' },
    render: (p) => <Ceremony info={p.info} />,
  },
  {
    name: 'sign',
    title: 'Sign',
    nav: true,
    start: { title: 'Sign', who: 'Custodian or release manager: sign a request or a file with my token', feature: 'tokens' },
    render: () => <Sign />,
  },
  {
    name: 'tuf-release',
    title: 'TUF release',
    nav: true,
    start: {
      title: 'TUF release',
      who: 'Release manager: make a TUF signing request, merge the signed copies, publish snapshot and timestamp',
      feature: 'tuf',
    },
    render: () => <TufRelease />,
  },
  {
    name: 'signing-event',
    title: 'Signing event',
    nav: true,
    start: { title: 'Signing event', who: 'Custodian: sign a tuf-on-ci / Sigstore root-signing event in place, see who signed by keyholder', feature: 'tuf' },
    render: () => <SigningEvent />,
  },
  {
    name: 'cosign',
    title: 'cosign',
    nav: true,
    start: {
      title: 'cosign',
      who: 'Release manager: sign images by digest, attest, run an m-of-n request, export bundles and admission policies',
      feature: 'tokens',
    },
    render: () => <Cosign />,
  },
  {
    name: 'notary',
    title: 'Notary',
    nav: true,
    start: {
      title: 'Notary',
      who: 'Release manager or custodian: Docker Content Trust repositories — init, targets, signers, rotation, sign, merge',
      feature: 'tokens',
    },
    render: () => <Notary />,
  },
  {
    name: 'expiry',
    title: 'Expiry',
    nav: true,
    start: {
      title: 'Expiry dashboard',
      who: 'Administrator or release manager: when each role expires, who renews it, the renewal request and a calendar',
      feature: 'tuf',
    },
    render: () => <Expiry />,
  },
  {
    name: 'export-trust',
    title: 'Trust anchors',
    nav: true,
    start: { title: 'Export trust anchors', who: 'Release manager: the TUF root clients start from, the Notary client pinning, for consumers', feature: 'tuf' },
    render: () => <ExportTrust />,
  },
  {
    name: 'dct-migration',
    title: 'Leave DCT',
    nav: true,
    start: {
      title: 'Leave Docker Content Trust',
      who: 'Release manager: every Notary tag carried over by digest to a cosign or TUF signing request',
      feature: 'tokens',
    },
    render: () => <DctMigration />,
  },
  {
    name: 'recover',
    title: 'Recover',
    nav: true,
    start: { title: 'Recover', who: 'Recovery team: restore a backed-up key onto a fresh token', feature: 'backup' },
    render: (p) => <Recover info={p.info} />,
  },
  {
    name: 'custody',
    title: 'Backups & PINs',
    nav: true,
    start: { title: 'Backups and PINs', who: 'Custodian: check my stored share, refresh a backup, change a token PIN', feature: 'backup' },
    render: () => <Custody />,
  },
  {
    name: 'verify',
    title: 'Verify',
    nav: true,
    start: { title: 'Verify', who: 'Anyone: check signatures, metadata and bundles', feature: 'verify' },
    render: (p) => <Verify info={p.info} />,
  },
];
