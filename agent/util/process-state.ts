import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** Whether `signalNumber` is set in any of the named signal masks of /proc/<pid>/status. */
async function inSignalMasks(pid: number, signalNumber: number, fields: readonly string[]): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return fields.some((field) => {
    const mask = new RegExp(`^${field}:\\s*([0-9a-f]+)\\s*$`, 'mu').exec(status)?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signalNumber - 1)) & 1n) === 1n;
  });
}

/**
 * True when `pid` has a handler installed for `signalNumber` (its SigCgt mask). A process that
 * re-executes itself loses its handlers until the new image installs them; a signal sent in
 * that window takes the default action or is missed.
 */
export function catchesSignal(pid: number, signalNumber: number): Promise<boolean> {
  return inSignalMasks(pid, signalNumber, ['SigCgt']);
}

/**
 * True when `signalNumber` was sent to `pid` and not yet handled (its SigPnd or ShdPnd mask):
 * a stopped or busy process acts on it later.
 */
export function signalPending(pid: number, signalNumber: number): Promise<boolean> {
  return inSignalMasks(pid, signalNumber, ['SigPnd', 'ShdPnd']);
}

/**
 * The live pid in `pidFile` when its command line carries `identifyingArgument` (the daemon's
 * own config path). After a reboot a pid file's number may belong to any process.
 */
export async function verifiedPid(pidFile: string, identifyingArgument: string): Promise<number | undefined> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined || !(await isProcessAlive(pid))) return undefined;
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return commandLine.split('\0').includes(identifyingArgument) ? pid : undefined;
}

/** Sends `name` to `pid` (a negative pid: its process group); false when it is already gone. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone or `deadline` (epoch ms) passes; true when it is gone. */
export async function exitsBy(pid: number, deadline: number): Promise<boolean> {
  while ((await isProcessAlive(pid)) && Date.now() < deadline) await sleep(10);
  return !(await isProcessAlive(pid));
}
