/**
 * The IPC boundary's schemas are the project's one validation vocabulary, shared/schema.ts: every
 * payload that crosses IPC is `unknown` until one of them has parsed it (Signal-Desktop `parseUnknown`
 * idea). Strict objects; every fault named with its JSON path (`where`). This module re-exports it so
 * the channel files keep their imports.
 */
export * from '../schema';
