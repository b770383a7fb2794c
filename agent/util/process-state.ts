import { readFile } from 'node:fs/promises';

/**
 * True when `pid` names a live process. A zombie (state Z, exited but not yet reaped) counts
 * as gone: in containers the reaper may be late, and /proc/<pid> alone would lie.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The pid on the first line of a pid file, or undefined when absent or malformed. */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const first = (await readFile(path, 'utf8')).split('\n')[0]?.trim() ?? '';
    return /^\d+$/u.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

export async function isPidFileAlive(path: string): Promise<boolean> {
  const pid = await readPidFile(path);
  return pid !== undefined && (await isProcessAlive(pid));
}

/**
 * True when `pid` has a handler installed for `signalNumber` (its SigCgt mask in
 * /proc/<pid>/status). A process that re-executes itself loses its handlers until the new
 * image installs them; a signal sent in that window takes the default action or is missed.
 */
export async function catchesSignal(pid: number, signalNumber: number): Promise<boolean> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const mask = /^SigCgt:\s*([0-9a-f]+)\s*$/mu.exec(status)?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signalNumber - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}
