/**
 * Core benchmark: Status creation + completion, and soft signal put/get, each against a baseline
 * measured in the same run (a bare Promise, a plain Map).
 */
import { Status } from '../src/core/status.js';
import { softSignalRW } from '../src/core/signal/index.js';
import { header, opsPerSecond, row } from './util.js';

/** Measure core primitives; returns rates (operations per second) by name. */
export async function benchCore(): Promise<Record<string, number>> {
  header('core: Status');
  const promiseRate = await opsPerSecond(async (n) => {
    for (let i = 0; i < n; i++) {
      let resolve!: () => void;
      const p = new Promise<void>((r) => (resolve = r));
      resolve();
      await p;
    }
  });
  row('baseline: new Promise + resolve + await', promiseRate);
  const statusSync = await opsPerSecond((n) => {
    for (let i = 0; i < n; i++) {
      const s = new Status();
      s.addCallback(() => {});
      s.setFinished();
    }
  });
  row('Status create + callback + setFinished', statusSync, 'Promise', promiseRate);
  const statusAwait = await opsPerSecond(async (n) => {
    for (let i = 0; i < n; i++) {
      const s = new Status();
      s.setFinished();
      await s;
    }
  });
  row('Status create + setFinished + await', statusAwait, 'Promise', promiseRate);
  const out: Record<string, number> = { promiseRate, statusSync, statusAwait };

  header('core: soft signal');
  const map = new Map<string, number>();
  const mapRate = await opsPerSecond((n) => {
    for (let i = 0; i < n; i++) {
      map.set('x', i);
      map.get('x');
    }
  });
  row('baseline: Map set + get', mapRate);
  out['mapRate'] = mapRate;
  const sig = softSignalRW(0, { name: 'x', units: 'mm' });
  await sig.connect();
  const putGet = await opsPerSecond(async (n) => {
    for (let i = 0; i < n; i++) {
      await sig.set(i);
      await sig.getValue();
    }
  });
  row('soft signal set + await + getValue', putGet, 'Map', mapRate);
  out['softSignalPutGet'] = putGet;
  const promiseMap = await opsPerSecond(async (n) => {
    for (let i = 0; i < n; i++) {
      map.set('x', i);
      await Promise.resolve();
      await Promise.resolve(map.get('x'));
    }
  });
  row('baseline: Map set + get with two awaits', promiseMap);
  row('soft signal set + await + getValue', putGet, 'Map with awaits', promiseMap);
  out['promiseMap'] = promiseMap;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`node ${process.version}`);
  await benchCore();
}
