import { pythonJsonDumps, type PythonJsonValue } from '../util/python-json.ts';
import { explodedAddress, explodedNetworkOf, ipFamily } from './ip-address.ts';
import { AgentError, errorMessage } from '../util/errors.ts';

/**
 * The interface description files under agent_server_network_dir (`<name>.json`): what
 * `amphora-interface` applies inside the namespace, at plug time and at every boot.
 *
 * Written in the format of Octavia 11 (Debian's python3-octavia), so the reference's own tool
 * reads them: no `if_type`, masquerade through `octavia-agent-lvs-masquerade`. Later releases
 * added `if_type` and `is_sriov`; both are read, and `is_sriov` is written only for an SR-IOV
 * port (a later control plane's feature, which Octavia 11 never asks for).
 */

export type IfType = 'lo' | 'vip' | 'backend';

export interface StaticAddress {
  address: string;
  prefixlen: number;
  /** false: keepalived owns it (ACTIVE_STANDBY VIPs); never added, never removed by `up`. */
  octavia_owned?: boolean;
}
export interface DynamicAddress {
  dhcp?: boolean;
  ipv6auto?: boolean;
}
export type AddressEntry = StaticAddress | DynamicAddress;

export interface RouteEntry {
  dst: string;
  gateway?: string;
  prefsrc?: string;
  scope?: string;
  flags?: string[];
  onlink?: boolean;
  table?: number;
}

export interface RuleEntry {
  src: string;
  src_len: number;
  table: number;
}

export interface InterfaceFile {
  name: string;
  if_type: IfType;
  addresses: AddressEntry[];
  routes: RouteEntry[];
  rules: RuleEntry[];
  scripts: { up: { command: string }[]; down: { command: string }[] };
  is_sriov: boolean | null;
  mtu?: number;
}

export class InterfaceFileError extends AgentError {
  constructor(message: string) {
    super(message);
  }
}

/** The image's masquerade helper, found on PATH as Octavia 11's image installs it. */
export const MASQUERADE_SCRIPT = 'octavia-agent-lvs-masquerade';
/** Policy routing table of VIP-sourced traffic. */
export const VIP_TABLE = 1;

const TOP_LEVEL_KEYS = new Set(['name', 'if_type', 'addresses', 'routes', 'rules', 'scripts', 'is_sriov', 'mtu']);

/** A Linux interface name: it reaches `ip` command lines and dhclient file paths. */
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/u.test(name) && name !== '.' && name !== '..';
}

export function isStaticAddress(entry: AddressEntry): entry is StaticAddress {
  return typeof (entry as StaticAddress).address === 'string';
}

/** One line, Python's separators and key order, as the reference writes it. */
export function serializeInterfaceFile(file: InterfaceFile): string {
  const address = (entry: AddressEntry): PythonJsonValue => {
    if (!isStaticAddress(entry)) {
      return { ...(entry.dhcp ? { dhcp: true } : {}), ...(entry.ipv6auto ? { ipv6auto: true } : {}) };
    }
    const out: Record<string, PythonJsonValue> = { address: entry.address, prefixlen: entry.prefixlen };
    if (entry.octavia_owned !== undefined) out.octavia_owned = entry.octavia_owned;
    return out;
  };
  const route = (entry: RouteEntry): PythonJsonValue => {
    const out: Record<string, PythonJsonValue> = { dst: entry.dst };
    if (entry.gateway !== undefined) out.gateway = entry.gateway;
    if (entry.prefsrc !== undefined) out.prefsrc = entry.prefsrc;
    if (entry.scope !== undefined) out.scope = entry.scope;
    if (entry.flags !== undefined) out.flags = entry.flags;
    if (entry.table !== undefined) out.table = entry.table;
    return out;
  };
  const value: Record<string, PythonJsonValue> = {
    name: file.name,
    addresses: file.addresses.map(address),
    routes: file.routes.map(route),
    rules: file.rules.map((rule) => ({ src: rule.src, src_len: rule.src_len, table: rule.table })),
    scripts: { up: file.scripts.up.map((s) => ({ command: s.command })), down: file.scripts.down.map((s) => ({ command: s.command })) },
  };
  if (file.mtu) value.mtu = file.mtu;
  if (file.is_sriov) value.is_sriov = true;
  return pythonJsonDumps(value);
}

/**
 * Reads one file. Unknown top-level keys and a missing name or type are refused (the reference
 * refuses them too); list entries are read leniently.
 */
