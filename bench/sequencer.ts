/**
 * Sequencer benchmark (issue 12): a 10,000-node sequence and 1,000 parallel branches, with the
 * heap before and after (after a GC) to show memory stays flat, and the node-scheduling overhead
 * per node against a bare async loop calling the same function, measured in the same run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SequenceRunner, actionNode, loop, parallel, sequence, type SeqNode } from '../src/core/sequencer/index.js';
import { header } from './util.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const work = async (): Promise<void> => undefined;

function flat(n: number): SeqNode {
  const kids: SeqNode[] = [];
  for (let i = 0; i < n; i++) kids.push(actionNode(`n${i}`, work));
  return sequence('root', kids);
}

async function bare(n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await work();
  return performance.now() - t0;
}

async function seq(root: SeqNode): Promise<number> {
  const t0 = performance.now();
  const r = await new SequenceRunner(root).run();
  if (r.state !== 'finished') throw new Error(`sequence ${r.state}`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Run the sequencer benchmark and print its figures. */
export async function benchSequencer(): Promise<void> {
  header('sequencer (issue 12): scheduling overhead and memory');
  const N = 10_000;
  const tree = flat(N);
  await seq(tree);
  await bare(N);
  const h0 = heapMiB();
  const tSeq: number[] = [];
  const tBare: number[] = [];
  for (let k = 0; k < 7; k++) {
    tBare.push(await bare(N));
    tSeq.push(await seq(tree));
  }
  const h1 = heapMiB();
  const s = median(tSeq);
  const b = median(tBare);
  console.log(`  10,000-node sequence: ${s.toFixed(1)} ms (median of 7); bare async loop ${b.toFixed(2)} ms`);
  console.log(`  per node: sequencer ${((s * 1000) / N).toFixed(2)} µs, bare loop ${((b * 1000) / N).toFixed(3)} µs, overhead ${(((s - b) * 1000) / N).toFixed(2)} µs/node, ratio ${(s / b).toFixed(1)}x vs bare async loop`);
  console.log(`  heap after GC: before 7 runs ${h0.toFixed(1)} MiB, after ${h1.toFixed(1)} MiB (delta ${(h1 - h0).toFixed(2)} MiB)`);

  // A loop of 10,000 iterations over one node: the same nodes run again and again.
  const lp = loop('l', [actionNode('x', work)], { times: N });
  await seq(lp);
  const l0 = heapMiB();
  const tl = await seq(lp);
  await seq(lp);
  const l1 = heapMiB();
  console.log(`  10,000-iteration loop: ${tl.toFixed(1)} ms (${((tl * 1000) / N).toFixed(2)} µs/iteration); heap ${l0.toFixed(1)} → ${l1.toFixed(1)} MiB`);

  // 1,000 parallel branches, each a two-node sequence waiting a timer tick.
  const P = 1000;
  const branches: SeqNode[] = [];
  for (let i = 0; i < P; i++) branches.push(sequence(`b${i}`, [actionNode(`b${i}.a`, () => new Promise((r) => setTimeout(r, 1))), actionNode(`b${i}.b`, work)]));
  const par = parallel('par', branches);
  await seq(par);
  const p0 = heapMiB();
  const tp: number[] = [];
  for (let k = 0; k < 5; k++) tp.push(await seq(par));
  const p1 = heapMiB();
  console.log(`  1,000 parallel branches (3,001 nodes): ${median(tp).toFixed(1)} ms (median of 5); heap ${p0.toFixed(1)} → ${p1.toFixed(1)} MiB (delta ${(p1 - p0).toFixed(2)} MiB)`);
}
