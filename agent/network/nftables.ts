import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { ensureDirectory, fileExists, writeFileAtomic } from '../util/atomic-file.ts';
import { runCommand, type CommandResult } from '../util/run-command.ts';
import { AgentError } from '../util/errors.ts';

/**
 * The SR-IOV VIP firewall (§11): `PUT /1.0/interface/{ip}/rules` and the load that
 * `amphora-interface up` does for an SR-IOV interface. One table, `inet amphora_table`, input
 * hook, policy drop; the VIP chain holds the controller's rules.
 *
 * Beyond the reference: rules are applied even when the file does not exist yet; the rule set
 * before any rules arrive (the base) also accepts loopback and established traffic, and reloads
 * idempotently; a rule set is validated completely and checked with `nft -c` before the running
 * rules or the file change, and the file is replaced only once the kernel took the rules; an IPv6
 * peer's VRRP rule matches IPv6 VRRP.
 */

export const NFT_COMMAND = '/usr/sbin/nft';

export const VIP_RULE_PROTOCOLS = ['SCTP', 'TCP', 'UDP', 'vrrp'] as const;
export type VipRuleProtocol = (typeof VIP_RULE_PROTOCOLS)[number];

export interface VipRule {
  protocol: VipRuleProtocol;
  /** Allowed source prefix; null = any. */
  cidr: string | null;
  port: number;
}

/** Where the rules live and run. */
export interface VipFirewallTarget {
  /** The rules file (`/var/lib/octavia/nftables-vip.rules` by default). */
  rulesFile: string;
  /** Network namespace to load them in; empty: the caller's own (as `amphora-interface`, which already runs inside). */
  namespace: string;
  /** nft binary; default /usr/sbin/nft. */
  nftCommand?: string;
}

export class VipFirewallError extends AgentError {
  readonly output: string;
  constructor(message: string, output: string) {
    super(`${message}: ${output.trim()}`);
    this.output = output;
  }
}

const RULE_KEYS = new Set(['protocol', 'cidr', 'port']);

