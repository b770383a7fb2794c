import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../util/run-command.ts';
import {
  isStaticAddress,
  type InterfaceFile,
  type RouteEntry,
} from './interface-file.ts';
import { ip, ipJson, ipOrThrow, linkAddresses, type LinkInfo } from './iproute.ts';
import { ipFamily, normalisedAddress, normalisedNetwork } from './ip-address.ts';
import { loadVipFirewall } from './nftables.ts';
import { AgentError } from '../util/errors.ts';

/**
 * Brings one interface up or down from its file, as the reference's `amphora-interface` does:
 * addresses, routes (protocol static) and VIP policy rules (priority 32000) are reconciled
 * against the kernel, so running it again converges instead of duplicating.
 */

export const RULE_PRIORITY = 32000;
const DAD_WAIT_MS = 30_000;
const RETRIES = 20;
const RETRY_DELAY_MS = 200;

export interface ApplyTarget {
  /** Named namespace to act in; empty: the caller's own (the tool runs inside it). */
  namespace: string;
  /** The nftables rules file, loaded on `up` of an SR-IOV interface. */
  nftablesRules: string;
  dhclient?: string;
  sysctl?: string;
  leasesDir?: string;
}

export class InterfaceApplyError extends AgentError {
  constructor(message: string) {
    super(message);
  }
}

interface RouteInfo {
  dst: string;
  gateway?: string;
  prefsrc?: string;
  table?: string | number;
}

interface RuleInfo {
  priority: number;
  src?: string;
  srclen?: number;
  table?: string | number;
  protocol?: string | number;
}

function defaultFor(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0/0' : '::/0';
}

function routeKey(dst: string, gateway: string | undefined, prefsrc: string | undefined, table: number, family: 4 | 6): string {
  const destination = dst === 'default' ? defaultFor(family) : dst;
  return [normalisedNetwork(destination), gateway ? normalisedAddress(gateway) : '', prefsrc ? normalisedAddress(prefsrc) : '', table].join('|');
}

function tableNumber(table: string | number | undefined): number {
  if (table === undefined || table === 'main') return 254;
  if (table === 'local') return 255;
  if (table === 'default') return 253;
  return Number(table);
}

function routeFamily(route: RouteEntry): 4 | 6 {
  const address = route.dst.split('/')[0] ?? '';
  return ipFamily(address) ?? (route.gateway && ipFamily(route.gateway) === 6 ? 6 : 4);
}

/** Route add/delete: EINVAL right after address changes is retried; other errors are reported. */
async function routeCommand(namespace: string, args: string[]): Promise<string | undefined> {
  for (let attempt = 0; attempt < RETRIES; attempt += 1) {
    const result = await ip(namespace, args);
    if (result.exitCode === 0 || /File exists/u.test(result.output)) return undefined;
    if (!/Invalid argument/u.test(result.output)) return result.output.trim();
    await sleep(RETRY_DELAY_MS);
  }
  return `ip ${args.join(' ')}: still Invalid argument`;
}

function routeArgs(verb: 'add' | 'del', route: RouteEntry, ifname: string): string[] {
  const family = routeFamily(route);
  const args = [family === 6 ? '-6' : '-4', 'route', verb, route.dst];
  if (route.gateway) args.push('via', route.gateway);
  args.push('dev', ifname);
  if (verb === 'add' && (route.flags?.includes('onlink') || route.onlink)) args.push('onlink');
  if (route.prefsrc) args.push('src', route.prefsrc);
  if (verb === 'add' && route.scope) args.push('scope', route.scope);
  if (route.table !== undefined) args.push('table', String(route.table));
  if (verb === 'add') args.push('proto', 'static');
  return args;
}

async function findLink(namespace: string, name: string): Promise<LinkInfo> {
  const links = await ipJson<LinkInfo[]>(namespace, ['link', 'show']).catch(() => [] as LinkInfo[]);
  const link = links.find((candidate) => candidate.ifname === name);
  if (!link) throw new InterfaceApplyError(`Interface ${name} not found`);
  return link;
}

async function runScripts(target: ApplyTarget, commands: { command: string }[]): Promise<string | undefined> {
  for (const { command } of commands) {
    const [file, ...args] = command.split(' ').filter((part) => part !== '');
    if (!file) continue;
    const result = await runCommand(file, args, { namespace: target.namespace, timeoutMs: 30_000 });
    if (result.exitCode !== 0) return `${command}: ${result.output.trim() || `exit ${result.exitCode}`}`;
  }
  return undefined;
}

/**
 * Applies `file`; throws when the interface cannot be configured. Route errors do not stop it
 * (the reference only logs them: some collide with the kernel's own routes): they are returned.
 */
