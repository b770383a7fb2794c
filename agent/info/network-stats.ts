import { namespaceExists } from '../network/interface-lookup.ts';
import { runCommand } from '../util/run-command.ts';
import { monotonicMs } from '../util/clock.ts';

export type NetworkStats = Record<string, { network_tx: number; network_rx: number }>;

interface IpLink {
  ifname: string;
  stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } };
}

/**
 * Byte counters of the `eth*` links inside the data-plane namespace (empty name: the agent's
 * own), from the kernel's 64-bit link statistics, as the reference reports them. A namespace
 * that does not exist yet means nothing is plugged: an empty object (the reference would create
 * it). Throws when `ip` fails on an existing namespace.
 */
export async function readNetworkStats(namespace: string): Promise<NetworkStats> {
  if (!namespaceExists(namespace)) return {};
  const args = namespace ? ['-n', namespace, '-j', '-s', 'link', 'show'] : ['-j', '-s', 'link', 'show'];
  const result = await runCommand('ip', args, { timeoutMs: 5_000 });
  if (result.exitCode !== 0) throw new Error(`ip link show failed: ${result.output.trim()}`);
  const links = JSON.parse(result.output) as IpLink[];
  const stats: NetworkStats = {};
  for (const link of links) {
    if (!link.ifname.startsWith('eth')) continue;
    stats[link.ifname] = { network_tx: link.stats64?.tx?.bytes ?? 0, network_rx: link.stats64?.rx?.bytes ?? 0 };
  }
  return stats;
}

/**
 * Interface counters sampled at most once per `maxAgeMs`, and one sample shared by concurrent
 * callers: each sample costs an `ip` process, while the control plane reads /details before
 * every config render and never needs byte counters fresher than a second.
 */
export class NetworkStatsSampler {
  readonly #maxAgeMs: number;
  readonly #read: (namespace: string) => Promise<NetworkStats>;
  #last: { namespace: string; at: number; value: Promise<NetworkStats> } | undefined;

  constructor(maxAgeMs = 1000, read: (namespace: string) => Promise<NetworkStats> = readNetworkStats) {
    this.#maxAgeMs = maxAgeMs;
    this.#read = read;
  }

  sample(namespace: string): Promise<NetworkStats> {
    const now = monotonicMs();
    const last = this.#last;
    if (last && last.namespace === namespace && now - last.at < this.#maxAgeMs) return last.value;
    const value = this.#read(namespace);
    this.#last = { namespace, at: now, value };
    return value;
  }
}
