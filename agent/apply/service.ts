import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { md5Hex } from '../util/md5.ts';
import { appError } from '../domain/refusal.ts';
import type { AgentContext } from '../context.ts';
import type { HaproxyService } from '../haproxy/lifecycle.ts';
import type { LvsListenerService, LvsUndo } from '../lvs/listener-service.ts';
import { haproxyVersion } from '../haproxy/version.ts';
import { isHaproxyRunning, loadBalancerExists } from '../haproxy/layout.ts';
import { lvsConfigPath } from '../lvs/layout.ts';
import { queryHaproxyStats } from '../heartbeat/haproxy-stats.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { ensureDirectory, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import { certificateFiles } from '../render/certificates.ts';
import { baseRenderContext, featuresForVersion, type RenderContext } from '../render/context.ts';
import { readHostFacts } from '../info/host-facts.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { errorMessage } from '../util/errors.ts';
import { ModelStore, type StoredModel } from './store.ts';
import { prepareModelOffThread } from './prepare.ts';
import { withSecretReferences } from './secret-references.ts';
import type { VrrpService } from '../vrrp/service.ts';
import { RenderError } from '../render/template-engine.ts';
import { renderVrrp } from '../render/vrrp.ts';

const STATUS_TIMEOUT_MS = 5000;

/**
 * The declarative endpoint behind `PUT/GET /1.0/loadbalancer/{amphora_id}/{lb_id}/model`:
 * validate the model, render haproxy.cfg, then take exactly the raw upload path (haproxy -c,
 * atomic swap, start or reload, ETag). The model is kept beside haproxy.cfg as model.json, so
 * the agent's disk stays the only state store.
 */
export class ModelService {
  readonly #context: AgentContext;
  readonly #haproxy: HaproxyService;
  readonly #lvs: LvsListenerService;
  readonly #store: ModelStore;
  readonly #vrrp: VrrpService | undefined;

  constructor(context: AgentContext, haproxy: HaproxyService, lvs: LvsListenerService, vrrp?: VrrpService) {
    this.#context = context;
    this.#store = new ModelStore(context);
    this.#haproxy = haproxy;
    this.#lvs = lvs;
    this.#vrrp = vrrp;
  }

  /** Where the model of `lbId` is stored. */
  modelPath(lbId: string): string {
    return this.#store.path(lbId);
  }

  async renderContext(amphoraId: string): Promise<RenderContext> {
    const config = this.#context.config.current;
    const version = await haproxyVersion(config.haproxy_amphora.haproxy_cmd);
    return baseRenderContext({
      ...(await readHostFacts()),
      thisAmphoraId: amphoraId,
      features: featuresForVersion(version.major, version.minor),
      basePath: this.#context.paths.basePath,
      baseCertDir: this.#context.paths.certDir,
      userLogFacility: config.amphora_agent.user_log_facility,
      administrativeLogFacility: config.amphora_agent.administrative_log_facility,
      // keepalived enters the namespace haproxy runs in; none when the agent uses its own.
      lvsNamespace: config.amphora_agent.network_namespace,
    });
  }

