import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { md5Hex } from '../util/md5.ts';
import { appError, frameworkError } from '../domain/refusal.ts';
import type { AgentContext } from '../context.ts';
import type { LbAction, ListenerStatus, LvsListenerBackend } from '../haproxy/lifecycle.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { removeFiles } from '../daemons/direct-daemon.ts';
import { listLvsListeners, lvsChildPidPaths, lvsConfigPath, lvsListenerExists, lvsPidPath } from './layout.ts';
import type { LvsProcessManager } from './process-manager.ts';
import { KeepalivedDirectManager, type KeepalivedDirectOptions } from './direct-manager.ts';
import { KeepalivedSystemdManager, type KeepalivedSystemdOptions } from './systemd-manager.ts';
import { forProcessManager } from '../daemons/manager-kind.ts';
import { ensureDirectory, fileExists, renameDurable, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import { isPidFileAlive } from '../util/process-state.ts';
import { templatesDir } from '../util/project-root.ts';
import { checkKeepalivedConfig } from './config-check.ts';
import { lvsVipAddresses } from './vip-addresses.ts';
import { monotonicMs } from '../util/clock.ts';

/** Neighbouring features called at the reference's points of the LVS lifecycle. */
export interface LvsHooks {
  /**
   * ACTIVE_STANDBY, after an upload: install `B/vrrp/check_scripts/lvs_udp_check.sh` and
   * refresh the VRRP check script (§3.9 step 7); served by agent/vrrp/service.ts.
   */
  afterUploadActiveStandby?(listenerId: string): Promise<void>;
  /** SINGLE topology: gratuitous ARP / unsolicited NA for the listener's VIPs after start/restart. */
  advertiseVips?(listenerId: string, addresses: string[]): Promise<void>;
}

export interface LvsServiceOptions {
  /** Given: used as is; else chosen for the host, with these options. */
  processManager?: LvsProcessManager;
  direct?: KeepalivedDirectOptions;
  systemd?: KeepalivedSystemdOptions;
  hooks?: LvsHooks;
  /** The bundled health check copied to B/lvs/check/ (tests point it elsewhere). */
  udpCheckScript?: string;
  keepalivedCommand?: string;
}

type LvsVerb = 'start' | 'stop' | 'restart';

/** Puts a listener back as it was before a model applied it; run under the listener's lock. */
export type LvsUndo = () => Promise<void>;

const CHECK_SCRIPT_NAME = 'udp_check.sh';

const notFound = (listenerId: string) => appError(404, 'UDP Listener Not Found', `No UDP listener with UUID: ${listenerId}`);

/**
 * UDP/SCTP listeners, one keepalived (LVS) each (§3.7.2, §3.8.2, §3.9, §3.10): config upload
 * validated by keepalived before it replaces the live file, start/stop/restart, delete. Ids
 * share the `lb:<id>` lock namespace with load balancers; the shared action and delete routes
 * reach this service through HaproxyService, which already holds the lock.
 */
export class LvsListenerService implements LvsListenerBackend {
  readonly #context: AgentContext;
  readonly processes: LvsProcessManager;
  readonly #hooks: LvsHooks;
  readonly #udpCheckScript: string;
  readonly #keepalivedCommand: string | undefined;

  constructor(context: AgentContext, options: LvsServiceOptions = {}) {
    this.#context = context;
    this.processes =
      options.processManager ??
      forProcessManager<LvsProcessManager>(context, {
        systemd: () => new KeepalivedSystemdManager(context, options.systemd),
        direct: () =>
          new KeepalivedDirectManager(context, {
            ...options.direct,
            ...(options.keepalivedCommand ? { keepalivedCommand: options.keepalivedCommand } : {}),
          }),
      });
    this.#hooks = options.hooks ?? {};
    this.#udpCheckScript = options.udpCheckScript ?? join(templatesDir(), 'lvs', CHECK_SCRIPT_NAME);
    this.#keepalivedCommand = options.keepalivedCommand;
  }

  /** At agent start: adopt (direct) the listeners found on disk. */
  async start(): Promise<void> {
    await this.processes.adopt(await listLvsListeners(this.#context.paths));
  }

  async shutdown(): Promise<void> {
    await this.processes.shutdown();
  }

  #lock<T>(listenerId: string, work: () => Promise<T>): Promise<T> {
    return this.#context.locks.run(`lb:${listenerId}`, work);
  }

  #isActiveStandby(): boolean {
    return this.#context.config.current.controller_worker.loadbalancer_topology === 'ACTIVE_STANDBY';
  }

  exists(listenerId: string): Promise<boolean> {
    return lvsListenerExists(this.#context.paths, listenerId);
  }

  /** GET /1.0/listeners, its UDP part (§4.3): ACTIVE when keepalived runs a config with a virtual_server, ERROR when it died. */
  async listenerStatuses(): Promise<ListenerStatus[]> {
    const statuses: ListenerStatus[] = [];
    for (const listenerId of await listLvsListeners(this.#context.paths)) {
      statuses.push({ status: await this.#status(listenerId), uuid: listenerId, type: 'UDP' });
    }
    return statuses;
  }

  async #status(listenerId: string): Promise<string> {
    const paths = this.#context.paths;
    const pidFile = lvsPidPath(paths, listenerId);
    const pidText = await readFile(pidFile, 'utf8').catch(() => undefined);
    if (pidText === undefined) return 'OFFLINE';
    if (!(await isPidFileAlive(pidFile))) return 'ERROR';
    const config = await readFile(lvsConfigPath(paths, listenerId), 'latin1').catch(() => '');
    return config.includes('virtual_server') ? 'ACTIVE' : 'OFFLINE';
  }

  /** PUT /1.0/listeners/{amphora_id}/{listener_id}/udp_listener (§3.9). `readBody` runs after the id check. */
  async upload(listenerId: string, readBody: () => Promise<Uint8Array>): Promise<Reply> {
    if (!isSafeId(listenerId)) throw appError(400, 'Invalid request', 'Invalid listener id');
    const body = await readBody();
    const md5 = md5Hex(body);
    return this.#lock(listenerId, async () => {
      await this.#install(listenerId, body);
      const prepared = await this.processes.prepare(listenerId);
      if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalivedlvs service', prepared.output);
      if (this.#isActiveStandby()) await this.#hooks.afterUploadActiveStandby?.(listenerId);
      return jsonReply(200, { message: 'OK' }, md5);
    });
  }

  /**
   * The check script, then the config: written beside the live file, checked by keepalived,
   * renamed over it. A refused candidate leaves the live config untouched (400). Returns the
   * previous config, undefined for a new listener.
   */
  async #install(listenerId: string, body: Uint8Array): Promise<Buffer | undefined> {
    const paths = this.#context.paths;
    await ensureDirectory(paths.lvsDir);
    await this.#ensureCheckScript(listenerId);
    const live = lvsConfigPath(paths, listenerId);
    const previous = await readFile(live).catch(() => undefined);
    // `.conf.new` does not end in `.conf`: never listed as a listener, even if left behind.
    const candidate = `${live}.new`;
    await writeFileAtomic(candidate, body, { mode: 0o644, preserveMode: false });
    const check = await checkKeepalivedConfig(candidate, this.#keepalivedCommand);
    if (!check.valid) {
      this.#context.metrics?.configRefused('keepalived');
      await unlink(candidate).catch(() => undefined);
      this.#context.logger.warn({ listenerId, output: check.output }, 'keepalived LVS configuration rejected');
      throw appError(400, 'Invalid request', check.output);
    }
    await renameDurable(candidate, live);
    return previous;
  }

  /**
   * B/lvs/check/udp_check.sh from the copy shipped with the agent, owner-execute only (the
   * reference's 0100). Created when the script is missing, not only when its folder is.
   */
  async #ensureCheckScript(listenerId: string): Promise<void> {
    const checkDir = join(this.#context.paths.lvsDir, 'check');
    const target = join(checkDir, CHECK_SCRIPT_NAME);
    if (await fileExists(target)) return;
    const script = await readFile(this.#udpCheckScript).catch(() => undefined);
    if (script === undefined) throw frameworkError(409, `${CHECK_SCRIPT_NAME} not Found for UDP Listener ${listenerId}`);
    await ensureDirectory(checkDir);
    await writeFileAtomic(target, script, { mode: 0o100, preserveMode: false });
  }

  /** GET /1.0/listeners/{listener_id}/udp_listener (§3.10): the text, no ETag. */
  async getConfig(listenerId: string): Promise<Reply> {
    if (!isSafeId(listenerId)) throw notFound(listenerId);
    const bytes = await readFile(lvsConfigPath(this.#context.paths, listenerId)).catch(() => undefined);
    if (bytes === undefined) throw notFound(listenerId);
    return { status: 200, body: bytes };
  }

  /** The LVS branch of PUT /1.0/loadbalancer/{id}/{action} (§3.7.2); the caller holds the lock. */
  async action(listenerId: string, requested: LbAction): Promise<Reply> {
    const verb: LvsVerb = requested === 'reload' ? 'restart' : requested;
    if (!(await this.exists(listenerId))) throw notFound(listenerId);
    const started = monotonicMs();
    const outcome = await this.processes[verb](listenerId);
    if (verb === 'restart') this.#context.metrics?.reload('keepalived', outcome.ok, (monotonicMs() - started) / 1000);
    if (!outcome.ok) {
      this.#context.logger.error({ listenerId, verb, output: outcome.output }, 'keepalived action failed');
      throw appError(500, `Failed to ${verb} keepalivedlvs listener ${listenerId}`, outcome.output);
    }
    if (!this.#isActiveStandby() && verb !== 'stop') await this.#advertise(listenerId);
    // (sic) `stoped`, as the reference appends "ed".
    return jsonReply(202, { message: 'OK', details: `keepalivedlvs listener ${listenerId} ${verb}ed` });
  }

  async #advertise(listenerId: string): Promise<void> {
    if (!this.#hooks.advertiseVips) return;
    try {
      const text = await readFile(lvsConfigPath(this.#context.paths, listenerId), 'latin1');
      await this.#hooks.advertiseVips(listenerId, lvsVipAddresses(text));
    } catch (error) {
      this.#context.logger.warn({ listenerId, err: error }, 'VIP advertisement failed');
    }
  }

  /** The LVS branch of DELETE /1.0/listeners/{id} (§3.8.2); the caller holds the lock. */
  async remove(listenerId: string): Promise<Reply> {
    const paths = this.#context.paths;
    if (!(await this.exists(listenerId))) return jsonReply(200, { message: 'OK' });
    if (await this.processes.isRunning(listenerId)) {
      const stopped = await this.processes.stop(listenerId);
      if (!stopped.ok) throw appError(500, 'Error stopping keepalivedlvs', stopped.output);
    }
    const children = lvsChildPidPaths(paths, listenerId);
    await removeFiles([lvsPidPath(paths, listenerId), children.vrrp, children.check]);
    const removed = await this.processes.remove(listenerId);
    if (!removed.ok) throw appError(500, `Error disabling octavia-keepalivedlvs-${listenerId} service`, removed.output);
    const live = lvsConfigPath(paths, listenerId);
    await Promise.all([live, `${live}.new`].map((file) => unlink(file).catch(() => undefined)));
    return jsonReply(200, { message: 'OK' });
  }

  /**
   * Extension (the model endpoint): install a rendered config and (re)start its keepalived, as
   * the controller's upload + reload, under the listener's lock. On failure the previous state
   * is restored and the error rethrown; on success the returned undo restores it on demand
   * (when a later step of the same model fails).
   */
  async applyConfig(listenerId: string, body: Uint8Array): Promise<LvsUndo> {
    if (!isSafeId(listenerId)) throw appError(400, 'Invalid request', 'Invalid listener id');
    return this.#lock(listenerId, async () => {
      const wasRunning = await this.processes.isRunning(listenerId);
      const previous = await this.#install(listenerId, body);
      const undo = () => this.#lock(listenerId, () => this.#restore(listenerId, previous, wasRunning));
      try {
        const prepared = await this.processes.prepare(listenerId);
        if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalivedlvs service', prepared.output);
        await this.action(listenerId, 'reload');
      } catch (error) {
        await this.#restore(listenerId, previous, wasRunning);
        throw error;
      }
      return undo;
    });
  }

  /** Extension (the model endpoint): delete a listener the new model no longer has. */
  removeListener(listenerId: string): Promise<Reply> {
    if (!isSafeId(listenerId)) return Promise.resolve(jsonReply(200, { message: 'OK' }));
    return this.#lock(listenerId, () => this.remove(listenerId));
  }

  /** Best effort, logged: the previous config and process state, or no listener at all. */
  async #restore(listenerId: string, previous: Buffer | undefined, wasRunning: boolean): Promise<void> {
    try {
      if (previous === undefined) {
        await this.remove(listenerId);
        return;
      }
      await writeFileAtomic(lvsConfigPath(this.#context.paths, listenerId), previous, { mode: 0o644 });
      await (wasRunning ? this.processes.restart(listenerId) : this.processes.stop(listenerId));
    } catch (error) {
      this.#context.logger.error({ listenerId, err: error }, 'restoring the previous LVS listener failed');
    }
  }
}
