import type { FixedIp, HostRoute, Vip } from './interface-file.ts';
import { containsAddress, explodedAddress, ipFamily, isMacAddress, parseCidr, type ParsedCidr } from './ip-address.ts';
import { AgentError } from '../util/errors.ts';

/**
 * The bodies of `POST /plug/vip/{vip}` and `POST /plug/network`, checked whole before anything
 * changes: the reference's 400s keep their texts, and what it let through to a half-done plug
 * (bad MTU, gateway outside the subnet, malformed host routes, a bad MAC) is refused as well.
 */
export class PlugRequestError extends AgentError {
  readonly body: { message: string; details?: string } | { description: string };
  constructor(body: { message: string; details?: string } | { description: string }) {
    super('message' in body ? body.message : body.description);
    this.body = body;
  }
}

export interface VipPlugRequest {
  mac: string;
  mtu: number | null;
  vips: Vip[];
  vrrp: { ip: string; prefixlen: number } | undefined;
  isSriov: boolean;
}

export interface NetworkPlugRequest {
  mac: string;
  mtu: number | null;
  fixedIps: FixedIp[];
  isSriov: boolean | null;
  vipNet: Omit<VipPlugRequest, 'mac' | 'mtu' | 'isSriov'> | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const invalid = (message: string) => new PlugRequestError({ message });

function mtuOf(value: unknown, fail: (reason: string) => PlugRequestError): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 68 || value > 65535) {
    throw fail(`mtu must be an integer between 68 and 65535, not ${JSON.stringify(value)}`);
  }
  return value;
}

function macOf(value: unknown, fail: (reason: string) => PlugRequestError): string {
  if (typeof value !== 'string' || !isMacAddress(value)) throw fail(`mac_address must look like fa:16:3e:00:00:01, not ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

function hostRoutesOf(value: unknown, network: ParsedCidr | undefined, fail: (reason: string) => PlugRequestError): HostRoute[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail('host_routes must be a list');
  return value.map((route, index) => {
    if (!isObject(route) || typeof route.destination !== 'string' || typeof route.nexthop !== 'string') {
      throw fail(`host_routes[${index}] needs a destination and a nexthop`);
    }
    const destination = parseCidr(route.destination);
    if (typeof destination === 'string') throw fail(`host_routes[${index}].destination: ${destination}`);
    if (ipFamily(route.nexthop) !== destination.family) throw fail(`host_routes[${index}].nexthop is not an address of the destination's family`);
    if (network && network.family === destination.family && !containsAddress(network, route.nexthop)) {
      throw fail(`host_routes[${index}].nexthop ${route.nexthop} is outside the subnet`);
    }
    return { destination: route.destination, nexthop: route.nexthop };
  });
}

function gatewayOf(value: unknown, network: ParsedCidr, fail: (reason: string) => PlugRequestError): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || ipFamily(value) !== network.family) throw fail(`gateway ${JSON.stringify(value)} is not an address of the subnet's family`);
  if (!containsAddress(network, value)) throw fail(`gateway ${value} is outside the subnet`);
  return value;
}

/** One VIP (primary or additional): address, subnet, gateway and host routes. */
function vipOf(address: unknown, entry: Json, fail: (reason: string) => PlugRequestError): Vip {
  if (typeof address !== 'string' || ipFamily(address) === undefined) throw fail(`'${String(address)}' does not appear to be an IPv4 or IPv6 address`);
  if (typeof entry.subnet_cidr !== 'string') throw fail('subnet_cidr is missing');
  const network = parseCidr(entry.subnet_cidr);
  if (typeof network === 'string') throw fail(network);
  if (!containsAddress(network, address)) throw fail(`${address} is outside ${entry.subnet_cidr}`);
  return {
    ipAddress: address,
    prefixlen: network.prefix,
    gateway: gatewayOf(entry.gateway, network, fail),
    hostRoutes: hostRoutesOf(entry.host_routes, network, fail),
  };
}

