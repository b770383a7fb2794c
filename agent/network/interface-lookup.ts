import { isIP } from 'node:net';
import { ipToBigInt } from '../util/ip.ts';
import { runCommand } from '../util/run-command.ts';
import { isNamespaceName, namespacePath } from './raw-sockets.ts';
import { nodeFs } from '../util/builtins.ts';

const { existsSync } = nodeFs;

/** One address configured on a link of the namespace. */
export interface NamespaceAddress {
  ifname: string;
  ifindex: number;
  /** The link's MAC (`aa:bb:…`); undefined for links without one. */
  mac: string | undefined;
  family: 4 | 6;
  /** As the kernel reports it (compressed text). */
  address: string;
}

interface IpAddrLink {
  ifindex: number;
  ifname: string;
  address?: string;
  addr_info?: { family?: string; local?: string }[];
}

/** Address identity independent of spelling (`::1` and `0:0:…:1` are one address). */
export function addressKey(address: string): string | undefined {
  // An IPv6 zone (`fe80::1%eth1`) does not change which address it is.
  const bare = address.includes(':') ? (address.split('%')[0] ?? '') : address;
  const family = isIP(bare);
  if (family === 0) return undefined;
  return `${family}:${ipToBigInt(bare).toString(16)}`;
}

/** Whether the named namespace exists (empty name: the agent's own, which always does). */
export function namespaceExists(namespace: string): boolean {
  return !namespace || (isNamespaceName(namespace) && existsSync(namespacePath(namespace)));
}

/**
 * Every address of every link inside `namespace` (empty: the agent's own), from one
 * `ip -json addr` call. A namespace that does not exist has no addresses (nothing is created:
 * plugging creates it). Throws when `ip` fails on an existing namespace.
 */
export async function listNamespaceAddresses(namespace: string): Promise<NamespaceAddress[]> {
  if (!namespaceExists(namespace)) return [];
  const args = namespace ? ['-n', namespace, '-j', 'addr', 'show'] : ['-j', 'addr', 'show'];
  const result = await runCommand('ip', args, { timeoutMs: 5_000 });
  if (result.exitCode !== 0) throw new Error(`ip addr show failed: ${result.output.trim()}`);
  const links = JSON.parse(result.output) as IpAddrLink[];
  const addresses: NamespaceAddress[] = [];
  for (const link of links) {
    for (const info of link.addr_info ?? []) {
      if (!info.local || (info.family !== 'inet' && info.family !== 'inet6')) continue;
      addresses.push({
        ifname: link.ifname,
        ifindex: link.ifindex,
        mac: link.address && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/u.test(link.address) ? link.address : undefined,
        family: info.family === 'inet' ? 4 : 6,
        address: info.local,
      });
    }
  }
  return addresses;
}

/** The first address of `addresses` equal to `address` (any spelling), as the reference scans. */
export function findAddress(addresses: readonly NamespaceAddress[], address: string): NamespaceAddress | undefined {
  const key = addressKey(address);
  return key === undefined ? undefined : addresses.find((candidate) => addressKey(candidate.address) === key);
}

export type InterfaceLookup = { found: true; ifname: string } | { found: false; reason: 'invalid-address' | 'not-found' };

/** GET /1.0/interface/{ip} (§10): the name of the link holding `address` inside `namespace`. */
export async function lookupInterface(namespace: string, address: string): Promise<InterfaceLookup> {
  if (addressKey(address) === undefined) return { found: false, reason: 'invalid-address' };
  const match = findAddress(await listNamespaceAddresses(namespace), address);
  return match ? { found: true, ifname: match.ifname } : { found: false, reason: 'not-found' };
}