/** `192.0.2.0/24`, `2001:db8::/64` or a bare address; the prefix within the family's width. */
function isSourcePrefix(cidr: string): boolean {
  const [address = '', prefix, ...rest] = cidr.split('/');
  if (rest.length > 0) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/u.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The request body checked against the reference's schema (§11.1) and, beyond it, everything
 * that would make nft refuse the file (source prefixes, whole port numbers): undefined when
 * invalid. JSON's `80.0` is the number 80 and passes.
 */
export function parseVipRules(body: unknown): VipRule[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const rules: VipRule[] = [];
  for (const item of body as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
    const entry = item as Record<string, unknown>;
    if (Object.keys(entry).some((key) => !RULE_KEYS.has(key))) return undefined;
    const { protocol, cidr, port } = entry;
    if (typeof protocol !== 'string' || !(VIP_RULE_PROTOCOLS as readonly string[]).includes(protocol)) return undefined;
    if (!('cidr' in entry) || (cidr !== null && (typeof cidr !== 'string' || !isSourcePrefix(cidr)))) return undefined;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    rules.push({ protocol: protocol as VipRuleProtocol, cidr: cidr as string | null, port });
  }
  return rules;
}

function sourcePrefix(cidr: string | null): string {
  if (cidr === null || cidr === '0.0.0.0/0') return '';
  const family = isIP(cidr.split('/')[0] ?? '');
  return family === 4 ? `ip saddr ${cidr} ` : `ip6 saddr ${cidr} `;
}

/** One statement of the VIP chain, as the reference writes it (IPv6 VRRP aside). */
export function renderVipRule(rule: VipRule): string {
  const prefix = sourcePrefix(rule.cidr);
  switch (rule.protocol) {
    case 'SCTP':
      return `${prefix}sctp dport ${rule.port} accept`;
    case 'TCP':
      return `${prefix}tcp dport ${rule.port} accept`;
    case 'UDP':
      return `${prefix}udp dport ${rule.port} accept`;
    case 'vrrp':
      // `ip protocol` matches IPv4 only: an IPv6 peer's VRRP needs the layer-4 protocol match.
      return prefix.startsWith('ip6 ') ? `${prefix}meta l4proto 112 accept` : `${prefix}ip protocol 112 accept`;
  }
}

/**
 * The whole rules file: byte for byte the reference's text for a non-empty rule list. With no
 * rules it is the base ruleset written before the controller sends any (an empty VIP chain:
 * loopback, established and neighbour discovery pass, every new connection is dropped).
 */
export function renderVipRuleset(rules: readonly VipRule[]): string {
  const lines = [
    'table inet amphora_table {}',
    'delete table inet amphora_table',
    'table inet amphora_table {',
    '  chain amphora_chain {',
    '    type filter hook input priority filter; policy drop;',
    '      ct state vmap { established : accept, related : accept, invalid : drop }',
    '      iif lo accept',
    '      ip saddr 127.0.0.0/8 drop',
    '      ip6 saddr ::1 drop',
    '      icmp type destination-unreachable accept',
    '      icmpv6 type { nd-neighbor-solicit, nd-router-advert, nd-neighbor-advert, packet-too-big, destination-unreachable } accept',
    '      udp sport 67 udp dport 68 accept',
    '      udp sport 547 udp dport 546 accept',
    '      iifname eth1 goto amphora_vip_chain',
    '  }',
    '  chain amphora_vip_chain {',
    ...rules.map((rule) => `      ${renderVipRule(rule)}`),
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function nft(target: VipFirewallTarget, args: string[], input?: string): Promise<CommandResult> {
  return runCommand(target.nftCommand ?? NFT_COMMAND, args, {
    namespace: target.namespace,
    timeoutMs: 30_000,
    ...(input === undefined ? {} : { input }),
  });
}

/** `nft -o -f FILE` inside the target namespace. */
async function loadFile(target: VipFirewallTarget, path: string): Promise<void> {
  const result = await nft(target, ['-o', '-f', path]);
  if (result.exitCode !== 0) throw new VipFirewallError('nft could not load the rules', result.output);
}

/**
 * Checks `text` with `nft -c`, loads it (one nft transaction: all or nothing), then replaces the
 * file atomically. A refused rule set changes neither the running rules nor the file. If the
 * file cannot be written after the load, the previous file is loaded back.
 */
async function replaceRuleset(target: VipFirewallTarget, text: string): Promise<void> {
  const checked = await nft(target, ['-c', '-f', '/dev/stdin'], text);
  if (checked.exitCode !== 0) throw new VipFirewallError('nft refused the rules', checked.output);
  const loaded = await nft(target, ['-o', '-f', '/dev/stdin'], text);
  if (loaded.exitCode !== 0) throw new VipFirewallError('nft could not load the rules', loaded.output);
  try {
    await ensureDirectory(dirname(target.rulesFile));
    await writeFileAtomic(target.rulesFile, text, { mode: 0o600 });
  } catch (error) {
    if (await fileExists(target.rulesFile)) await loadFile(target, target.rulesFile).catch(() => undefined);
    throw error;
  }
}

/**
 * PUT /1.0/interface/{ip}/rules (§11.3, §11.4) after validation: an existing file with an empty
 * rule list is kept and reloaded (the reference's "reboot" case); anything else writes and loads
 * the rendered rule set. Throws VipFirewallError when nft refuses.
 */
export async function applyVipRules(target: VipFirewallTarget, rules: readonly VipRule[]): Promise<void> {
  if (rules.length === 0 && (await fileExists(target.rulesFile))) {
    await loadFile(target, target.rulesFile);
    return;
  }
  await replaceRuleset(target, renderVipRuleset(rules));
}

/**
 * For `amphora-interface up` of an SR-IOV interface: writes the base rule set when no rules file
 * exists yet, then loads the file (so saved rules come back after a reboot).
 */
export async function loadVipFirewall(target: VipFirewallTarget): Promise<void> {
  if (!(await fileExists(target.rulesFile))) {
    await replaceRuleset(target, renderVipRuleset([]));
    return;
  }
  await loadFile(target, target.rulesFile);
}
