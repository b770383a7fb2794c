import { runCommand, type CommandResult } from '../util/run-command.ts';
import { AgentError } from '../util/errors.ts';

/**
 * iproute2, the adapter between the network services and the kernel: `-j` to read state,
 * `-n <namespace>` to act inside a named namespace without an extra `ip netns exec`. An empty
 * namespace means the caller's own (amphora-interface runs inside the namespace already).
 */
export const IP_COMMAND = 'ip';
const TIMEOUT_MS = 10_000;

export class IpCommandError extends AgentError {
  readonly output: string;
  constructor(args: readonly string[], result: CommandResult) {
    super(`ip ${args.join(' ')}: ${result.output.trim() || `exit ${result.exitCode}`}`);
    this.output = result.output;
  }
}

function withNamespace(namespace: string, args: readonly string[]): string[] {
  return namespace ? ['-n', namespace, ...args] : [...args];
}

export async function ip(namespace: string, args: readonly string[]): Promise<CommandResult> {
  return runCommand(IP_COMMAND, withNamespace(namespace, args), { timeoutMs: TIMEOUT_MS });
}

/** Runs `ip`, throwing on a non-zero exit. */
export async function ipOrThrow(namespace: string, args: readonly string[]): Promise<void> {
  const result = await ip(namespace, args);
  if (result.exitCode !== 0) throw new IpCommandError(withNamespace(namespace, args), result);
}

export async function ipJson<T>(namespace: string, args: readonly string[]): Promise<T> {
  const full = ['-j', ...args];
  const result = await ip(namespace, full);
  if (result.exitCode !== 0) throw new IpCommandError(withNamespace(namespace, full), result);
  const text = result.output.trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}

export interface LinkInfo {
  ifname: string;
  address?: string;
  flags?: string[];
  mtu?: number;
  link_type?: string;
}

export function listLinks(namespace: string): Promise<LinkInfo[]> {
  return ipJson<LinkInfo[]>(namespace, ['link', 'show']);
}

export async function findLinkByMac(namespace: string, mac: string): Promise<LinkInfo | undefined> {
  const wanted = mac.toLowerCase();
  return (await listLinks(namespace)).find((link) => link.address?.toLowerCase() === wanted && link.link_type !== 'loopback');
}

export interface AddressInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  dynamic?: boolean;
  tentative?: boolean;
  permanent?: boolean;
}

export async function linkAddresses(namespace: string, ifname: string): Promise<AddressInfo[]> {
  const links = await ipJson<{ addr_info?: AddressInfo[] }[]>(namespace, ['addr', 'show', 'dev', ifname]);
  return links.flatMap((link) => link.addr_info ?? []);
}
