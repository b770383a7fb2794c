import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { isInterfaceName } from './interface-file.ts';
import { isMacAddress } from './ip-address.ts';

/**
 * The plugged-interfaces registry (lines that are not a MAC and an interface name are ignored): `<mac> <name>` per line, the MACs of every port moved into the
 * namespace and the names they got, read at boot to move them back in after a reboot.
 */
export interface PluggedEntry {
  mac: string;
  name: string;
}

export async function readRegistry(path: string): Promise<PluggedEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/u))
    .filter((fields): fields is [string, string] => fields.length >= 2 && isMacAddress(fields[0]!) && isInterfaceName(fields[1]!))
    .map(([mac, name]) => ({ mac: mac.toLowerCase(), name }));
}

/** Adds the line unless the MAC is already recorded; true when it was added. */
export async function recordPlugged(path: string, mac: string, name: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const macs = text.split('\n').map((line) => line.trim().split(/\s+/u)[0]?.toLowerCase());
  if (macs.includes(mac.toLowerCase())) return false;
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  await writeFileAtomic(path, `${base}${mac.toLowerCase()} ${name}\n`, { mode: 0o644 });
  return true;
}

/** Undoes recordPlugged when the plug that added the line fails. */
export async function forgetPlugged(path: string, mac: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const kept = text.split('\n').filter((line) => line.trim() !== '' && line.trim().split(/\s+/u)[0]?.toLowerCase() !== mac.toLowerCase());
  await writeFileAtomic(path, kept.length > 0 ? `${kept.join('\n')}\n` : '', { mode: 0o644 });
}
