/**
 * Build a Gamry potentiostat channel: a {@link PotentiostatChannel} on the {@link GamryBackend}
 * over a GamryCOM binding (Windows COM through `io.ts`, or an in-process one such as the
 * simulator's). The binding is injected, never built here.
 * @module
 */
import { PotentiostatChannel } from '../potentiostat/channel.js';
import { GamryBackend, type GamryBackendOptions } from './backend.js';
import type { GamryCom } from './protocol.js';

/** Create a Gamry channel named `name` on `com` (not connected yet). */
export function createGamry(name: string, com: GamryCom, options: GamryBackendOptions = {}): PotentiostatChannel {
  return new PotentiostatChannel(name, new GamryBackend(com, options));
}