export async function bringUp(file: InterfaceFile, target: ApplyTarget): Promise<string[]> {
  const { namespace } = target;
  const name = file.name;
  if (file.is_sriov) await loadVipFirewall({ rulesFile: target.nftablesRules, namespace });
  const link = await findLink(namespace, name);
  if (!link.flags?.includes('UP')) {
    await ipOrThrow(namespace, ['link', 'set', 'dev', name, 'up', ...(file.mtu ? ['mtu', String(file.mtu)] : [])]);
    for (const entry of file.addresses) {
      if (isStaticAddress(entry)) continue;
      const sysctl = target.sysctl ?? '/sbin/sysctl';
      if (entry.dhcp) {
        const leases = `${target.leasesDir ?? '/var/lib/dhclient'}/dhclient-${name}.leases`;
        const dhcp = await runCommand(target.dhclient ?? '/sbin/dhclient', ['-lf', leases, '-pf', `/run/dhclient-${name}.pid`, name], { namespace, timeoutMs: 60_000 });
        if (dhcp.exitCode !== 0) throw new InterfaceApplyError(`dhclient ${name}: ${dhcp.output.trim()}`);
      }
      if (entry.ipv6auto) {
        const slaac = await runCommand(sysctl, ['-w', `net.ipv6.conf.${name}.accept_ra=2`, `net.ipv6.conf.${name}.autoconf=1`], { namespace });
        if (slaac.exitCode !== 0) throw new InterfaceApplyError(`sysctl ${name}: ${slaac.output.trim()}`);
      }
    }
  }
  await reconcileAddresses(file, namespace);
  const routeErrors = await reconcileRoutes(file, namespace);
  if (file.if_type === 'vip') await reconcileRules(file, namespace);
  const scriptError = await runScripts(target, file.scripts.up);
  if (scriptError) throw new InterfaceApplyError(scriptError);
  return routeErrors;
}

/**
 * Addresses the kernel gives every link (`::1` on lo, IPv6 link-local): the reference deletes
 * them too (its Q3), which breaks IPv6 neighbour discovery and localhost checks; kept here.
 */
function isKernelAddress(address: string): boolean {
  const normalised = normalisedAddress(address);
  return normalised === '::1' || /^fe[89ab][0-9a-f]:/u.test(normalised);
}

async function reconcileAddresses(file: InterfaceFile, namespace: string): Promise<void> {
  const current = new Map<string, { local: string; prefixlen: number }>();
  for (const address of await linkAddresses(namespace, file.name)) {
    if (address.dynamic) continue;
    current.set(`${normalisedAddress(address.local)}/${address.prefixlen}`, address);
  }
  let addedV6 = false;
  for (const entry of file.addresses) {
    if (!isStaticAddress(entry)) continue;
    const key = `${normalisedAddress(entry.address)}/${entry.prefixlen}`;
    if (current.delete(key)) continue;
    if (entry.octavia_owned === false) continue;
    const family = ipFamily(entry.address) === 6 ? '-6' : '-4';
    const result = await ip(namespace, [family, 'addr', 'add', `${entry.address}/${entry.prefixlen}`, 'dev', file.name]);
    if (result.exitCode !== 0 && !/File exists/u.test(result.output)) {
      throw new InterfaceApplyError(`cannot add ${entry.address}/${entry.prefixlen} to ${file.name}: ${result.output.trim()}`);
    }
    if (family === '-6') addedV6 = true;
  }
  if (addedV6) await waitForDad(namespace, file.name);
  // Keep keepalived's addresses (octavia_owned false) when present.
  for (const entry of file.addresses) {
    if (isStaticAddress(entry) && entry.octavia_owned === false) current.delete(`${normalisedAddress(entry.address)}/${entry.prefixlen}`);
  }
  for (const stale of current.values()) {
    if (isKernelAddress(stale.local)) continue;
    await ip(namespace, ['addr', 'del', `${stale.local}/${stale.prefixlen}`, 'dev', file.name]);
  }
}

/** Until no IPv6 address is tentative; without a carrier DAD cannot finish, so nobody waits for it. */
async function waitForDad(namespace: string, ifname: string): Promise<void> {
  const deadline = Date.now() + DAD_WAIT_MS;
  while (Date.now() < deadline) {
    const link = await findLink(namespace, ifname).catch(() => undefined);
    if (!link?.flags?.includes('LOWER_UP')) return;
    const addresses = await linkAddresses(namespace, ifname).catch(() => []);
    if (!addresses.some((address) => address.family === 'inet6' && address.tentative)) return;
    await sleep(RETRY_DELAY_MS);
  }
}

