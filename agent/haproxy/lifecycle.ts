import { stopOrphanedHaproxy } from './orphans.ts';
import { readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { md5Hex } from '../util/md5.ts';
import { appError } from '../domain/refusal.ts';
import type { AgentContext } from '../context.ts';
import type { ProcessOutcome } from '../daemons/types.ts';
import type { HaproxyProcessManager } from './process-manager.ts';
import { DirectProcessManager, type DirectManagerOptions } from './direct-manager.ts';
import { SystemdProcessManager, type SystemdManagerOptions } from './systemd-manager.ts';
import { forProcessManager } from '../daemons/manager-kind.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import { HaproxyConfigStore } from './config-store.ts';
import { bindAddresses, bindEndpoints, parseHaproxyConfig } from './config-text.ts';
import { listLoadBalancers, loadBalancerExists } from './layout.ts';
import { haproxyPeerName } from './peer-name.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { queryStatsSocket } from './stats-socket.ts';
import { monotonicMs } from '../util/clock.ts';

export const LB_ACTIONS = ['start', 'stop', 'reload'] as const;
export type LbAction = (typeof LB_ACTIONS)[number];

/**
 * The UDP/SCTP (keepalived LVS) side of the shared `/loadbalancer/{id}/{action}` and
 * `DELETE /listeners/{id}` routes. Ids of both kinds share one namespace (§4.1): an id with a
 * haproxy.cfg is an LB, else one with an LVS config is an LVS listener.
 */
export interface LvsListenerBackend {
  exists(listenerId: string): Promise<boolean>;
  /** Every UDP/SCTP listener on disk, for GET /1.0/listeners. */
  listenerStatuses(): Promise<ListenerStatus[]>;
  action(listenerId: string, action: LbAction): Promise<Reply>;
  remove(listenerId: string): Promise<Reply>;
}

/** Neighbouring features called at the reference's points of the lifecycle. */
export interface LifecycleHooks {
  /** ACTIVE_STANDBY: refresh the VRRP haproxy check script (§4.4) before an action runs. */
  beforeAction?(lbId: string, action: LbAction): Promise<void>;
  /** SINGLE topology: gratuitous ARP / unsolicited NA for the LB's VIPs after start/reload (§4.5). */
  advertiseVips?(lbId: string, addresses: string[]): Promise<void>;
  /** After an LB is deleted: the check script without it (§3.8.1 step 4). */
  afterDelete?(lbId: string): Promise<void>;
}

export interface HaproxyServiceOptions {
  /** Given: used as is; else chosen for the host, with these options. */
  processManager?: HaproxyProcessManager;
  direct?: DirectManagerOptions;
  systemd?: SystemdManagerOptions;
  hooks?: LifecycleHooks;
  lvs?: LvsListenerBackend;
}

/** What applyConfig installed: the config's MD5 and, when haproxy had not confirmed it yet, why. */
export interface AppliedConfig {
  etag: string;
  unconfirmed: string | undefined;
}

/** Hooks of HaproxyService.applyConfig, run under the LB's lock. */
export interface ApplySteps {
  beforeInstall?(): Promise<void>;
  onLive?(): Promise<void>;
}

export interface ListenerStatus {
  status: string;
  uuid: string;
  type: string;
}

/** How long a stats socket the heartbeat found silent gets to answer before haproxy is restarted. */
const WEDGED_PROBE_MS = 2_000;

const notFound = (lbId: string) => appError(404, 'Loadbalancer Not Found', `No loadbalancer with UUID: ${lbId}`);

/**
 * The haproxy side of an amphora: config upload and validation, start/stop/reload, delete,
 * listener listing. One operation per LB at a time (lock `lb:<id>`); ids are checked before
 * anything touches the disk or a command line.
 */
export class HaproxyService {
  readonly #context: AgentContext;
  readonly store: HaproxyConfigStore;
  readonly processes: HaproxyProcessManager;
  readonly #hooks: LifecycleHooks;
  readonly #lvs: LvsListenerBackend | undefined;

  constructor(context: AgentContext, options: HaproxyServiceOptions = {}) {
    this.#context = context;
    this.store = new HaproxyConfigStore(context);
    this.processes =
      options.processManager ??
      forProcessManager<HaproxyProcessManager>(context, {
        systemd: () => new SystemdProcessManager(context, options.systemd),
        direct: () => new DirectProcessManager(context, options.direct),
      });
    this.#hooks = options.hooks ?? {};
    this.#lvs = options.lvs;
  }

  /** At agent start: adopt (direct) the LBs found on disk. */
  async start(): Promise<void> {
    await this.store.ensureUserGroupConfig().catch((error: unknown) => {
      this.#context.logger.warn({ err: error }, 'cannot write the haproxy user-group include');
    });
    await stopOrphanedHaproxy(this.#context.paths, this.#context.logger);
    await this.processes.adopt(await listLoadBalancers(this.#context.paths));
  }

  /** At agent exit. haproxy keeps running. */
  async shutdown(): Promise<void> {
    await this.processes.shutdown();
  }

  #lock<T>(lbId: string, work: () => Promise<T>): Promise<T> {
    return this.#context.locks.run(`lb:${lbId}`, work);
  }

  #isActiveStandby(): boolean {
    return this.#context.config.current.controller_worker.loadbalancer_topology === 'ACTIVE_STANDBY';
  }

  /** PUT /1.0/loadbalancer/{amphora_id}/{lb_id}/haproxy (§3.5). `readBody` runs after the id checks. */
  async uploadConfig(amphoraId: string, lbId: string, readBody: () => Promise<Uint8Array>): Promise<Reply> {
    if (!isSafeId(lbId)) throw appError(400, 'Invalid request', 'Invalid load balancer id');
    const peerName = haproxyPeerName(amphoraId);
    const body = await readBody();
    const md5 = md5Hex(body);
    return this.#lock(lbId, async () => {
      await this.#refuseTakenEndpoints(lbId, body);
      const outcome = await this.store.install(lbId, peerName, body);
      if (!outcome.valid) {
        this.#context.metrics?.configRefused('haproxy');
        this.#context.logger.warn({ lbId, output: outcome.output }, 'haproxy configuration rejected');
        throw appError(400, 'Invalid request', outcome.output);
      }
      const prepared = await this.processes.prepare(lbId, peerName);
      // (sic) the reference names keepalived in this haproxy error.
      if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalived service', prepared.output);
      return jsonReply(202, { message: 'OK' }, md5);
    });
  }

  /**
   * Extension (the model endpoint): install config bytes rendered by the agent and start or
   * reload them as one operation under the LB's lock, so it serializes with raw uploads and
   * actions. `steps.beforeInstall` writes what the config refers to; `steps.onLive` runs once
   * haproxy serves the new config (e.g. to record the model). On any failure the previous
   * haproxy.cfg is put back (or removed when there was none), so the disk keeps describing what
   * runs, and the error is rethrown.
   */
  async applyConfig(amphoraId: string, lbId: string, body: Uint8Array, steps: ApplySteps = {}): Promise<AppliedConfig> {
    if (!isSafeId(lbId)) throw appError(400, 'Invalid request', 'Invalid load balancer id');
    const peerName = haproxyPeerName(amphoraId);
    const md5 = md5Hex(body);
    return this.#lock(lbId, async () => {
      const previous = await this.store.read(lbId);
      const wasRunning = previous !== undefined && (await this.processes.isRunning(lbId));
      await this.#refuseTakenEndpoints(lbId, body);
      await steps.beforeInstall?.();
      const outcome = await this.store.install(lbId, peerName, body);
      if (!outcome.valid) {
        this.#context.metrics?.configRefused('haproxy');
        throw appError(400, 'Invalid request', outcome.output);
      }
      let applied = false;
      let unconfirmed: string | undefined;
      try {
        const prepared = await this.processes.prepare(lbId, peerName);
        if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalived service', prepared.output);
        const { action, outcome } = await this.#runHaproxyAction(lbId, 'reload');
        // Told to load the new config, haproxy may still do so: rolling the disk back would
        // leave it serving a config that is no longer on disk. The new one stays, said so.
        if (!outcome.ok && !outcome.signalled) throw appError(500, `Error ${action}ing haproxy`, outcome.output);
        if (!outcome.ok) unconfirmed = `haproxy was signalled to load the new configuration, which is installed, but has not confirmed it yet: ${outcome.output}`;
        applied = true;
        await steps.onLive?.();
      } catch (error) {
        await this.#rollback(lbId, previous, wasRunning, applied);
        throw error;
      }
      return { etag: md5, unconfirmed };
    });
  }

  /**
   * haproxy binds with SO_REUSEPORT, so a second load balancer on another's VIP and port would
   * silently take half its connections: refused, naming the owner. Loopback stays shared
   * (every PROMETHEUS listener of Octavia binds 127.0.0.1:9101).
   */
  async #refuseTakenEndpoints(lbId: string, body: Uint8Array): Promise<void> {
    const wanted = bindEndpoints(Buffer.from(body).toString('latin1')).filter((endpoint) => !isLoopback(endpoint.address));
    if (wanted.length === 0) return;
    for (const other of await listLoadBalancers(this.#context.paths)) {
      if (other === lbId) continue;
      const text = await readFile(this.#context.paths.haproxyConfig(other), 'latin1').catch(() => '');
      for (const taken of bindEndpoints(text)) {
        const clash = wanted.find(
          (endpoint) => endpoint.port === taken.port && (endpoint.address === taken.address || endpoint.address === '' || taken.address === ''),
        );
        if (clash && !isLoopback(taken.address)) {
          const shown = clash.address.includes(':') ? `[${clash.address}]` : clash.address || '*';
          throw appError(409, 'Listener address already in use', `${shown}:${clash.port} is already served by load balancer ${other}`);
        }
      }
    }
  }

  /** Puts the previous config back after a failed applyConfig; best effort, logged. */
  async #rollback(lbId: string, previous: Buffer | undefined, wasRunning: boolean, applied: boolean): Promise<void> {
    const paths = this.#context.paths;
    try {
      if (previous === undefined) {
        if (await this.processes.isRunning(lbId)) await this.processes.stop(lbId);
        await this.processes.remove(lbId);
        await unlink(paths.haproxyConfig(lbId)).catch(() => undefined);
        return;
      }
      await writeFileAtomic(paths.haproxyConfig(lbId), previous, { mode: 0o600 });
      // A failed start/reload leaves haproxy on the previous config; a later failure does not.
      if (applied) await (wasRunning ? this.processes.reload(lbId) : this.processes.stop(lbId));
    } catch (error) {
      this.#context.logger.error({ lbId, err: error }, 'restoring the previous haproxy configuration failed');
    }
  }

  /** GET /1.0/loadbalancer/{lb_id}/haproxy (§3.6); the ETag is the MD5 of the stored bytes. */
  async getConfig(lbId: string): Promise<Reply> {
    if (!isSafeId(lbId)) throw notFound(lbId);
    const bytes = await this.store.read(lbId);
    if (bytes === undefined) throw notFound(lbId);
    return { status: 200, body: bytes, etag: md5Hex(bytes) };
  }

  /** PUT /1.0/loadbalancer/{object_id}/{action} (§3.7). */
  async runAction(objectId: string, requestedAction: string): Promise<Reply> {
    const action = requestedAction.toLowerCase();
    if (!(LB_ACTIONS as readonly string[]).includes(action)) {
      throw appError(400, 'Invalid Request', `Unknown action: ${action}`);
    }
    if (!isSafeId(objectId)) throw notFound(objectId);
    return this.#lock(objectId, async () => {
      if (await this.#isLvsListener(objectId)) return this.#lvs!.action(objectId, action as LbAction);
      return this.#haproxyAction(objectId, action as LbAction);
    });
  }

  async #isLvsListener(objectId: string): Promise<boolean> {
    if (!this.#lvs || (await loadBalancerExists(this.#context.paths, objectId))) return false;
    return this.#lvs.exists(objectId);
  }

  async #haproxyAction(lbId: string, requested: LbAction): Promise<Reply> {
    const { action, outcome } = await this.#runHaproxyAction(lbId, requested);
    if (!outcome.ok) throw appError(500, `Error ${action}ing haproxy`, outcome.output);
    if (action === 'start') {
      return jsonReply(202, { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lbId} started` });
    }
    return jsonReply(202, { message: 'OK', details: `Listener ${lbId} ${action}ed` });
  }

  /** The action's outcome, failures included (logged); the caller decides what a failure means. */
  async #runHaproxyAction(lbId: string, requested: LbAction): Promise<{ action: LbAction; outcome: ProcessOutcome }> {
    if (!(await loadBalancerExists(this.#context.paths, lbId))) throw notFound(lbId);
    if (this.#isActiveStandby()) await this.#hooks.beforeAction?.(lbId, requested);
    let action = requested;
    if (action === 'reload') {
      // haproxy does not start on a reload: a stopped LB is started instead.
      if (!(await this.processes.isRunning(lbId))) action = 'start';
      else await this.#saveServersState(lbId);
    }
    const started = monotonicMs();
    const outcome = await this.processes[action](lbId);
    if (action === 'reload') this.#context.metrics?.reload('haproxy', outcome.ok, (monotonicMs() - started) / 1000);
    if (!outcome.ok) {
      this.#context.logger.error({ lbId, action, output: outcome.output }, 'haproxy action failed');
    } else if (!this.#isActiveStandby() && action !== 'stop') {
      await this.#advertise(lbId);
    }
    return { action, outcome };
  }

  /**
   * The heartbeat found this running haproxy's stats socket silent for several intervals. Asked
   * once more; still silent, it is restarted (stop with grace, start): a wedged haproxy serves
   * nothing while heartbeats would keep reporting its listeners from memory.
   */
  async restartWedged(lbId: string, silentBeats: number): Promise<void> {
    if (!isSafeId(lbId)) return;
    await this.#lock(lbId, async () => {
      const paths = this.#context.paths;
      if (!(await loadBalancerExists(paths, lbId)) || !(await this.processes.isRunning(lbId))) return;
      const answers = await queryStatsSocket(paths.statsSocket(lbId), 'show info', WEDGED_PROBE_MS).then(
        () => true,
        () => false,
      );
      if (answers) return;
      this.#context.logger.error({ lbId, silentBeats }, 'haproxy has not answered its stats socket for several heartbeats; restarting it');
      const stopped = await this.processes.stop(lbId);
      const started = stopped.ok ? await this.processes.start(lbId) : stopped;
      if (!started.ok) {
        this.#context.logger.error({ lbId, output: started.output }, 'restarting a wedged haproxy failed');
      } else if (!this.#isActiveStandby()) {
        await this.#advertise(lbId);
      }
    });
  }

  /** Member states survive the reload: haproxy reads them back via `server-state-file`. */
  async #saveServersState(lbId: string): Promise<void> {
    const paths = this.#context.paths;
    try {
      const state = await queryStatsSocket(paths.statsSocket(lbId), 'show servers state', 5000);
      await writeFileAtomic(paths.serversState(lbId), `${state}\n`, { mode: 0o644 });
    } catch (error) {
      this.#context.logger.warn({ lbId, err: error }, 'failed to save haproxy servers state');
    }
  }

  async #advertise(lbId: string): Promise<void> {
    if (!this.#hooks.advertiseVips) return;
    try {
      const text = await readFile(this.#context.paths.haproxyConfig(lbId), 'latin1');
      await this.#hooks.advertiseVips(lbId, bindAddresses(text));
    } catch (error) {
      this.#context.logger.warn({ lbId, err: error }, 'VIP advertisement failed');
    }
  }

  /** DELETE /1.0/listeners/{object_id} (§3.8): idempotent, 200 for unknown ids. */
  async deleteObject(objectId: string): Promise<Reply> {
    if (!isSafeId(objectId)) return jsonReply(200, { message: 'OK' });
    return this.#lock(objectId, async () => {
      if (await this.#isLvsListener(objectId)) return this.#lvs!.remove(objectId);
      return this.#deleteLoadBalancer(objectId);
    });
  }

  /** Extension (the model endpoint): `work` under the LB's lock, as one operation. */
  exclusive<T>(lbId: string, work: () => Promise<T>): Promise<T> {
    if (!isSafeId(lbId)) throw appError(400, 'Invalid request', 'Invalid load balancer id');
    return this.#lock(lbId, work);
  }

  /** The LB delete for a caller already holding the LB's lock (`exclusive`). */
  async deleteLoadBalancerHeld(lbId: string): Promise<void> {
    await this.#deleteLoadBalancer(lbId);
  }

  async #deleteLoadBalancer(lbId: string): Promise<Reply> {
    const paths = this.#context.paths;
    if (!(await loadBalancerExists(paths, lbId))) {
      // A model of UDP/SCTP listeners only keeps model.json in B/<id>/ without a haproxy.cfg.
      await unlink(join(paths.lbDir(lbId), 'model.json')).catch(() => undefined);
      await rmdir(paths.lbDir(lbId)).catch(() => undefined);
      return jsonReply(200, { message: 'OK' });
    }
    if (await this.processes.isRunning(lbId)) {
      const stopped = await this.processes.stop(lbId);
      if (!stopped.ok) throw appError(500, 'Error stopping haproxy', stopped.output);
    }
    try {
      const { statsSocket } = parseHaproxyConfig(await readFile(paths.haproxyConfig(lbId), 'latin1'));
      await unlink(statsSocket);
    } catch {
      // no socket, or an unparsable config: nothing to clean
    }
    if (this.#hooks.afterDelete) {
      await this.#hooks.afterDelete(lbId).catch((error: unknown) => {
        this.#context.logger.warn({ lbId, err: error }, 'check script update after delete failed');
      });
    }
    await rm(paths.lbCertDir(lbId), { recursive: true, force: true }).catch(() => undefined);
    await this.processes.remove(lbId);
    await rm(paths.lbDir(lbId), { recursive: true, force: true });
    // A haproxy the pid file did not name (a start still settling) must not outlive its LB.
    await stopOrphanedHaproxy(paths, this.#context.logger, lbId);
    return jsonReply(200, { message: 'OK' });
  }

  /**
   * GET /1.0/listeners (§3.4): every frontend of every LB, then the LVS listeners. An LB whose
   * config cannot be parsed is skipped rather than failing the whole list (§8.4).
   */
  async listListeners(): Promise<ListenerStatus[]> {
    const paths = this.#context.paths;
    const listeners: ListenerStatus[] = [];
    for (const lbId of await listLoadBalancers(paths)) {
      try {
        const parsed = parseHaproxyConfig(await readFile(paths.haproxyConfig(lbId), 'latin1'));
        for (const [uuid, frontend] of parsed.frontends) listeners.push({ status: 'ACTIVE', uuid, type: frontend.mode });
      } catch (error) {
        this.#context.logger.warn({ lbId, err: error }, 'skipping an unparsable haproxy.cfg');
      }
    }
    if (this.#lvs) listeners.push(...(await this.#lvs.listenerStatuses()));
    return listeners;
  }

  /** Frontend names of one LB (for /details); none when the config is missing or unparsable. */
  async listenerIds(lbId: string): Promise<string[]> {
    try {
      const text = await readFile(this.#context.paths.haproxyConfig(lbId), 'latin1');
      return [...parseHaproxyConfig(text).frontends.keys()];
    } catch {
      return [];
    }
  }
}

/** The haproxy service main.ts wires in: `start()` after the API listens, `shutdown()` on exit. */
export function createHaproxyService(context: AgentContext, options: HaproxyServiceOptions = {}): HaproxyService {
  return new HaproxyService(context, options);
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
