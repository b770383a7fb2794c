import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { appError } from '../api/errors.ts';
import type { AgentContext } from '../context.ts';
import type { HaproxyService } from '../haproxy/lifecycle.ts';
import { haproxyVersion } from '../haproxy/version.ts';
import { jsonReply, type Reply } from '../haproxy/replies.ts';
import { ensureDirectory, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import { certificateFiles } from './certificates.ts';
import { baseRenderContext, featuresForVersion, hostFacts, type RenderContext } from './context.ts';
import { renderHaproxy } from './haproxy.ts';
import { formatErrors, isLvsProtocol, validateModel, type LoadBalancerModel } from './model.ts';

/**
 * The declarative endpoint behind `PUT/GET /1.0/loadbalancer/{amphora_id}/{lb_id}/model`:
 * validate the model, render haproxy.cfg, then take exactly the raw upload path (haproxy -c,
 * atomic swap, start or reload, ETag). The model is kept beside haproxy.cfg as model.json, so
 * the agent's disk stays the only state store.
 */
export class ModelService {
  readonly #context: AgentContext;
  readonly #haproxy: HaproxyService;

  constructor(context: AgentContext, haproxy: HaproxyService) {
    this.#context = context;
    this.#haproxy = haproxy;
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

    return this.#context.locks.run(`model:${lbId}`, async () => {
      const ctx = await this.renderContext(amphoraId);
      const rendered = renderHaproxy(model, ctx);
      for (const warning of rendered.warnings) this.#context.logger.warn({ lbId }, warning);
      for (const file of certificateFiles(model, ctx)) {
        await ensureDirectory(dirname(file.path), 0o700);
        await writeFileAtomic(file.path, file.content, { mode: file.mode });
      }
      const upload = await this.#haproxy.uploadConfig(amphoraId, lbId, async () => Buffer.from(rendered.text, 'utf8'));
      await writeFileAtomic(this.modelPath(lbId), `${JSON.stringify(model, null, 2)}\n`, { mode: 0o600 });
      await this.#haproxy.runAction(lbId, 'reload');
      return jsonReply(202, { message: 'OK', warnings: [...result.warnings, ...rendered.warnings] }, upload.etag);
    });
  }

  async get(lbId: string): Promise<Reply> {
    const notFound = appError(404, 'Loadbalancer Not Found', `No model for loadbalancer with UUID: ${lbId}`);
    if (!isSafeId(lbId)) throw notFound;
    let text: string;
    try {
      text = await readFile(this.modelPath(lbId), 'utf8');
    } catch {
      throw notFound;
    }
    return jsonReply(200, JSON.parse(text), createHash('md5').update(text).digest('hex'));
  }
}
