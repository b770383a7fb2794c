import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { ensureDirectory, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeId } from '../util/identifiers.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { validateModel } from '../model/validation.ts';

/**
 * model.json: the model and the MD5s of the configs it produced (haproxy.cfg, null when it has
 * no TCP-family listener; one LVS config per UDP/SCTP listener), written in one rename.
 */
export interface StoredModel {
  config_md5: string | null;
  lvs_md5?: Record<string, string>;
  model: LoadBalancerModel;
}

const MD5_HEX = /^[0-9a-f]{32}$/u;

/** `<base_path>/<lb>/model.json`, beside haproxy.cfg: the agent's disk stays its only state. */
export class ModelStore {
  readonly #context: AgentContext;

  constructor(context: AgentContext) {
    this.#context = context;
  }

  path(lbId: string): string {
    return join(this.#context.paths.lbDir(lbId), 'model.json');
  }

  /** The stored model of `lbId`; undefined when there is none or the file is not a valid one. */
  async read(lbId: string): Promise<StoredModel | undefined> {
    if (!isSafeId(lbId)) return undefined;
    const text = await readFile(this.path(lbId), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const stored = parseStoredModel(text);
    if (stored === undefined) this.#context.logger.warn({ lbId, path: this.path(lbId) }, 'model.json is not a valid stored model; ignoring it');
    return stored;
  }

  async write(lbId: string, stored: StoredModel): Promise<void> {
    await ensureDirectory(this.#context.paths.lbDir(lbId));
    await writeFileAtomic(this.path(lbId), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
}

/**
 * model.json as read back from disk: checked like an upload (a file edited or damaged on disk
 * must not reach the renderers or a GET), undefined when it is not a stored model.
 */
export function parseStoredModel(text: string): StoredModel | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { config_md5: configMd5, lvs_md5: lvsMd5, model } = value as Record<string, unknown>;
  if (configMd5 !== null && !(typeof configMd5 === 'string' && MD5_HEX.test(configMd5))) return undefined;
  let digests: Record<string, string> | undefined;
  if (lvsMd5 !== undefined) {
    if (typeof lvsMd5 !== 'object' || lvsMd5 === null || Array.isArray(lvsMd5)) return undefined;
    digests = {};
    for (const [id, digest] of Object.entries(lvsMd5)) {
      if (!isSafeId(id) || typeof digest !== 'string' || !MD5_HEX.test(digest)) return undefined;
      digests[id] = digest;
    }
  }
  const checked = validateModel(model);
  if (!checked.ok) return undefined;
  return digests === undefined ? { config_md5: configMd5, model: checked.model } : { config_md5: configMd5, lvs_md5: digests, model: checked.model };
}
