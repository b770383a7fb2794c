import { join } from 'node:path';
import { readFile, unlink } from 'node:fs/promises';
import { appError } from '../domain/refusal.ts';
import type { AgentContext } from '../context.ts';
import { jsonReply, type Reply } from '../domain/reply.ts';
import { md5Hex } from '../util/md5.ts';
import { ensureDirectory, writeFileAtomic } from '../util/atomic-file.ts';
import { isSafeCertFilename, isSafeId } from '../util/identifiers.ts';


/**
 * Listener certificates, CA bundles, CRLs and crt-lists under C/<lb>/ (§3.11). The MD5 is
 * taken over the bytes on disk both ways, so it is exactly the one the controller computes
 * before deciding to re-upload. Writes are atomic (haproxy may read the file during a reload)
 * and serialized with the LB's other changes, so a delete of the LB cannot interleave.
 */
export class ListenerCertificates {
  readonly #context: AgentContext;

  constructor(context: AgentContext) {
    this.#context = context;
  }

  #path(lbId: string, filename: string): string {
    return join(this.#context.paths.lbCertDir(lbId), filename);
  }

  /** Checked first by every method, as in the reference. */
  #checkFilename(filename: string): void {
    if (!isSafeCertFilename(filename)) throw appError(400, 'Filename has wrong format');
  }

  async upload(lbId: string, filename: string, readBody: () => Promise<Uint8Array>): Promise<Reply> {
    this.#checkFilename(filename);
    if (!isSafeId(lbId)) throw appError(400, 'Invalid request', 'Invalid load balancer id');
    const body = await readBody();
    await this.#context.locks.run(`lb:${lbId}`, async () => {
      await ensureDirectory(this.#context.paths.lbCertDir(lbId));
      await writeFileAtomic(this.#path(lbId, filename), body, { mode: 0o600, preserveMode: false });
    });
    return jsonReply(200, { message: 'OK' }, md5Hex(body));
  }

  async fingerprint(lbId: string, filename: string): Promise<Reply> {
    this.#checkFilename(filename);
    const missing = () => appError(404, 'Certificate Not Found', `No certificate with filename: ${filename}`);
    if (!isSafeId(lbId)) throw missing();
    const bytes = await readFile(this.#path(lbId, filename)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (bytes === undefined) throw missing();
    const sum = md5Hex(bytes);
    return jsonReply(200, { md5sum: sum }, sum);
  }

  async remove(lbId: string, filename: string): Promise<Reply> {
    this.#checkFilename(filename);
    if (isSafeId(lbId)) {
      await this.#context.locks.run(`lb:${lbId}`, () =>
        unlink(this.#path(lbId, filename)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error;
        }),
      );
    }
    return jsonReply(200, { message: 'OK' });
  }
}

export function createListenerCertificates(context: AgentContext): ListenerCertificates {
  return new ListenerCertificates(context);
}
