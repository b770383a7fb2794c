import { randomBytes, randomUUID } from 'node:crypto';
import type { LoadBalancerModel } from '../model/types.ts';
import { OptionReader } from './args.ts';
import type { AgentClient, ModelUpload } from './client.ts';
import { applyFieldOptions, applySwitch, type FieldOption } from './field-options.ts';
import { resolveConnection, type Connection } from './connection.ts';
import { CliError } from './errors.ts';

/**
 * ACTIVE_STANDBY with amphoractl: one load balancer on two agents that share the VIP through
 * keepalived VRRP. The model names both amphorae (this agent MASTER, priority 100; the peer
 * BACKUP, 90) and their VRRP addresses; each agent renders its own keepalived configuration
 * from it (the model endpoint), so every save goes to both.
 */

/** `--peer-*` name the second agent; each defaults to its counterpart of the first one. */
export const PEER_CONNECTION_OPTIONS = ['peer-url', 'peer-cert', 'peer-cacert', 'peer-server-name'] as const;
export const ACTIVE_STANDBY_OPTIONS = ['topology', 'vip-subnet', 'vip-gateway', 'vrrp-address', 'peer-vrrp-address'] as const;

export const ACTIVE_STANDBY_USAGE = `  loadbalancer create ... --topology ACTIVE_STANDBY --vip-subnet CIDR [--vip-gateway IP]
                      --vrrp-address IP --peer-vrrp-address IP   (with --peer-url URL [--peer-cert PEM]
                      [--peer-cacert PEM] [--peer-server-name NAME], or AMPHORACTL_PEER_*)`;

/** The second agent, when `--peer-url` or AMPHORACTL_PEER_URL names one. */
export function resolvePeerConnection(options: OptionReader, env: NodeJS.ProcessEnv, first: Connection): Connection | undefined {
  const url = options.string('peer-url') ?? env.AMPHORACTL_PEER_URL;
  if (url === undefined) return undefined;
  const serverName = options.string('peer-server-name') ?? env.AMPHORACTL_PEER_SERVER_NAME;
  const peerOptions = new OptionReader(
    new Map([
      ['url', [url]],
      ['cert', [options.string('peer-cert') ?? env.AMPHORACTL_PEER_CERT ?? first.cert]],
      ['cacert', [options.string('peer-cacert') ?? env.AMPHORACTL_PEER_CACERT ?? first.cacert]],
      ...(serverName === undefined ? [] : [['server-name', [serverName]] as [string, string[]]]),
    ]),
  );
  return resolveConnection(peerOptions, {});
}

export interface VrrpSide {
  amphoraId: string;
  vrrpIp: string;
  /** The interface holding `vrrpIp` on that amphora, as the agent reports it. */
  vrrpInterface: string;
}

export interface ActiveStandbyRequest {
  /** The load balancer object so far: id, name, description, admin_state_up. */
  loadbalancer: Record<string, unknown>;
  vipAddress: string;
  vipSubnet: string;
  vipGateway: string | null;
  master: VrrpSide;
  backup: VrrpSide;
}

/** The model of a new ACTIVE_STANDBY load balancer, with Octavia's VRRP defaults. */
export function activeStandbyModel(request: ActiveStandbyRequest): LoadBalancerModel {
  const lb = request.loadbalancer;
  const amphora = (side: VrrpSide, role: 'MASTER' | 'BACKUP') => ({
    id: side.amphoraId,
    status: 'ALLOCATED',
    role,
    vrrp_ip: side.vrrpIp,
    vrrp_interface: side.vrrpInterface,
    vrrp_id: 1,
    vrrp_priority: role === 'MASTER' ? 100 : 90,
  });
  return {
    loadbalancer: {
      ...lb,
      topology: 'ACTIVE_STANDBY',
      listeners: [],
      pools: [],
      additional_vips: [],
      vip: { ip_address: request.vipAddress, subnet: { cidr: request.vipSubnet, gateway_ip: request.vipGateway, host_routes: [] } },
      amphorae: [amphora(request.master, 'MASTER'), amphora(request.backup, 'BACKUP')],
      // Octavia: the group is the LB id without dashes, a 7-hex-digit password, 1 s adverts.
      vrrp_group: {
        vrrp_group_name: String(lb.id).replaceAll('-', ''),
        vrrp_auth_type: 'PASS',
        vrrp_auth_pass: randomBytes(4).toString('hex').slice(0, 7),
        advert_int: 1,
      },
    },
  } as unknown as LoadBalancerModel;
}

/** What `loadbalancer create --topology ACTIVE_STANDBY` needs of the session. */
export interface HaSession {
  client: AgentClient;
  peer: AgentClient | undefined;
}

/**
 * Reads the create options (nothing touches the network yet) and returns the work: ask each
 * agent its amphora id and the interface of its VRRP address, build the model, save it on both.
 */
export function activeStandbyCreate(options: OptionReader, fields: readonly FieldOption[]): (session: HaSession) => Promise<LoadBalancerModel> {
  const lb: Record<string, unknown> = { id: randomUUID() };
  applyFieldOptions(lb, options, fields);
  applySwitch(lb, options, '', 'admin_state_up');
  const vipAddress = options.required('vip-address');
  const vipSubnet = options.required('vip-subnet');
  const vipGateway = options.string('vip-gateway') ?? null;
  const vrrpIp = options.required('vrrp-address');
  const peerVrrpIp = options.required('peer-vrrp-address');
  if (vrrpIp === peerVrrpIp) throw new CliError('--vrrp-address and --peer-vrrp-address must differ');
  return async ({ client, peer }) => {
    if (peer === undefined) throw new CliError('--topology ACTIVE_STANDBY needs the second agent: use --peer-url or AMPHORACTL_PEER_URL');
    const [self, other] = await Promise.all([client.listModels(), peer.listModels()]);
    if (self.amphora_id === other.amphora_id) throw new CliError(`both agents are amphora ${self.amphora_id}: the peer must be another amphora`);
    const [selfInterface, peerInterface] = await Promise.all([client.interfaceOf(vrrpIp), peer.interfaceOf(peerVrrpIp)]);
    const model = activeStandbyModel({
      loadbalancer: lb,
      vipAddress,
      vipSubnet,
      vipGateway,
      master: { amphoraId: self.amphora_id, vrrpIp, vrrpInterface: selfInterface },
      backup: { amphoraId: other.amphora_id, vrrpIp: peerVrrpIp, vrrpInterface: peerInterface },
    });
    await saveOnBoth({ client, peer }, self.amphora_id, model);
    return model;
  };
}

/**
 * Saves a model: on this agent, and for ACTIVE_STANDBY on the peer too (under its own amphora
 * id). The MASTER's side goes first, as the controller configures amphorae in turn.
 */
export async function saveOnBoth(session: HaSession, amphoraId: string, model: ModelUpload): Promise<void> {
  await session.client.putModel(amphoraId, model);
  const lb = model.loadbalancer as Partial<LoadBalancerModel['loadbalancer']>;
  if (lb.topology !== 'ACTIVE_STANDBY') return;
  const peerAmphora = lb.amphorae?.find((amphora) => amphora.id !== amphoraId);
  if (peerAmphora === undefined) return;
  if (session.peer === undefined) throw new CliError(`load balancer ${lb.id} is ACTIVE_STANDBY: give its second agent with --peer-url`);
  await session.peer.putModel(peerAmphora.id, model);
}
