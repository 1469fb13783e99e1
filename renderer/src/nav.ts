/**
 * Navigation types shared by the app shell and the screens (no screen imports here, so no cycles):
 * a screen is registered once in screens/registry.tsx with its title, whether it is in the main
 * navigation, its choice on the Start screen, and how to render it.
 */
import type { ReactNode } from 'react';
import type { AppInfo } from '../../shared/ipc/contract';

export type ScreenName = string;

export interface ScreenProps {
  info: AppInfo;
  /** Open a screen (afresh, even if it is the one already open). */
  go: (screen: ScreenName) => void;
  /** Every registered screen (the Start screen lists the choices). */
  screens: readonly ScreenDef[];
}

export interface ScreenDef {
  name: ScreenName;
  /** The navigation button's text. */
  title: string;
  /** Shown in the main navigation bar. */
  nav: boolean;
  /** A choice on the Start screen: what it is and who it is for. */
  start?: { title: string; who: string; feature?: keyof AppInfo['features'] };
  render: (p: ScreenProps) => ReactNode;
}
