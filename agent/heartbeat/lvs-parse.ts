import { addressForKey, ipPortFromProcKey, ipVsProcKey } from './lvs-keys.ts';

/** What the heartbeat needs from B/lvs/octavia-keepalivedlvs-<listener_id>.conf. */
export interface LvsListenerConfig {
  disabled: boolean;
  /** From `net_namespace`; undefined when the config names none. */
  namespace: string | undefined;
  /** First VIP line of each virtual_server_group, as `ip:port` (IPv6 `[compressed]:port`). */
  vips: string[];
  poolId: string | undefined;
  healthMonitor: boolean;
  /** Enabled members in file order (with their real_server ip:port), then disabled ones. */
  members: { id: string; ipPort: string | undefined }[];
}

const UUID = String.raw`\w{8}-\w{4}-\w{4}-\w{4}-\w{12}`;
const NAMESPACE = /net_namespace\s(\w+-\w+)/u;
const VIP = /virtual_server_group .* \{\n\s+([a-f\d.:]+)\s(\d{1,5})\n/gu;
const REAL_SERVER = /real_server\s([a-f\d.:]+)\s(\d{1,5})/u;
const CONFIGURATION_COMMENT = new RegExp(String.raw`#\sConfiguration\sfor\s(\w+)\s(${UUID})`, 'gu');
const DISABLED_COMMENT = new RegExp(String.raw`#\s(\w+)\s(${UUID}) is disabled`, 'gu');
const CHECKER = /MISC_CHECK|HTTP_GET|TCP_CHECK/u;

/**
 * Parses the rendered keepalived LVS config with the reference's rules (its templates put the
 * ids in comments, and the i-th real_server belongs to the i-th enabled member).
 */
export function parseLvsConfig(text: string): LvsListenerConfig {
  const disabledComments = [...text.matchAll(DISABLED_COMMENT)];
  const config: LvsListenerConfig = {
    disabled: disabledComments.some((match) => match[1] === 'Listener'),
    namespace: NAMESPACE.exec(text)?.[1],
    vips: [],
    poolId: undefined,
    healthMonitor: CHECKER.test(text),
    members: [],
  };
  for (const match of text.matchAll(VIP)) {
    const host = addressForKey(match[1]!);
    if (host !== undefined) config.vips.push(`${host}:${match[2]}`);
  }
  for (const match of text.matchAll(CONFIGURATION_COMMENT)) {
    if (match[1] === 'Pool' && config.poolId === undefined) config.poolId = match[2];
    if (match[1] === 'Member') config.members.push({ id: match[2]!, ipPort: undefined });
  }
  const enabledCount = config.members.length;
  const realServers: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('real_server')) continue;
    const match = REAL_SERVER.exec(line);
    if (!match) continue;
    const host = match[1]!.includes(':') ? addressForKey(match[1]!) : match[1]!;
    if (host !== undefined) realServers.push(`${host}:${match[2]}`);
  }
  for (let index = 0; index < Math.min(enabledCount, realServers.length); index += 1) {
    config.members[index]!.ipPort = realServers[index];
  }
  for (const match of disabledComments) {
    if (match[1] === 'Member') config.members.push({ id: match[2]!, ipPort: undefined });
  }
  return config;
}

export interface IpvsadmEntry {
  /** Virtual-server columns (Conns, InBytes, OutBytes … or Scheduler …) by name. */
  service: Map<string, string>;
  realServers: Map<string, string>[];
}

const splitWords = (line: string) => line.trim().split(/\s+/u);

/**
 * Parses `ipvsadm -Ln` or `ipvsadm -Ln --stats --exact`: header lines name the columns,
 * UDP/SCTP lines open a virtual server keyed by its `ip:port`, `->` lines are its real servers.
 */
export function parseIpvsadm(output: string): Map<string, IpvsadmEntry> {
  let fields: string[] = [];
  let current: string | undefined;
  const raw = new Map<string, { service: string[]; realServers: string[][] }>();
  for (const line of output.split('\n')) {
    if (line.includes('Flags')) {
      fields = splitWords(line);
    } else if (fields.length > 0 && fields[fields.length - 1] === 'Flags') {
      fields.push(...splitWords(line));
    } else if (line.includes('Prot')) {
      fields = splitWords(line);
    } else if (line.includes('RemoteAddress')) {
      const serviceColumns = fields.slice(fields.indexOf('LocalAddress:Port') + 1);
      fields.push(...splitWords(line), ...serviceColumns);
    } else if (line.includes('UDP') || line.includes('SCTP')) {
      const values = splitWords(line);
      const key = values.find((value) => value.includes(':'));
      if (key !== undefined) {
        raw.set(key, { service: values, realServers: [] });
        current = key;
      }
    } else if (line.includes('->') && current !== undefined) {
      raw.get(current)!.realServers.push(splitWords(line).filter((value) => value !== '->'));
    }
  }
  const arrow = fields.indexOf('->');
  const result = new Map<string, IpvsadmEntry>();
  if (arrow < 0) return result;
  const serviceFields = fields.slice(0, arrow).filter((field) => field !== 'Flags');
  const realServerFields = fields.slice(arrow + 1);
  const zip = (names: string[], values: string[]) =>
    new Map(names.slice(0, values.length).map((name, index) => [name, values[index]!]));
  for (const [key, entry] of raw) {
    result.set(key, {
      service: zip(serviceFields, entry.service),
      realServers: entry.realServers.map((values) => zip(realServerFields, values)),
    });
  }
  return result;
}

/** Real servers the kernel holds under any of `vips`, keyed `ip:port`, with their columns. */
export function parseProcIpVs(text: string, vips: readonly string[]): Map<string, Map<string, string>> {
  const wanted = new Set(vips.map(ipVsProcKey).filter((key): key is string => key !== undefined));
  const result = new Map<string, Map<string, string>>();
  let columns: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (line.includes('RemoteAddress:Port')) {
      const words = splitWords(line);
      columns = words.slice(words.indexOf('RemoteAddress:Port') + 1);
    } else if (line.startsWith('UDP') || line.startsWith('SCTP')) {
      inBlock = wanted.has(splitWords(line)[1] ?? '');
    } else if (inBlock && line.trim() !== '') {
      const words = splitWords(line).filter((word) => word !== '->');
      const ipPort = ipPortFromProcKey(words[0] ?? '');
      if (ipPort === undefined) continue;
      result.set(ipPort, new Map(columns.map((name, index) => [name, words[index + 1] ?? ''])));
    } else if (line.startsWith('TCP')) {
      inBlock = false;
    }
  }
  return result;
}
