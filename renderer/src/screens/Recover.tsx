import type { AppInfo } from '../../../shared/ipc/contract';
import { Ceremony } from './Ceremony';

/** Recovery is the `recovery` ceremony: open the backup file, custodians type their shares, a fresh token receives the key. */
export function Recover({ info }: { info: AppInfo }) {
  return <Ceremony info={info} preset="recovery" />;
}
