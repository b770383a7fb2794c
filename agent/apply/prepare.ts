import { Worker } from 'node:worker_threads';
import { renderHaproxy } from '../render/haproxy.ts';
import { renderLvs } from '../render/lvs.ts';
import type { RenderContext } from '../render/context.ts';
import { RenderError } from '../render/template-engine.ts';
import { errorMessage } from '../util/errors.ts';
import { MAX_RENDERED_CONFIG_BYTES } from '../model/limits.ts';
import { isLvsProtocol } from '../model/rules.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { formatErrors, validateModel } from '../model/validation.ts';

/** A model parsed, validated and rendered, or why not (the reference's 400 `Invalid model`). */
export type Preparation =
  | {
      ok: true;
      model: LoadBalancerModel;
      warnings: string[];
      /** Undefined for a model of UDP/SCTP listeners only: no haproxy. */
      haproxyText: string | undefined;
      lvsConfigs: { id: string; text: string }[];
    }
  | { ok: false; message: string; details: string };

/**
 * The CPU-bound part of a model apply, with no I/O: JSON parse, validation (bounded lists,
 * bounded server lines), rendering, and the bound on the rendered size.
 */
export function prepareModel(body: Uint8Array, ctx: RenderContext): Preparation {
  let input: unknown;
  try {
    input = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return { ok: false, message: 'Invalid request', details: 'The body is not JSON' };
  }
  const result = validateModel(input);
  if (!result.ok) return { ok: false, message: 'Invalid model', details: formatErrors(result.errors) };
  const { model } = result;
  try {
    const lvsListeners = model.loadbalancer.listeners.filter((listener) => isLvsProtocol(listener.protocol));
    const lvsConfigs = lvsListeners.map((listener) => ({ id: listener.id, text: renderLvs(model, listener.id, ctx) }));
    // haproxy serves the TCP-family listeners; a model without listeners keeps its (empty)
    // haproxy too, one of UDP/SCTP listeners only has none, as with the controller.
    const hasHaproxyListeners = lvsListeners.length < model.loadbalancer.listeners.length || lvsListeners.length === 0;
    const rendered = hasHaproxyListeners ? renderHaproxy(model, ctx) : undefined;
    const bytes = Buffer.byteLength(rendered?.text ?? '') + lvsConfigs.reduce((sum, config) => sum + Buffer.byteLength(config.text), 0);
    if (bytes > MAX_RENDERED_CONFIG_BYTES) {
      return { ok: false, message: 'Invalid model', details: `the rendered configuration would be ${bytes} bytes; at most ${MAX_RENDERED_CONFIG_BYTES}` };
    }
    return { ok: true, model, warnings: [...result.warnings, ...(rendered?.warnings ?? [])], haproxyText: rendered?.text, lvsConfigs };
  } catch (error) {
    if (error instanceof RenderError) return { ok: false, message: 'Invalid model', details: error.message };
    throw error;
  }
}

/** Bodies this large are prepared on a thread of their own (a second or more of CPU at the bounds). */
export const OFF_THREAD_BYTES = 256 * 1024;

const WORKER_URL = new URL(`./prepare-worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url);

/**
 * prepareModel, on a short-lived worker thread for large bodies, so the API and everything
 * else on the event loop keep answering while a big model is validated and rendered.
 */
export function prepareModelOffThread(body: Uint8Array, ctx: RenderContext): Promise<Preparation> {
  if (body.length < OFF_THREAD_BYTES) return Promise.resolve(prepareModel(body, ctx));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: { body, ctx } });
    let settled = false;
    worker.once('message', (preparation: Preparation) => {
      settled = true;
      resolve(preparation);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Error(`model preparation failed: ${errorMessage(error)}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`model preparation thread exited with ${code}`));
    });
  });
}