async function reconcileRoutes(file: InterfaceFile, namespace: string): Promise<string[]> {
  const current = new Map<string, { route: RouteInfo; family: 4 | 6 }>();
  for (const family of [4, 6] as const) {
    const routes = await ipJson<RouteInfo[]>(namespace, [`-${family}`, '-N', 'route', 'show', 'table', 'all', 'dev', file.name, 'proto', 'static']).catch(
      () => [] as RouteInfo[],
    );
    for (const route of routes) current.set(routeKey(route.dst, route.gateway, route.prefsrc, tableNumber(route.table), family), { route, family });
  }
  const errors: string[] = [];
  for (const route of file.routes) {
    const key = routeKey(route.dst, route.gateway, route.prefsrc, route.table ?? 254, routeFamily(route));
    if (current.delete(key)) continue;
    const error = await routeCommand(namespace, routeArgs('add', route, file.name));
    if (error) errors.push(error);
  }
  for (const { route, family } of current.values()) {
    const dst = route.dst === 'default' ? defaultFor(family) : route.dst;
    const table = tableNumber(route.table);
    await routeCommand(namespace, routeArgs('del', { dst, gateway: route.gateway, prefsrc: route.prefsrc, table }, file.name));
  }
  return errors;
}

async function reconcileRules(file: InterfaceFile, namespace: string): Promise<void> {
  const current = new Map<string, { src: string; len: number; table: number; family: 4 | 6 }>();
  for (const family of [4, 6] as const) {
    const rules = await ipJson<RuleInfo[]>(namespace, [`-${family}`, '-d', 'rule', 'show']).catch(() => [] as RuleInfo[]);
    for (const rule of rules) {
      if (!rule.src || rule.src === 'all') continue;
      if (rule.protocol === 'kernel' || rule.protocol === 'keepalived' || rule.protocol === 2 || rule.protocol === 18) continue;
      const len = rule.srclen ?? (family === 4 ? 32 : 128);
      const table = tableNumber(rule.table);
      current.set(`${table}|${normalisedAddress(rule.src)}|${len}`, { src: rule.src, len, table, family });
    }
  }
  for (const rule of file.rules) {
    const key = `${rule.table}|${normalisedAddress(rule.src)}|${rule.src_len}`;
    if (current.delete(key)) continue;
    const family = ipFamily(rule.src) === 6 ? '-6' : '-4';
    const error = await routeCommand(namespace, [family, 'rule', 'add', 'from', `${rule.src}/${rule.src_len}`, 'table', String(rule.table), 'priority', String(RULE_PRIORITY)]);
    if (error) throw new InterfaceApplyError(`cannot add rule from ${rule.src}/${rule.src_len}: ${error}`);
  }
  for (const stale of current.values()) {
    await ip(namespace, [`-${stale.family}`, 'rule', 'del', 'from', `${stale.src}/${stale.len}`, 'table', String(stale.table), 'priority', String(RULE_PRIORITY)]);
  }
}

export async function bringDown(file: InterfaceFile, target: ApplyTarget): Promise<void> {
  const { namespace } = target;
  const name = file.name;
  for (const entry of file.addresses) {
    if (isStaticAddress(entry)) continue;
    if (entry.dhcp) {
      const leases = `${target.leasesDir ?? '/var/lib/dhclient'}/dhclient-${name}.leases`;
      await runCommand(target.dhclient ?? '/sbin/dhclient', ['-r', '-lf', leases, '-pf', `/run/dhclient-${name}.pid`, name], { namespace });
    }
    if (entry.ipv6auto) {
      await runCommand(target.sysctl ?? '/sbin/sysctl', ['-w', `net.ipv6.conf.${name}.accept_ra=0`, `net.ipv6.conf.${name}.autoconf=0`], { namespace });
    }
  }
  const link = await findLink(namespace, name);
  if (!link.flags?.includes('UP')) return;
  if (file.if_type === 'vip') {
    for (const rule of file.rules) {
      const family = ipFamily(rule.src) === 6 ? '-6' : '-4';
      await ip(namespace, [family, 'rule', 'del', 'from', `${rule.src}/${rule.src_len}`, 'table', String(rule.table), 'priority', String(RULE_PRIORITY)]);
    }
  }
  for (const route of file.routes) await ip(namespace, routeArgs('del', route, name));
  for (const entry of file.addresses) {
    if (isStaticAddress(entry)) await ip(namespace, ['addr', 'del', `${entry.address}/${entry.prefixlen}`, 'dev', name]);
  }
  await ip(namespace, ['addr', 'flush', 'dev', name]);
  await ip(namespace, ['link', 'set', 'dev', name, 'down']);
  await runScripts(target, file.scripts.down);
}
