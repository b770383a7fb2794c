import { isIP } from 'node:net';
import { formatIpv4, formatIpv6, ipToBigInt } from '../util/ip.ts';

/**
 * Address arithmetic for interface files: the reference writes VIP-derived IPv6 addresses
 * exploded (Q4) and compares everything normalised, so both spellings are needed.
 */

export interface ParsedCidr {
  family: 4 | 6;
  prefix: number;
  /** The network address as a number (host bits cleared). */
  network: bigint;
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

export function ipFamily(address: string): 4 | 6 | undefined {
  if (address.includes('%')) return undefined; // a zone id names an interface, not an address to plug
  const family = isIP(address);
  return family === 4 || family === 6 ? family : undefined;
}

/** IPv4 as is, IPv6 with every group written out (`2001:0db8:0000:...`), as Python's `.exploded`. */
export function explodedAddress(address: string): string {
  if (ipFamily(address) === 4) return address;
  const value = ipToBigInt(address);
  const groups: string[] = [];
  for (let index = 7; index >= 0; index -= 1) groups.push(((value >> BigInt(index * 16)) & 0xffffn).toString(16).padStart(4, '0'));
  return groups.join(':');
}

/** The canonical compressed text used for every comparison. */
export function normalisedAddress(address: string): string {
  const family = ipFamily(address);
  if (family === undefined) return address;
  const value = ipToBigInt(address);
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

/** A strict CIDR (no host bits), as Python's ip_network; a reason on failure. */
export function parseCidr(cidr: string): ParsedCidr | string {
  const match = /^([^/\s]+)\/(\d{1,3})$/u.exec(cidr);
  if (!match) return `'${cidr}' does not appear to be an IPv4 or IPv6 network`;
  const family = ipFamily(match[1]!);
  if (family === undefined) return `'${cidr}' does not appear to be an IPv4 or IPv6 network`;
  const prefix = Number(match[2]);
  if (prefix > bits(family)) return `'${cidr}' does not appear to be an IPv4 or IPv6 network`;
  const value = ipToBigInt(match[1]!);
  if ((value & hostMask(family, prefix)) !== 0n) return `${cidr} has host bits set`;
  return { family, prefix, network: value };
}

function hostMask(family: 4 | 6, prefix: number): bigint {
  return (1n << BigInt(bits(family) - prefix)) - 1n;
}

/** True when `address` lies inside the network. */
export function containsAddress(network: ParsedCidr, address: string): boolean {
  if (ipFamily(address) !== network.family) return false;
  return (ipToBigInt(address) & ~hostMask(network.family, network.prefix)) === network.network;
}

/** `address/prefix` with host bits cleared, exploded (the reference's VIP network routes). */
export function explodedNetworkOf(address: string, prefix: number): string {
  const family = ipFamily(address)!;
  const network = ipToBigInt(address) & ~hostMask(family, prefix) & ((1n << BigInt(bits(family))) - 1n);
  const text = family === 4 ? formatIpv4(network) : explodedAddress(formatIpv6(network));
  return `${text}/${prefix}`;
}

/** `dst` as a comparison key: compressed network, a bare address meaning a full-length prefix. */
export function normalisedNetwork(text: string): string {
  if (text === 'default') return text;
  const [address = '', prefixText] = text.split('/');
  const family = ipFamily(address);
  if (family === undefined) return text;
  const prefix = prefixText === undefined ? bits(family) : Number(prefixText);
  const value = ipToBigInt(address) & ~hostMask(family, prefix);
  return `${family === 4 ? formatIpv4(value) : formatIpv6(value)}/${prefix}`;
}

export function isMacAddress(text: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/iu.test(text);
}
