import { isIP } from 'node:net';

/**
 * The agent's one set of IP helpers: family detection, numeric values, IPv6 text in RFC 5952
 * form (Python's `ipaddress` `.compressed`, which the reference prints and compares) and strict
 * network parsing. Renderers, the heartbeat's LVS keys and the network code all use these.
 */

export function ipFamily(address: string): 4 | 6 | 0 {
  // A zone (`fe80::1%eth0`) names an interface of one host: never a load balancer address.
  if (address.includes('%')) return 0;
  const family = isIP(address);
  return family === 4 || family === 6 ? family : 0;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail?.[1]) {
    const v4 = ipv4ToBigInt(v4Tail[1]);
    text = `${text.slice(0, -v4Tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}

export function ipToBigInt(address: string): bigint {
  return ipFamily(address) === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
}

/** RFC 5952 text form of a 128-bit value (longest run of zero hextets, ≥ 2, becomes `::`). */
export function formatIpv6(value: bigint): string {
  const hextets: number[] = [];
  for (let i = 7; i >= 0; i--) hextets.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = hextets.map((h) => h.toString(16));
  if (bestStart < 0) return text.join(':');
  const head = text.slice(0, bestStart).join(':');
  const tail = text.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

export interface ParsedNetwork {
  family: 4 | 6;
  /** Compressed `network/prefix` text. */
  text: string;
}

/**
 * Parses a CIDR strictly: the address part must be a network address (no host bits set),
 * as Python's `ipaddress.ip_network()` demands. Returns a reason string on failure.
 */
export function parseNetwork(cidr: string): ParsedNetwork | string {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match?.[1] || !match[2]) return 'must be a CIDR such as 192.0.2.0/24';
  const family = ipFamily(match[1]);
  if (family === 0) return 'has an invalid network address';
  const prefix = Number(match[2]);
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) return `has a prefix length over ${bits}`;
  const value = ipToBigInt(match[1]);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) return 'has host bits set';
  const address = family === 4 ? formatIpv4(value) : formatIpv6(value);
  return { family, text: `${address}/${prefix}` };
}

/** Netmask in dotted form (`255.255.0.0`) or a bare IPv6 prefix length, as LVS granularity takes. */
export function isNetmaskLike(value: string): boolean {
  if (/^\d{1,3}$/.test(value)) return Number(value) <= 128;
  if (ipFamily(value) !== 4) return false;
  const bits = ipv4ToBigInt(value);
  // A valid mask is a run of ones followed by zeros.
  const inverted = ~bits & 0xffffffffn;
  return (inverted & (inverted + 1n)) === 0n;
}

/** RFC 5952 text of an IPv6 address (`2001:db8:0::10` → `2001:db8::10`), as Python compresses it. */
export function compressIpv6(address: string): string {
  return formatIpv6(ipv6ToBigInt(address));
}

/** All eight hextets, four digits each (`fd79::1` → `fd79:0000:…:0001`), as /proc/net/ip_vs keys them. */
export function expandIpv6(address: string): string {
  const value = ipv6ToBigInt(address);
  const hextets: string[] = [];
  for (let i = 7; i >= 0; i--) hextets.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16).padStart(4, '0'));
  return hextets.join(':');
}
