import { formatIpv6, ipFamily, ipToBigInt } from '../util/ip.ts';
import type { HaproxyVersion } from './version.ts';
import { AgentError } from '../util/errors.ts';

/**
 * Text transformations and parsing of an LB's haproxy.cfg. Bodies are handled as Latin-1
 * strings (one char per byte) so that any byte sequence round-trips unchanged; every pattern
 * below therefore uses ASCII classes only.
 */

const ASCII_SPACE = '[ \\t\\n\\r\\f\\v]';

/**
 * The reference removes every `\s+group\s.+` (old controllers rendered `group` in `global`,
 * the group now comes from the user-group include). That regex also truncates any other line
 * with a space-separated word `group` in it (an escaped L7 rule value, say). We remove exactly
 * the same text as the reference for a `group` directive of the `global` section, whitespace
 * run before it included, and leave every other match alone.
 */
const GROUP_DIRECTIVE = new RegExp(`${ASCII_SPACE}+group${ASCII_SPACE}.+`, 'gu');

export function stripGroupDirectives(text: string): string {
  return text.replace(GROUP_DIRECTIVE, (match: string, offset: number) => {
    const leading = /^[ \t\n\r\f\v]+/u.exec(match)?.[0] ?? '';
    const lastNewline = leading.lastIndexOf('\n');
    const startsItsLine = lastNewline >= 0 && /^[ \t]*$/u.test(leading.slice(lastNewline + 1));
    if (!startsItsLine) return match;
    return sectionAt(text, offset + lastNewline) === 'global' ? '' : match;
  });
}

/** Keyword of the section enclosing `offset`: the last line before it starting in column 0. */
function sectionAt(text: string, offset: number): string | undefined {
  const before = text.slice(0, offset + 1);
  const headers = before.match(/^[^ \t\r\n#][^\r\n]*/gmu);
  const header = headers?.[headers.length - 1];
  return header?.split(/[ \t]/u)[0];
}

/** haproxy older than 1.6 has no external checks: drop those lines as the reference does. */
export function applyVersionCompatibility(text: string, version: HaproxyVersion): string {
  if (version.major < 2 && version.minor < 6) {
    return text.replace(/^.*external-check.*(?:\n|$)/gmu, '');
  }
  return text;
}

export interface FrontendInfo {
  /** `HTTP`, `TCP`, ... or `TERMINATED_HTTPS` for a `bind ... ssl crt-list` frontend. */
  mode: string;
}

export interface ParsedHaproxyConfig {
  statsSocket: string;
  frontends: Map<string, FrontendInfo>;
}

export class HaproxyConfigParseError extends AgentError {}

const SECTION_HEADER = /\n(frontend|backend)\s+(\S+)\n/u;
const MODE_LINE = /^[ \t]+mode[ \t]+(.*)$/mu;
const TLS_BIND = /^[ \t]+bind[ \t]+\S+[ \t]+ssl crt-list[ \t]+(\S*)/mu;
const STATS_SOCKET = /stats socket\s+(\S+)/u;

/**
 * Frontends (name → mode) and the stats socket path, read the way the reference reads them
 * (§4.2): the file is split on lone `frontend|backend <name>` header lines.
 */
export function parseHaproxyConfig(text: string): ParsedHaproxyConfig {
  const parts = text.split(new RegExp(SECTION_HEADER.source, 'gu'));
  const frontends = new Map<string, FrontendInfo>();
  // split() with two capture groups yields [prefix, kind, name, body, kind, name, body, ...].
  for (let index = 1; index + 2 < parts.length; index += 3) {
    const [kind, name, body] = [parts[index], parts[index + 1], parts[index + 2] ?? ''];
    if (kind !== 'frontend' || name === undefined) continue;
    const mode = MODE_LINE.exec(body);
    if (!mode) throw new HaproxyConfigParseError(`frontend ${name} has no mode`);
    frontends.set(name, { mode: TLS_BIND.test(body) ? 'TERMINATED_HTTPS' : (mode[1] ?? '').toUpperCase() });
  }
  const socket = STATS_SOCKET.exec(text);
  if (!socket?.[1]) throw new HaproxyConfigParseError('no stats socket');
  return { statsSocket: socket[1], frontends };
}

/**
 * Addresses the LB binds (§4.2), for gratuitous ARP / unsolicited NA after start or reload.
 */
export function bindAddresses(text: string): string[] {
  const addresses: string[] = [];
  for (const line of text.split('\n')) {
    const stripped = line.trim();
    if (!stripped.startsWith('bind')) continue;
    for (const token of stripped.split(' ')) {
      if (!token.includes(':')) continue;
      if (token.includes(',')) {
        const addressPort = token.replace(/,+$/u, '');
        addresses.push(addressPort.slice(0, Math.max(0, addressPort.lastIndexOf(':'))));
      } else {
        addresses.push(token.slice(0, Math.max(0, token.lastIndexOf(':'))));
        break;
      }
    }
  }
  return addresses;
}

export interface BindEndpoint {
  /** Compressed address; '' for a wildcard (`:80`, `*:80`, `0.0.0.0`, `::`). */
  address: string;
  port: string;
}

/** Every `address:port` a config's `bind` lines listen on (sockets and `fd@` excluded). */
export function bindEndpoints(text: string): BindEndpoint[] {
  const endpoints: BindEndpoint[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/u);
    if (fields[0] !== 'bind' || !fields[1]) continue;
    for (const item of fields[1].split(',')) {
      const spec = item.replace(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/u, '');
      if (spec === '' || spec.startsWith('/') || /^[a-z0-9]+@/u.test(spec)) continue;
      const cut = spec.lastIndexOf(':');
      if (cut < 0) continue;
      const host = spec.slice(0, cut).replace(/^\[(.*)\]$/u, '$1');
      const address = host === '' || host === '*' || host === '0.0.0.0' || host === '::' ? '' : compressedAddress(host);
      endpoints.push({ address, port: spec.slice(cut + 1) });
    }
  }
  return endpoints;
}

function compressedAddress(host: string): string {
  return ipFamily(host) === 6 ? formatIpv6(ipToBigInt(host)) : host;
}