export function parseInterfaceFile(text: string, source: string): InterfaceFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InterfaceFileError(`${source}: invalid JSON (${errorMessage(error)})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InterfaceFileError(`${source}: not a JSON object`);
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new InterfaceFileError(`${source}: unknown key ${JSON.stringify(key)}`);
  }
  if (typeof object.name !== 'string' || !isInterfaceName(object.name)) throw new InterfaceFileError(`${source}: missing or invalid name`);
  if (object.if_type !== undefined && object.if_type !== 'lo' && object.if_type !== 'vip' && object.if_type !== 'backend') {
    throw new InterfaceFileError(`${source}: if_type must be lo, vip or backend`);
  }
  const list = (key: string): unknown[] => (Array.isArray(object[key]) ? (object[key] as unknown[]) : []);
  const records = (key: string) => list(key).filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object');
  const scripts = (object.scripts ?? {}) as Record<string, unknown>;
  const commands = (key: string) =>
    (Array.isArray(scripts[key]) ? (scripts[key] as unknown[]) : [])
      .map((item) => (item as { command?: unknown } | null)?.command)
      .filter((command): command is string => typeof command === 'string')
      .map((command) => ({ command }));
  const rules = records('rules');
  return {
    name: object.name,
    // Octavia 11's files have no type: only the VIP port carries policy rules, `lo` is by name.
    if_type: (object.if_type as IfType | undefined) ?? (object.name === 'lo' ? 'lo' : rules.length > 0 ? 'vip' : 'backend'),
    addresses: records('addresses').map((entry): AddressEntry =>
      typeof entry.address === 'string'
        ? {
            address: entry.address,
            prefixlen: Number(entry.prefixlen),
            ...(typeof entry.octavia_owned === 'boolean' ? { octavia_owned: entry.octavia_owned } : {}),
          }
        : { dhcp: entry.dhcp === true, ipv6auto: entry.ipv6auto === true },
    ),
    routes: records('routes')
      .filter((entry) => typeof entry.dst === 'string')
      .map((entry) => ({
        dst: entry.dst as string,
        ...(typeof entry.gateway === 'string' ? { gateway: entry.gateway } : {}),
        ...(typeof entry.prefsrc === 'string' ? { prefsrc: entry.prefsrc } : {}),
        ...(typeof entry.scope === 'string' ? { scope: entry.scope } : {}),
        ...(Array.isArray(entry.flags) ? { flags: entry.flags.filter((flag): flag is string => typeof flag === 'string') } : {}),
        ...(entry.onlink === true ? { onlink: true } : {}),
        ...(typeof entry.table === 'number' ? { table: entry.table } : {}),
      })),
    rules: rules
      .filter((entry) => typeof entry.src === 'string')
      .map((entry) => ({ src: entry.src as string, src_len: Number(entry.src_len), table: typeof entry.table === 'number' ? entry.table : 254 })),
    scripts: { up: commands('up'), down: commands('down') },
    is_sriov: typeof object.is_sriov === 'boolean' ? object.is_sriov : null,
    ...(typeof object.mtu === 'number' && object.mtu > 0 ? { mtu: object.mtu } : {}),
  };
}

export const LO_FILE: InterfaceFile = {
  name: 'lo',
  if_type: 'lo',
  addresses: [{ address: '127.0.0.1', prefixlen: 8 }],
  routes: [],
  rules: [],
  scripts: { up: [], down: [] },
  is_sriov: false,
};

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface Vip {
  ipAddress: string;
  prefixlen: number;
  gateway: string | null;
  hostRoutes: HostRoute[];
}

export interface FixedIp {
  ipAddress: string;
  prefixlen: number;
  gateway: string | null;
  hostRoutes: HostRoute[];
}

function masqueradeScripts(name: string, versions: Set<4 | 6>, sriov: boolean): InterfaceFile['scripts'] {
  const suffix = sriov ? ' sriov' : '';
  const ordered = [4, 6].filter((version) => versions.has(version as 4 | 6));
  return {
    up: ordered.map((version) => ({ command: `${MASQUERADE_SCRIPT} add ipv${version} ${name}${suffix}` })),
    down: ordered.map((version) => ({ command: `${MASQUERADE_SCRIPT} delete ipv${version} ${name}${suffix}` })),
  };
}

const defaultDst = (address: string) => (ipFamily(address) === 6 ? '::/0' : '0.0.0.0/0');

/** The VIP port's file: the amphora's own (VRRP) address, the VIPs, their routes and rules. */
export function vipInterfaceFile(input: {
  name: string;
  mtu: number | null;
  vips: Vip[];
  vrrp: { ip: string; prefixlen: number } | undefined;
  fixedIps: FixedIp[];
  activeStandby: boolean;
  isSriov: boolean;
}): InterfaceFile {
  const { activeStandby } = input;
  const addresses: AddressEntry[] = [];
  const routes: RouteEntry[] = [];
  const rules: RuleEntry[] = [];
  if (input.vrrp) {
    addresses.push({ address: explodedAddress(input.vrrp.ip), prefixlen: input.vrrp.prefixlen });
  } else {
    if (input.vips.some((vip) => ipFamily(vip.ipAddress) === 4)) addresses.push({ dhcp: true });
    if (input.vips.some((vip) => ipFamily(vip.ipAddress) === 6)) addresses.push({ ipv6auto: true });
  }
  for (const vip of input.vips) {
    const address = explodedAddress(vip.ipAddress);
    const network = explodedNetworkOf(vip.ipAddress, vip.prefixlen);
    if (vip.gateway) {
      routes.push({ dst: defaultDst(vip.ipAddress), gateway: vip.gateway, flags: ['onlink'] });
      if (!activeStandby) routes.push({ dst: defaultDst(vip.ipAddress), gateway: vip.gateway, flags: ['onlink'], table: VIP_TABLE });
    }
    routes.push({ dst: network, scope: 'link' });
    if (!activeStandby) routes.push({ dst: network, prefsrc: address, scope: 'link', table: VIP_TABLE });
    for (const route of vip.hostRoutes) routes.push({ dst: route.destination, gateway: route.nexthop, flags: ['onlink'] });
    for (const route of vip.hostRoutes) routes.push({ dst: route.destination, gateway: route.nexthop, flags: ['onlink'], table: VIP_TABLE });
    const hostBits = ipFamily(vip.ipAddress) === 6 ? 128 : 32;
    addresses.push({ address, prefixlen: hostBits, octavia_owned: !activeStandby });
    if (!activeStandby) rules.push({ src: address, src_len: hostBits, table: VIP_TABLE });
  }
  for (const fixed of input.fixedIps) {
    addresses.push({ address: fixed.ipAddress, prefixlen: fixed.prefixlen });
    if (fixed.gateway) {
      routes.push({ dst: defaultDst(fixed.ipAddress), gateway: fixed.gateway, flags: ['onlink'] });
      if (!activeStandby) routes.push({ dst: defaultDst(fixed.ipAddress), gateway: fixed.gateway, flags: ['onlink'], table: VIP_TABLE });
    }
    for (const route of fixed.hostRoutes) routes.push({ dst: route.destination, gateway: route.nexthop, flags: ['onlink'] });
  }
  const versions = new Set<4 | 6>([...input.vips.map((vip) => vip.ipAddress), ...input.fixedIps.map((ip) => ip.ipAddress)].map((ip) => ipFamily(ip)!));
  return {
    name: input.name,
    if_type: 'vip',
    addresses,
    routes,
    rules,
    scripts: masqueradeScripts(input.name, versions, input.isSriov),
    is_sriov: input.isSriov,
    ...(input.mtu ? { mtu: input.mtu } : {}),
  };
}

/** A member network port's file: its fixed IPs and host routes, or DHCP and SLAAC. */
export function portInterfaceFile(input: { name: string; mtu: number | null; fixedIps: FixedIp[]; isSriov: boolean | null }): InterfaceFile {
  const addresses: AddressEntry[] = [];
  const routes: RouteEntry[] = [];
  for (const fixed of input.fixedIps) {
    addresses.push({ address: fixed.ipAddress, prefixlen: fixed.prefixlen });
    for (const route of fixed.hostRoutes) routes.push({ dst: route.destination, gateway: route.nexthop, flags: ['onlink'] });
  }
  if (input.fixedIps.length === 0) addresses.push({ dhcp: true, ipv6auto: true });
  const versions = input.fixedIps.length === 0 ? new Set<4 | 6>([4, 6]) : new Set(input.fixedIps.map((ip) => ipFamily(ip.ipAddress)!));
  return {
    name: input.name,
    if_type: 'backend',
    addresses,
    routes,
    rules: [],
    scripts: masqueradeScripts(input.name, versions, input.isSriov === true),
    is_sriov: input.isSriov,
    ...(input.mtu ? { mtu: input.mtu } : {}),
  };
}
