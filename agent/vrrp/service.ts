import { readFile, unlink } from 'node:fs/promises';
import { appError } from '../domain/refusal.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import type { AgentContext } from '../context.ts';
import type { LifecycleHooks, LbAction } from '../haproxy/lifecycle.ts';
import { checkKeepalivedConfig } from '../lvs/config-check.ts';
import { ensureDirectory, fileExists, renameDurable, writeFileAtomic } from '../util/atomic-file.ts';
import { md5Hex } from '../util/md5.ts';
import { ensureCheckScript, ensureLvsCheckScript, updateHaproxyCheckScript, type CheckScriptAction } from './check-scripts.ts';
import type { VrrpProcessManager } from './process-manager.ts';
import { KeepalivedVrrpDirectManager, VRRP_DAEMON_ID, type VrrpDirectOptions } from './direct-manager.ts';
import { KeepalivedVrrpSystemdManager } from './systemd-manager.ts';
import { forProcessManager } from '../daemons/manager-kind.ts';
import { vrrpPaths } from './paths.ts';
import { nodeFs } from '../util/builtins.ts';

const { existsSync } = nodeFs;

export const VRRP_ACTIONS = ['start', 'stop', 'reload'] as const;
type VrrpAction = (typeof VRRP_ACTIONS)[number];

export interface VrrpServiceOptions {
  /** Given: used as is; else chosen for the host, with these options. */
  processManager?: VrrpProcessManager;
  systemctl?: string;
  direct?: VrrpDirectOptions;
  keepalivedCommand?: string;
}

/**
 * keepalived's config test reports these for every configuration Octavia renders: its check
 * script runs without `enable_script_security`, and Octavia 11 writes `state MASTER` beside
 * `nopreempt` (keepalived then clears nopreempt, so the MASTER takes the VIP back on return).
 */
const NOTICES = [
  'SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
  'nopreempt will not work with initial state MASTER - clearing',
];

/**
 * ACTIVE_STANDBY (vrrp-lvs.md Part A): the VRRP keepalived's configuration and actions, and
 * the check scripts keepalived tracks. One keepalived per amphora, serialized by `lb:vrrp`,
 * the lock the supervisor of the direct process manager also takes.
 */
export class VrrpService {
  readonly #context: AgentContext;
  readonly processes: VrrpProcessManager;
  readonly #keepalivedCommand: string | undefined;

  constructor(context: AgentContext, options: VrrpServiceOptions = {}) {
    this.#context = context;
    this.processes =
      options.processManager ??
      forProcessManager<VrrpProcessManager>(context, {
        systemd: () => new KeepalivedVrrpSystemdManager(context, options.systemctl),
        direct: () => new KeepalivedVrrpDirectManager(context, options.direct),
      });
    this.#keepalivedCommand = options.keepalivedCommand;
  }

