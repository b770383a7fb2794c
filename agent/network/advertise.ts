import type { AgentContext } from '../context.ts';
import { ALL_NODES, addressBytes, garpFrame, neighborAdvertisement } from './advertise-frames.ts';
import { addressKey, findAddress, listNamespaceAddresses, namespaceExists } from './interface-lookup.ts';
import { inNetworkNamespace, sendEthernetFrame, sendIcmpv6 } from './raw-sockets.ts';
import { errorMessage } from '../util/errors.ts';

/** What happened to one address of a batch. */
export interface AdvertisementOutcome {
  address: string;
  /** `sent`: on `interface`; `skipped`: held by the loopback link (nothing to tell); `failed`: see `error`. */
  result: 'sent' | 'skipped' | 'failed';
  interface?: string;
  error?: string;
}

/**
 * Gratuitous ARP (IPv4) and unsolicited neighbour advertisement (IPv6) for every address, each
 * from the link of `namespace` that holds it (§9). Best effort and complete: an address that
 * fails (not configured here, e.g. on a BACKUP amphora; a socket error) is reported and the
 * others are still advertised. Duplicates (one VIP on several `bind` lines) go out once.
 * One `ip -json addr` call per batch; the frames are sent in-process from inside the namespace.
 */
export async function advertiseAddresses(namespace: string, addresses: readonly string[]): Promise<AdvertisementOutcome[]> {
  const unique: string[] = [];
  const seen = new Set<string>();
  for (const address of addresses) {
    const key = addressKey(address) ?? `invalid:${address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(address);
  }
  if (unique.length === 0) return [];
  if (!namespaceExists(namespace)) {
    return unique.map((address) => ({ address, result: 'failed', error: `network namespace ${namespace} does not exist` }));
  }
  const configured = await listNamespaceAddresses(namespace);
  return inNetworkNamespace(namespace, () =>
    unique.map((address): AdvertisementOutcome => {
      const holder = findAddress(configured, address);
      if (!holder) return { address, result: 'failed', error: 'address not configured on any interface' };
      if (holder.ifname === 'lo') return { address, result: 'skipped', interface: 'lo' };
      if (!holder.mac) return { address, result: 'failed', interface: holder.ifname, error: 'interface has no MAC address' };
      try {
        if (holder.family === 4) sendEthernetFrame(holder.ifindex, garpFrame(holder.mac, holder.address));
        else sendIcmpv6(holder.ifindex, addressBytes(holder.address), ALL_NODES, neighborAdvertisement(holder.mac, holder.address));
        return { address, result: 'sent', interface: holder.ifname };
      } catch (error) {
        return { address, result: 'failed', interface: holder.ifname, error: errorMessage(error) };
      }
    }),
  );
}

/**
 * The lifecycle hook (haproxy start/reload, LVS start/restart in SINGLE topology; plug/network):
 * advertises in the configured `network_namespace` and logs the outcome. Never throws: the
 * HTTP answer does not depend on advertisements.
 */
export function createAddressAdvertiser(context: AgentContext): (objectId: string, addresses: string[]) => Promise<void> {
  return async (objectId, addresses) => {
    try {
      const namespace = context.config.current.amphora_agent.network_namespace;
      const outcomes = await advertiseAddresses(namespace, addresses);
      const failed = outcomes.filter((outcome) => outcome.result === 'failed');
      const sent = outcomes.filter((outcome) => outcome.result === 'sent').map((outcome) => `${outcome.address}@${outcome.interface}`);
      // A BACKUP amphora or an address not plugged yet is normal: debug, as the reference logs it.
      if (failed.length > 0) context.logger.debug({ objectId, failed }, 'some addresses were not advertised');
      if (sent.length > 0) context.logger.debug({ objectId, sent }, 'addresses advertised');
    } catch (error) {
      context.logger.warn({ objectId, err: error }, 'address advertisement failed');
    }
  };
}
