import { randomBytes } from 'node:crypto';
import { runCommand } from '../../agent/util/run-command.ts';

/**
 * Network namespaces and veth pairs with names unique to the test run, removed by `cleanup()`
 * (deleting a namespace destroys the veths in it). Used as "the amphora" and "the tenant
 * network" of networking tests.
 */
export interface VethLab {
  suffix: string;
  /** Namespaces created so far. */
  namespaces: string[];
  addNamespace(role: string): Promise<string>;
  /**
   * A veth pair with one end as `name` in `namespace` (with `mac` if given) and the other as
   * `peerName` in `peerNamespace`; both up.
   */
  addVeth(options: { namespace: string; name: string; mac?: string; peerNamespace: string; peerName: string }): Promise<void>;
  /** `ip -n namespace ...args`, failing the test on a non-zero exit. */
  ip(namespace: string, ...args: string[]): Promise<string>;
  exec(namespace: string, command: string, ...args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

async function must(file: string, args: string[]): Promise<string> {
  const result = await runCommand(file, args, { timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.output}`);
  return result.output;
}

export function createVethLab(): VethLab {
  const suffix = randomBytes(3).toString('hex');
  const namespaces: string[] = [];
  let pairs = 0;
  const lab: VethLab = {
    suffix,
    namespaces,
    async addNamespace(role) {
      const name = `t-${role}-${suffix}`;
      await must('ip', ['netns', 'add', name]);
      namespaces.push(name);
      await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      return name;
    },
    async addVeth({ namespace, name, mac, peerNamespace, peerName }) {
      pairs++;
      const near = `v${suffix}a${pairs}`;
      const far = `v${suffix}b${pairs}`;
      await must('ip', ['link', 'add', near, 'type', 'veth', 'peer', 'name', far]);
      try {
        await must('ip', ['link', 'set', near, 'netns', namespace, 'name', name]);
        await must('ip', ['link', 'set', far, 'netns', peerNamespace, 'name', peerName]);
      } catch (error) {
        await runCommand('ip', ['link', 'del', near]);
        await runCommand('ip', ['link', 'del', far]);
        throw error;
      }
      if (mac) await must('ip', ['-n', namespace, 'link', 'set', name, 'address', mac]);
      await must('ip', ['-n', namespace, 'link', 'set', name, 'up']);
      await must('ip', ['-n', peerNamespace, 'link', 'set', peerName, 'up']);
    },
    ip: (namespace, ...args) => must('ip', ['-n', namespace, ...args]),
    exec: (namespace, command, ...args) => must('ip', ['netns', 'exec', namespace, command, ...args]),
    async cleanup() {
      for (const name of namespaces.splice(0).reverse()) await runCommand('ip', ['netns', 'del', name]);
    },
  };
  return lab;
}

/** A locally administered MAC unique to this run: `fa:16:3e:<suffix bytes>` style. */
export function labMac(suffix: string, index: number): string {
  const bytes = Buffer.from(suffix.padStart(6, '0').slice(0, 6), 'hex');
  return ['fa', '16', '3e', bytes[1]!.toString(16).padStart(2, '0'), bytes[2]!.toString(16).padStart(2, '0'), index.toString(16).padStart(2, '0')].join(':');
}
