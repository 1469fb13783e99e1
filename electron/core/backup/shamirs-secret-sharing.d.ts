// Types for shamirs-secret-sharing 2.0.1 (pure JS, ships none). It uses its own Uint8Array-based
// Buffer class and globalThis.crypto.getRandomValues: no Node built-ins, so core may import it.
declare module 'shamirs-secret-sharing' {
  interface SplitOptions {
    shares: number;
    threshold: number;
    random?: (size: number) => Uint8Array;
  }
  export function split(secret: Uint8Array, opts: SplitOptions): Uint8Array[];
  export function combine(shares: Uint8Array[]): Uint8Array;
  const sss: { split: typeof split; combine: typeof combine };
  export default sss;
}
