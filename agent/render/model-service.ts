import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { appError } from '../api/errors.ts';
import type { AgentContext } from '../context.ts';
import type { HaproxyService } from '../haproxy/lifecycle.ts';
import type { LvsListenerService } from '../lvs/listener-service.ts';
import { haproxyVersion } from '../haproxy/version.ts';
import { isHaproxyRunning, listLoadBalancers, loadBalancerExists } from '../haproxy/layout.ts';
import { queryHaproxyStats } from '../heartbeat/haproxy-stats.ts';
import { jsonReply, type Reply } from '../haproxy/replies.ts';
import { ensureDirectory, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import { certificateFiles } from './certificates.ts';
import { baseRenderContext, featuresForVersion, hostFacts, type RenderContext } from './context.ts';
import { renderHaproxy } from './haproxy.ts';
import { formatErrors, isLvsProtocol, validateModel, type LoadBalancerModel } from './model.ts';

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

  constructor(context: AgentContext, haproxy: HaproxyService, lvs: LvsListenerService) {
    this.#context = context;
    this.#haproxy = haproxy;
    this.#lvs = lvs;
  }

  modelPath(lbId: string): string {
    return join(this.#context.paths.lbDir(lbId), 'model.json');
  }

  async renderContext(amphoraId: string): Promise<RenderContext> {
    const config = this.#context.config.current;
    const version = await haproxyVersion(config.haproxy_amphora.haproxy_cmd);
    return baseRenderContext({
      ...hostFacts(),
      thisAmphoraId: amphoraId,
      features: featuresForVersion(version.major, version.minor),
      basePath: this.#context.paths.basePath,
      baseCertDir: this.#context.paths.certDir,
      userLogFacility: config.amphora_agent.user_log_facility,
      administrativeLogFacility: config.amphora_agent.administrative_log_facility,
    });
  }

  async put(amphoraId: string, lbId: string, body: Uint8Array): Promise<Reply> {
    if (!isSafeId(lbId) || !isSafeId(amphoraId)) throw appError(400, 'Invalid request', 'Invalid load balancer or amphora id');
    let input: unknown;
    try {
      input = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw appError(400, 'Invalid request', 'The body is not JSON');
    }
    const result = validateModel(input);
    if (!result.ok) throw appError(400, 'Invalid model', formatErrors(result.errors));
    const model: LoadBalancerModel = result.model;
    if (model.loadbalancer.id !== lbId) throw appError(400, 'Invalid model', `loadbalancer.id: must be ${lbId}, the id in the URL`);
    const lvs = model.loadbalancer.listeners.find((l) => isLvsProtocol(l.protocol));
    if (lvs) throw appError(400, 'Invalid model', `loadbalancer.listeners: ${lvs.protocol} listeners are not served by the model endpoint yet`);

    const ctx = await this.renderContext(amphoraId);
    const rendered = renderHaproxy(model, ctx);
    for (const warning of rendered.warnings) this.#context.logger.warn({ lbId }, warning);
    // One operation under the LB's lock (the raw upload's): model.json is written only once
    // haproxy serves the new config, and a failure leaves the previous config and model.
    const applied = await this.#haproxy.applyConfig(amphoraId, lbId, Buffer.from(rendered.text, 'utf8'), {
      beforeInstall: async () => {
        for (const file of certificateFiles(model, ctx)) {
          await ensureDirectory(dirname(file.path), 0o700);
          await writeFileAtomic(file.path, file.content, { mode: file.mode });
        }
      },
      onLive: async () => {
        const live = (await this.#haproxy.store.read(lbId)) ?? Buffer.alloc(0);
        const stored: StoredModel = { config_md5: md5(live), model };
        await writeFileAtomic(this.modelPath(lbId), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
      },
    });
    return jsonReply(202, { message: 'OK', warnings: [...result.warnings, ...rendered.warnings] }, applied.etag);
  }

  /**
   * The stored model. 409 when haproxy.cfg changed since it was applied (a raw upload): the
   * model no longer describes what runs.
   */
  async get(lbId: string): Promise<Reply> {
    const stored = await this.#readStored(lbId);
    if (stored === undefined) throw appError(404, 'Loadbalancer Not Found', `No model for loadbalancer with UUID: ${lbId}`);
    const live = await this.#haproxy.store.read(lbId);
    if (live === undefined || md5(live) !== stored.config_md5) {
      throw appError(409, 'Model out of date', `The haproxy configuration of ${lbId} was replaced since its model was applied`);
    }
    return jsonReply(200, stored.model, md5(JSON.stringify(stored.model)));
  }

  /** Extension `GET /1.0/models`: this amphora's id and every stored, current model. */
  async list(): Promise<Reply> {
    const models: LoadBalancerModel[] = [];
    for (const lbId of await listLoadBalancers(this.#context.paths)) {
      const stored = await this.#readStored(lbId);
      const live = stored && (await this.#haproxy.store.read(lbId));
      if (stored && live && md5(live) === stored.config_md5) models.push(stored.model);
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
      throw appError(503, 'Status unavailable', error instanceof Error ? error.message : String(error));
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

  async #readStored(lbId: string): Promise<StoredModel | undefined> {
    if (!isSafeId(lbId)) return undefined;
    try {
      const stored = JSON.parse(await readFile(this.modelPath(lbId), 'utf8')) as StoredModel;
      return typeof stored.config_md5 === 'string' && stored.model ? stored : undefined;
    } catch {
      return undefined;
    }
  }
}

/** model.json: the model and the MD5 of the haproxy.cfg it produced, written in one rename. */
interface StoredModel {
  config_md5: string;
  model: LoadBalancerModel;
}

function md5(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}