/** The VIP list and VRRP address, as both plug calls describe them. */
function vipSet(primary: unknown, body: Json): Pick<VipPlugRequest, 'vips' | 'vrrp'> {
  const failVip = (reason: string) => invalid(`Invalid VIP: ${reason}`);
  const vips = [vipOf(primary, body, failVip)];
  const additional = body.additional_vips ?? [];
  if (!Array.isArray(additional)) throw failVip('additional_vips must be a list');
  for (const extra of additional) {
    if (!isObject(extra)) throw failVip('additional_vips entries must be objects');
    vips.push(vipOf(extra.ip_address, extra, failVip));
  }
  let vrrp: VipPlugRequest['vrrp'];
  if (body.vrrp_ip !== undefined && body.vrrp_ip !== null) {
    if (typeof body.vrrp_ip !== 'string' || ipFamily(body.vrrp_ip) === undefined) {
      throw invalid(`Invalid VRRP Address: '${String(body.vrrp_ip)}' does not appear to be an IPv4 or IPv6 address`);
    }
    const network = parseCidr(body.subnet_cidr as string) as ParsedCidr;
    if (!containsAddress(network, body.vrrp_ip)) throw invalid(`Invalid VRRP Address: ${body.vrrp_ip} is outside ${String(body.subnet_cidr)}`);
    vrrp = { ip: body.vrrp_ip, prefixlen: vips[0]!.prefixlen };
  }
  return { vips, vrrp };
}

export function parseVipPlug(vip: string, body: unknown): VipPlugRequest {
  if (!isObject(body) || !('subnet_cidr' in body) || !('gateway' in body) || !('mac_address' in body)) {
    throw new PlugRequestError({ description: 'Invalid subnet information' });
  }
  const failVip = (reason: string) => invalid(`Invalid VIP: ${reason}`);
  const { vips, vrrp } = vipSet(vip, body);
  return {
    mac: macOf(body.mac_address, failVip),
    mtu: mtuOf(body.mtu, failVip),
    vips,
    vrrp,
    isSriov: body.is_sriov === true,
  };
}

export function parseNetworkPlug(body: unknown): NetworkPlugRequest {
  if (!isObject(body) || !('mac_address' in body)) throw new PlugRequestError({ description: 'Invalid port information' });
  const failPort = (reason: string) => new PlugRequestError({ message: 'Invalid network port', details: reason });
  const fixed = body.fixed_ips ?? [];
  if (!Array.isArray(fixed)) throw failPort('fixed_ips must be a list');
  const fixedIps: FixedIp[] = fixed.map((entry, index) => {
    if (!isObject(entry) || typeof entry.ip_address !== 'string' || ipFamily(entry.ip_address) === undefined) throw failPort(`fixed_ips[${index}].ip_address is not an IP address`);
    if (typeof entry.subnet_cidr !== 'string') throw failPort(`fixed_ips[${index}].subnet_cidr is missing`);
    const network = parseCidr(entry.subnet_cidr);
    if (typeof network === 'string') throw failPort(`fixed_ips[${index}].subnet_cidr: ${network}`);
    if (!containsAddress(network, entry.ip_address)) throw failPort(`fixed_ips[${index}]: ${entry.ip_address} is outside ${entry.subnet_cidr}`);
    return {
      ipAddress: entry.ip_address,
      prefixlen: network.prefix,
      gateway: gatewayOf(entry.gateway, network, (reason) => failPort(`fixed_ips[${index}]: ${reason}`)),
      hostRoutes: hostRoutesOf(entry.host_routes, network, (reason) => failPort(`fixed_ips[${index}]: ${reason}`)),
    };
  });
  let vipNet: NetworkPlugRequest['vipNet'];
  if (body.vip_net_info !== undefined && body.vip_net_info !== null) {
    if (!isObject(body.vip_net_info)) throw failPort('vip_net_info must be an object');
    vipNet = vipSet(body.vip_net_info.vip, body.vip_net_info);
  }
  return {
    mac: macOf(body.mac_address, failPort),
    mtu: mtuOf(body.mtu, failPort),
    fixedIps,
    isSriov: typeof body.is_sriov === 'boolean' ? body.is_sriov : null,
    vipNet,
  };
}

/** The addresses reported in plug/vip's answer, exploded as the reference prints them. */
export function reportedVips(vips: readonly Vip[]): string {
  return vips.map((vip) => explodedAddress(vip.ipAddress)).join(', ');
}