  async put(amphoraId: string, lbId: string, body: Uint8Array): Promise<Reply> {
    if (!isSafeId(lbId) || !isSafeId(amphoraId)) throw appError(400, 'Invalid request', 'Invalid load balancer or amphora id');
    const ctx = await this.renderContext(amphoraId);
    const prepared = await prepareModelOffThread(body, ctx);
    if (!prepared.ok) throw appError(400, prepared.message, prepared.details);
    const { model, warnings } = prepared;
    if (model.loadbalancer.id !== lbId) throw appError(400, 'Invalid model', `loadbalancer.id: must be ${lbId}, the id in the URL`);
    for (const config of prepared.lvsConfigs) {
      // LVS listener ids share one namespace with load balancers (§4.1).
      if (!isSafeId(config.id) || config.id === lbId || (await loadBalancerExists(this.#context.paths, config.id))) {
        throw appError(400, 'Invalid model', `loadbalancer.listeners: ${config.id} cannot be a UDP/SCTP listener id (it names a load balancer)`);
      }
    }
    const lvsConfigs = prepared.lvsConfigs.map((config) => ({ id: config.id, bytes: Buffer.from(config.text, 'utf8') }));
    const hasHaproxyListeners = prepared.haproxyText !== undefined;
    for (const warning of warnings) this.#context.logger.warn({ lbId }, warning);
    const vrrpConfig = this.#renderVrrp(model, amphoraId, ctx);

    /** UDP/SCTP listeners, then (after the haproxy part is live) model.json; undone together. */
    const applyLvsAndRecord = async (haproxyLive: Buffer | undefined): Promise<void> => {
      const previous = await this.#store.read(lbId);
      const undo: LvsUndo[] = [];
      try {
        for (const config of lvsConfigs) undo.push(await this.#lvs.applyConfig(config.id, config.bytes));
        // ACTIVE_STANDBY: this amphora's keepalived once its listeners serve, as the controller orders it.
        if (vrrpConfig !== undefined) undo.push(await this.#vrrp!.applyConfig(vrrpConfig));
        // As the controller's listener delete: listeners the model no longer has go.
        const kept = new Set(lvsConfigs.map((config) => config.id));
        for (const gone of Object.keys(previous?.lvs_md5 ?? {}).filter((id) => !kept.has(id))) await this.#lvs.removeListener(gone);
        if (!hasHaproxyListeners && (await loadBalancerExists(this.#context.paths, lbId))) {
          // The controller deletes the haproxy side when no TCP-family listener remains.
          await this.#haproxy.deleteLoadBalancerHeld(lbId);
        }
        const stored: StoredModel = {
          config_md5: haproxyLive === undefined ? null : md5Hex(haproxyLive),
          lvs_md5: Object.fromEntries(lvsConfigs.map((config) => [config.id, md5Hex(config.bytes)])),
          model,
        };
        await this.#store.write(lbId, stored);
      } catch (error) {
        for (const step of undo.reverse()) await step();
        throw error;
      }
    };

    if (prepared.haproxyText === undefined) {
      await this.#haproxy.exclusive(lbId, () => applyLvsAndRecord(undefined));
      return jsonReply(202, { message: 'OK', warnings }, md5Hex(lvsConfigs.map((config) => md5Hex(config.bytes)).join('')));
    }
    // One operation under the LB's lock (the raw upload's): model.json is written only once
    // haproxy and keepalived serve the new configs, and a failure leaves the previous ones.
    // Certificate files are written before haproxy -c (the config names them); the previous
    // bytes are kept so that a refused config also leaves the live certificates as they were.
    const replacedCertificates: { path: string; previous: Buffer | undefined }[] = [];
    try {
      const applied = await this.#haproxy.applyConfig(amphoraId, lbId, Buffer.from(prepared.haproxyText, 'utf8'), {
        beforeInstall: async () => {
          for (const file of certificateFiles(model, ctx)) {
            await ensureDirectory(dirname(file.path), 0o700);
            replacedCertificates.push({ path: file.path, previous: await readFile(file.path).catch(() => undefined) });
            await writeFileAtomic(file.path, file.content, { mode: file.mode });
          }
        },
        onLive: async () => applyLvsAndRecord((await this.#haproxy.store.read(lbId)) ?? Buffer.alloc(0)),
      });
      if (applied.unconfirmed !== undefined) this.#context.logger.warn({ lbId }, applied.unconfirmed);
      const replyWarnings = applied.unconfirmed === undefined ? warnings : [...warnings, applied.unconfirmed];
      return jsonReply(202, { message: 'OK', warnings: replyWarnings }, applied.etag);
    } catch (error) {
      for (const { path, previous } of replacedCertificates.reverse()) {
        if (previous === undefined) await rm(path, { force: true });
        else await writeFileAtomic(path, previous);
      }
      throw error;
    }
  }

  /**
   * ACTIVE_STANDBY: this amphora's keepalived VRRP configuration (priority, unicast peers, VIP,
   * check script). The agent must run with that topology itself: in SINGLE it would advertise
   * the VIP from the BACKUP too and never refresh the check scripts.
   */
  #renderVrrp(model: LoadBalancerModel, amphoraId: string, ctx: RenderContext): Buffer | undefined {
    if (model.loadbalancer.topology !== 'ACTIVE_STANDBY') return undefined;
    if (this.#context.config.current.controller_worker.loadbalancer_topology !== 'ACTIVE_STANDBY' || this.#vrrp === undefined) {
      throw appError(400, 'Invalid model', 'topology ACTIVE_STANDBY needs the agent configured with [controller_worker] loadbalancer_topology = ACTIVE_STANDBY');
    }
    try {
      return Buffer.from(renderVrrp(model, amphoraId, ctx), 'utf8');
    } catch (error) {
      if (error instanceof RenderError) throw appError(400, 'Invalid model', error.message);
      throw error;
    }
  }

  /**
   * The stored model. 409 when a config it produced changed since it was applied (a raw
   * upload): the model no longer describes what runs.
   */
  async get(lbId: string): Promise<Reply> {
    const stored = await this.#store.read(lbId);
    if (stored === undefined) throw appError(404, 'Loadbalancer Not Found', `No model for loadbalancer with UUID: ${lbId}`);
    if (!(await this.#isCurrent(lbId, stored))) {
      throw appError(409, 'Model out of date', `The configuration of ${lbId} was replaced since its model was applied`);
    }
    return jsonReply(200, withSecretReferences(stored.model), md5Hex(JSON.stringify(stored.model)));
  }

  /** Every config the model produced is on disk unchanged (haproxy.cfg absent for UDP-only). */
  async #isCurrent(lbId: string, stored: StoredModel): Promise<boolean> {
    const live = await this.#haproxy.store.read(lbId);
    if ((live === undefined ? null : md5Hex(live)) !== stored.config_md5) return false;
    for (const [listenerId, digest] of Object.entries(stored.lvs_md5 ?? {})) {
      const text = await readFile(lvsConfigPath(this.#context.paths, listenerId)).catch(() => undefined);
      if (text === undefined || md5Hex(text) !== digest) return false;
    }
    return true;
  }

  /** Extension `GET /1.0/models`: this amphora's id and every stored, current model. */
  async list(): Promise<Reply> {
    const models: LoadBalancerModel[] = [];
    const entries = await readdir(this.#context.paths.basePath, { withFileTypes: true }).catch(() => []);
    for (const lbId of entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()) {
      const stored = await this.#store.read(lbId);
      if (stored && (await this.#isCurrent(lbId, stored))) models.push(withSecretReferences(stored.model));
    }
    return jsonReply(200, { amphora_id: this.#context.config.current.amphora_agent.amphora_id, models });
  }

  /**
   * Extension `GET /1.0/loadbalancer/{lb_id}/status`: haproxy's live view of the LB, read from
   * its stats socket with the heartbeat's parser (frontend, backend and server statuses as
   * haproxy names them; the backend key `pool_id:listener_id` split).
   */
  async status(lbId: string): Promise<Reply> {
    const paths = this.#context.paths;
    if (!isSafeId(lbId) || !(await loadBalancerExists(paths, lbId))) {
      throw appError(404, 'Loadbalancer Not Found', `No loadbalancer with UUID: ${lbId}`);
    }
    if (!(await isHaproxyRunning(paths, lbId))) return jsonReply(200, { running: false, listeners: [], pools: [] });
    const stats = await queryHaproxyStats(paths.statsSocket(lbId), STATUS_TIMEOUT_MS).catch((error: unknown) => {
      throw appError(503, 'Status unavailable', errorMessage(error));
    });
    return jsonReply(200, {
      running: true,
      listeners: stats.listeners.map((listener) => ({ id: listener.listenerId, status: listener.status })),
      pools: stats.pools.map((pool) => {
        const [poolId, listenerId] = pool.key.split(':');
        const members = [...pool.members].map(([id, status]) => ({ id, status }));
        return { id: poolId, listener_id: listenerId, status: pool.status, members };
      }),
    });
  }
}
