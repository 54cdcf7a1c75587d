/**
 * The Tango addon's event host: a Node child process (forked by `addon.ts` with an IPC channel,
 * `serialization: 'advanced'` so typed arrays pass) that loads the same native addon, opens its
 * own `Tango::DeviceProxy` to the device and makes the change-event subscriptions there, sending
 * every reply and event to the parent in the order the addon delivers them. Debian's cppTango 9.3
 * crashes a process whose event consumer lost a channel to a restarted server (decision 0017);
 * here that crash ends only this process, which the parent supervises and replaces.
 *
 * Started as `node [--import tsx] addon-event-host.(ts|js) ADDON_PATH`. It says {@link HostReady}
 * once listening, then serves {@link HostRequest}s, answering each with a {@link HostReply}
 * (`k: 0`) and sending events as `k: 1`. It ends only by SIGKILL: from the parent, or from itself
 * when the parent goes away (IPC disconnect) or on SIGTERM/SIGINT/SIGHUP — so no cppTango static
 * destructor or exit handler ever runs (they can hang or crash on Debian's cppTango 9.3).
 * @module
 */
import { createRequire } from 'node:module';

/** A request from the parent: connect the host's proxy, subscribe, unsubscribe. */
export type HostRequest =
  | { op: 'connect'; id: number; name: string; ms: number }
  | { op: 'subscribe'; id: number; attr: string; sub: number; ms: number }
  | { op: 'unsubscribe'; id: number; sub: number };

/** The host's first message: it loaded the addon and listens. */
export interface HostReady {
  k: 2;
}

/** A reply (`k: 0`, to request `id`) or an event (`k: 1`, of subscription `id`), as the addon dispatched it. */
export interface HostReply {
  k: 0 | 1;
  id: number;
  ok: boolean;
  v: unknown;
}

/** Any message of the host. */
export type HostMessage = HostReady | HostReply;

interface Native {
  connect(id: number, name: string, ms: number): void;
  subscribe(id: number, attr: string, sub: number, ms: number): void;
  unsubscribe(id: number, sub: number): void;
  ref(): void;
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL of oneself is delivered before kill() returns; never reached.
  throw new Error('unreachable');
}

function main(): void {
  const send = process.send?.bind(process);
  const addonPath = process.argv[2];
  if (!send || !addonPath) {
    process.stderr.write('labrig tango event host: run by the addon backend (forked with IPC and the addon path)\n');
    die();
  }
  // The parent gone (exit, crash, SIGKILL): its IPC channel closes; leave at once.
  process.on('disconnect', die);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, die);
  let dev: Native;
  try {
    const mod = createRequire(import.meta.url)(addonPath) as { Device: new (d: (k: number, id: number, ok: boolean, v: unknown) => void) => Native };
    dev = new mod.Device((k, id, ok, v) => {
      send({ k: k === 1 ? 1 : 0, id, ok, v } satisfies HostReply);
    });
  } catch (e) {
    process.stderr.write(`labrig tango event host: cannot load ${addonPath}: ${e instanceof Error ? e.message : String(e)}\n`);
    die();
  }
  dev.ref();
  process.on('message', (m: HostRequest) => {
    try {
      if (m.op === 'connect') dev.connect(m.id, m.name, m.ms);
      else if (m.op === 'subscribe') dev.subscribe(m.id, m.attr, m.sub, m.ms);
      else if (m.op === 'unsubscribe') dev.unsubscribe(m.id, m.sub);
      else throw new Error(`unknown request ${JSON.stringify(m)}`);
    } catch (e) {
      send({ k: 0, id: (m as { id?: number }).id ?? 0, ok: false, v: { kind: 'Native', message: e instanceof Error ? e.message : String(e) } } satisfies HostReply);
    }
  });
  send({ k: 2 } satisfies HostReady);
}

main();