  #lock<T>(work: () => Promise<T>): Promise<T> {
    return this.#context.locks.run(`lb:${VRRP_DAEMON_ID}`, work);
  }

  #files() {
    return vrrpPaths(this.#context.paths);
  }

  /** At agent start: adopt a running keepalived (direct). */
  start(): Promise<void> {
    return this.processes.adopt();
  }

  shutdown(): Promise<void> {
    return this.processes.shutdown();
  }

  /**
   * PUT /1.0/vrrp/upload (§A.2.1). The body is written beside the live file and checked by
   * keepalived inside the namespace (where the VRRP interface exists) before it replaces it;
   * a refused one changes nothing (400 with keepalived's report). keepalived is not reloaded:
   * the control plane follows with `PUT /vrrp/start`.
   */
  async upload(readBody: () => Promise<Uint8Array>): Promise<Reply> {
    const body = await readBody();
    const md5 = md5Hex(body);
    return this.#lock(async () => {
      await this.#install(body);
      const prepared = await this.processes.prepare();
      if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalived service', prepared.output);
      return jsonReply(200, { message: 'OK' }, md5);
    });
  }

  /**
   * The check script, then the config: written beside the live file, checked by keepalived,
   * renamed over it, the haproxy check refreshed. Returns the previous config (undefined when
   * there was none); a refused one throws a 400 and changes nothing.
   */
  async #install(body: Uint8Array): Promise<Buffer | undefined> {
    const paths = this.#context.paths;
    const files = this.#files();
    await ensureDirectory(files.dir);
    await ensureCheckScript(paths);
    const previous = await readFile(files.config).catch(() => undefined);
    // `.conf.new`: keepalived and the heartbeat gate only ever look at the `.conf` file.
    const candidate = `${files.config}.new`;
    await writeFileAtomic(candidate, body, { mode: 0o644, preserveMode: false });
    const check = await checkKeepalivedConfig(candidate, this.#keepalivedCommand, { namespace: this.#testNamespace(), notices: NOTICES });
    if (!check.valid) {
      await unlink(candidate).catch(() => undefined);
      this.#context.logger.warn({ output: check.output }, 'keepalived VRRP configuration rejected');
      throw appError(400, 'Invalid request', check.output);
    }
    await renameDurable(candidate, files.config);
    await this.#refreshHaproxyCheck(undefined, 'start');
    return previous;
  }

  /**
   * Extension (the model endpoint): install a configuration rendered by the agent and start
   * keepalived, or reload a running one, as one operation. On failure the previous
   * configuration and process state come back and the error is rethrown; on success the
   * returned undo restores them on demand (when a later step of the same model fails).
   */
  async applyConfig(body: Uint8Array): Promise<() => Promise<void>> {
    return this.#lock(async () => {
      const wasRunning = await this.processes.isRunning();
      const previous = await this.#install(body);
      const restore = async () => {
        try {
          const files = this.#files();
          if (previous === undefined) {
            await this.processes.stop();
            await unlink(files.config).catch(() => undefined);
          } else {
            await writeFileAtomic(files.config, previous, { mode: 0o644 });
            await (wasRunning ? this.processes.reload() : this.processes.stop());
          }
        } catch (error) {
          this.#context.logger.error({ err: error }, 'restoring the previous VRRP configuration failed');
        }
      };
      try {
        const prepared = await this.processes.prepare();
        if (!prepared.ok) throw appError(500, 'Error enabling octavia-keepalived service', prepared.output);
        const outcome = await (wasRunning ? this.processes.reload() : this.processes.start());
        if (!outcome.ok) throw appError(500, `Failed to ${wasRunning ? 'reload' : 'start'} octavia-keepalived service`, outcome.output);
      } catch (error) {
        await restore();
        throw error;
      }
      return () => this.#lock(restore);
    });
  }

  /** The namespace keepalived will run in, when it exists already (else the agent's own). */
  #testNamespace(): string | undefined {
    const namespace = this.#context.config.current.amphora_agent.network_namespace;
    return namespace && existsSync(`/run/netns/${namespace}`) ? namespace : undefined;
  }

  /** PUT /1.0/vrrp/{action} (§A.2.2): `start` of a running keepalived is a reload (V2). */
  async action(requested: string): Promise<Reply> {
    let action = requested.toLowerCase();
    if (!(VRRP_ACTIONS as readonly string[]).includes(action)) throw appError(400, 'Invalid Request', `Unknown action: ${action}`);
    return this.#lock(async () => {
      if (action === 'start' && (await this.processes.isRunning())) action = 'reload';
      const outcome = await this.processes[action as VrrpAction]();
      if (!outcome.ok) {
        this.#context.logger.error({ action, output: outcome.output }, 'keepalived (VRRP) action failed');
        throw appError(500, `Failed to ${action} octavia-keepalived service`, outcome.output);
      }
      // (sic) `keepalived stoped`, as the reference appends "ed".
      return jsonReply(202, { message: 'OK', details: `keepalived ${action}ed` });
    });
  }

  #isActiveStandby(): boolean {
    return this.#context.config.current.controller_worker.loadbalancer_topology === 'ACTIVE_STANDBY';
  }

  /** The haproxy lifecycle's call sites of the check-script update (§A.5). */
  haproxyHooks(): Pick<LifecycleHooks, 'beforeAction' | 'afterDelete'> {
    return {
      // HaproxyService calls this in ACTIVE_STANDBY only, before the process action.
      beforeAction: (lbId: string, action: LbAction) => this.#refreshHaproxyCheck(lbId, action),
      // Any topology, once VRRP was configured here; the LB's folder still exists at this point.
      afterDelete: async (lbId: string) => {
        if (await fileExists(this.#files().checkScript)) await this.#refreshHaproxyCheck(lbId, 'delete');
      },
    };
  }

  /** LVS upload in ACTIVE_STANDBY (§A.7): the LVS check and a refreshed haproxy check. */
  async afterLvsUpload(): Promise<void> {
    if (!this.#isActiveStandby()) return;
    await ensureLvsCheckScript(this.#context.paths, this.processes.kind);
    await this.#refreshHaproxyCheck(undefined, 'start');
  }

  /**
   * One refresh at a time: actions on different load balancers run under different locks, and
   * each refresh reads the disk and writes the whole file.
   */
  #refreshHaproxyCheck(lbId: string | undefined, action: CheckScriptAction): Promise<void> {
    return this.#context.locks.run('vrrp-check-script', () => updateHaproxyCheckScript(this.#context.paths, lbId, action));
  }
}
