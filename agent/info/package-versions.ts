import { readFile } from 'node:fs/promises';
import { runCommand } from '../util/run-command.ts';
import { AgentError } from '../util/errors.ts';

export type PackageFlavour = 'dpkg' | 'rpm';

export class PackageQueryError extends AgentError {}

/** The reference's mapping from the distribution id to its package manager. */
export async function detectPackageFlavour(osRelease = '/etc/os-release'): Promise<PackageFlavour> {
  const text = await readFile(osRelease, 'utf8').catch(() => '');
  const id = /^ID="?([^"\n]*)"?$/mu.exec(text)?.[1]?.toLowerCase() ?? '';
  if (['fedora', 'rhel', 'rocky', 'centos'].includes(id)) return 'rpm';
  return 'dpkg';
}

async function queryVersion(flavour: PackageFlavour, name: string): Promise<string> {
  const result =
    flavour === 'dpkg'
      ? await runCommand('dpkg-query', ['-W', '-f=${Version}', name], { timeoutMs: 10_000 })
      : await runCommand('rpm', ['-q', '--queryformat', '%{VERSION}', name], { timeoutMs: 10_000 });
  if (result.exitCode !== 0 || result.output.trim() === '') {
    throw new PackageQueryError(`package ${name} is not installed: ${result.output.trim()}`);
  }
  return result.output.trim();
}

/**
 * Installed versions of haproxy, keepalived and ipvsadm. Packages do not change under a running
 * agent, so each answer is kept once known; a missing package is asked again next time (the
 * reference answers 500 while it is missing).
 */
export class PackageVersions {
  readonly #known = new Map<string, Promise<string>>();
  readonly #flavour: Promise<PackageFlavour>;

  constructor(flavour: Promise<PackageFlavour> = detectPackageFlavour()) {
    this.#flavour = flavour;
  }

  version(name: 'haproxy' | 'keepalived' | 'ipvsadm'): Promise<string> {
    let answer = this.#known.get(name);
    if (!answer) {
      answer = this.#flavour.then((flavour) => queryVersion(flavour, name));
      this.#known.set(name, answer);
      answer.catch(() => this.#known.delete(name));
    }
    return answer;
  }
}
