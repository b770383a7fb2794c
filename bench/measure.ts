import { readFile, readdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { DevPki } from '../agent/certs/dev-pki.ts';

/** Shared measuring tools for the benchmarks. */

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A process and all its descendants (the reference agent runs as several processes). */
export async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[1]) parents.set(Number(entry), Number(fields[1]));
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) {
    for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid);
  }
  return tree;
}

/**
 * RSS, PSS and USS (private pages only) in MB summed over a process tree. PSS depends on what
 * else shares the same binary at that moment; USS does not, so it is the fairest comparison.
 */
export async function treeMemory(root: number): Promise<{ rssMb: number; pssMb: number; ussMb: number; processes: number }> {
  let rssKb = 0;
  let pssKb = 0;
  let ussKb = 0;
  const pids = await processTree(root);
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    rssKb += Number(/^Rss:\s+(\d+)/mu.exec(rollup)?.[1] ?? 0);
    pssKb += Number(/^Pss:\s+(\d+)/mu.exec(rollup)?.[1] ?? 0);
    ussKb += Number(/^Private_Clean:\s+(\d+)/mu.exec(rollup)?.[1] ?? 0) + Number(/^Private_Dirty:\s+(\d+)/mu.exec(rollup)?.[1] ?? 0);
  }
  return { rssMb: round(rssKb / 1024, 1), pssMb: round(pssKb / 1024, 1), ussMb: round(ussKb / 1024, 1), processes: pids.length };
}

export async function timeIt<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await work();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

/** How many processes outside `root`'s tree map the same executable file (they share its pages). */
export async function otherMappers(root: number): Promise<number> {
  const exe = await stat(`/proc/${root}/exe`);
  const own = new Set(await processTree(root));
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/u.test(entry) || own.has(Number(entry))) continue;
    const other = await stat(`/proc/${entry}/exe`).catch(() => undefined);
    if (other && other.dev === exe.dev && other.ino === exe.ino) count++;
  }
  return count;
}

/**
 * How an executable's launcher (second line of the compiled file) starts the runtime: its
 * `NAME=value` environment and its flags, so a bench can start the same on a private copy.
 */
export function launcherRuntime(executable: string): { env: Record<string, string>; flags: string[] } {
  const launcher = readFileSync(executable, 'utf8').split('\n', 2)[1] ?? '';
  const match = /; ((?:[A-Z_]+=\S+ )*)exec "\$node" (.*) "\$self" "\$@"$/u.exec(launcher);
  if (!match) throw new Error(`${executable}: no launcher line`);
  const env = Object.fromEntries(
    match[1]!.split(' ').filter(Boolean).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  return { env, flags: match[2]!.split(' ').filter(Boolean) };
}

/**
 * The control plane's HTTPS client: Octavia's Python client (OpenSSL 3.0) offers OpenSSL 3.0's
 * default key exchange groups. Node's own default leads with the post-quantum X25519MLKEM768,
 * which no Octavia controller negotiates, so benches offer the controller's groups.
 */
export function controllerClient(pki: Pick<DevPki, 'clientPem' | 'caCertPem'>, options: { keepAlive: boolean; maxSockets?: number }): Agent {
  return new Agent({ cert: pki.clientPem, key: pki.clientPem, ca: pki.caCertPem, ecdhCurve: 'X25519:P-256:X448:P-521:P-384', ...options });
}
