import { isIP } from 'node:net';
import { compressIpv6, expandIpv6 } from '../util/ip.ts';

/**
 * Keys of LVS virtual and real servers as keepalived configs, ipvsadm and /proc/net/ip_vs spell
 * them, converted to the forms the reference compares: IPv4 dotted quad, IPv6 compressed (RFC
 * 5952, util/ip.ts) in brackets when followed by a port.
 */

/** `10.0.0.37` → `10.0.0.37`, `fd79::1` → `[fd79::1]`; undefined for anything else. */
export function addressForKey(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return address.split('.').map((part) => String(Number(part))).join('.');
  if (family === 6) return `[${compressIpv6(address)}]`;
  return undefined;
}

/** `10.0.0.37:7777` → `0A000025:1E61`; `[fd79::1]:7777` → `[fd79:0000:…:0001]:1E61`. */
export function ipVsProcKey(ipPort: string): string | undefined {
  const cut = ipPort.lastIndexOf(':');
  const host = ipPort.slice(0, cut).replace(/^\[(.*)\]$/u, '$1');
  const port = Number(ipPort.slice(cut + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const family = isIP(host);
  if (family === 4) {
    const hex = host
      .split('.')
      .map((part) => Number(part).toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    return `${hex}:${portHex}`;
  }
  if (family === 6) return `[${expandIpv6(host)}]:${portHex}`;
  return undefined;
}

/** The inverse for real-server keys: `0A000023:0D05` → `10.0.0.35:3333`. */
export function ipPortFromProcKey(key: string): string | undefined {
  const v4 = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/u.exec(key);
  if (v4) {
    const value = Number.parseInt(v4[1]!, 16);
    const octets = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    return `${octets.join('.')}:${Number.parseInt(v4[2]!, 16)}`;
  }
  const v6 = /^\[([0-9A-Fa-f:]+)\]:([0-9A-Fa-f]{4})$/u.exec(key);
  if (v6 && isIP(v6[1]!) === 6) return `[${compressIpv6(v6[1]!)}]:${Number.parseInt(v6[2]!, 16)}`;
  return undefined;
}
