import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../context.ts';
import { ensureDirectory, fileExists, renameDurable, writeFileAtomic } from '../util/atomic-file.ts';
import { runCommand, type CommandResult } from '../util/run-command.ts';
import { applyVersionCompatibility, stripGroupDirectives } from './config-text.ts';
import { haproxyVersion } from './version.ts';

export type InstallOutcome = { valid: true } | { valid: false; output: string };

const VALIDATION_TIMEOUT_MS = 30_000;

/**
 * One LB's haproxy.cfg on disk (B/<lb>/haproxy.cfg): candidates are written beside it as
 * `haproxy.cfg.new`, checked with `haproxy -c`, then renamed over the live file, so a crash at
 * any point leaves the previous config whole. Callers hold the LB's lock.
 */
export class HaproxyConfigStore {
  readonly #context: AgentContext;

  constructor(context: AgentContext) {
    this.#context = context;
  }

  get haproxyCommand(): string {
    return this.#context.config.current.haproxy_amphora.haproxy_cmd;
  }

  candidatePath(lbId: string): string {
    return join(this.#context.paths.lbDir(lbId), 'haproxy.cfg.new');
  }

  failedPath(lbId: string): string {
    return `${this.candidatePath(lbId)}-failed`;
  }

  /** Upload steps 2-8 of §3.5: strip, adapt, write the candidate, validate, replace. */
  async install(lbId: string, peerName: string, body: Uint8Array): Promise<InstallOutcome> {
    const paths = this.#context.paths;
    await ensureDirectory(paths.lbDir(lbId));
    const version = await haproxyVersion(this.haproxyCommand);
    // Latin-1 maps every byte to one char and back: the bytes survive whatever their encoding.
    const text = applyVersionCompatibility(stripGroupDirectives(Buffer.from(body).toString('latin1')), version);
    const candidate = this.candidatePath(lbId);
    await writeFileAtomic(candidate, Buffer.from(text, 'latin1'), { mode: 0o600, preserveMode: false });
    await this.ensureUserGroupConfig();
    const check = await this.validate(candidate, peerName);
    if (check.exitCode !== 0) {
      await renameDurable(candidate, this.failedPath(lbId));
      return { valid: false, output: check.output };
    }
    await renameDurable(candidate, paths.haproxyConfig(lbId));
    return { valid: true };
  }

  /** `haproxy -c -L <peer> -f <config> -f <user-group config>`, the reference's argv. */
  validate(configPath: string, peerName: string): Promise<CommandResult> {
    return runCommand(
      this.haproxyCommand,
      ['-c', '-L', peerName, '-f', configPath, '-f', this.#context.paths.haproxyUserGroupConfig],
      { timeoutMs: VALIDATION_TIMEOUT_MS },
    );
  }

  /** The live config's bytes, or undefined when the LB does not exist. */
  async read(lbId: string): Promise<Buffer | undefined> {
    return readFile(this.#context.paths.haproxyConfig(lbId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
  }

  /**
   * The user-group include every haproxy command line carries. The image writes it at build
   * time; when it is missing (dev mode, a bare host) we write the same two lines.
   */
  async ensureUserGroupConfig(): Promise<void> {
    const path = this.#context.paths.haproxyUserGroupConfig;
    if (await fileExists(path)) return;
    const group = (await hasGroup('haproxy')) ? 'haproxy' : 'nogroup';
    await ensureDirectory(this.#context.paths.basePath);
    await writeFileAtomic(path, `global\n    group ${group}\n`, { mode: 0o644, preserveMode: false });
  }
}

async function hasGroup(name: string): Promise<boolean> {
  const groups = await readFile('/etc/group', 'utf8').catch(() => '');
  return groups.split('\n').some((line) => line.split(':')[0] === name);
}
