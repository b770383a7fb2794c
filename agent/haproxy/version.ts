import { runCommand } from '../util/run-command.ts';
import { AgentError } from '../util/errors.ts';

export interface HaproxyVersion {
  major: number;
  minor: number;
}

export class HaproxyVersionError extends AgentError {}

const VERSION_PATTERN = /.*version (.+?)\.(.+?)(\.|-dev).*/u;
const INTEGER = /^\s*[+-]?\d+\s*$/u;

/** Major and minor from `haproxy -v` output, as the reference reads them (§4.11). */
export function parseHaproxyVersion(output: string): HaproxyVersion {
  const match = VERSION_PATTERN.exec(output);
  const [major, minor] = [match?.[1], match?.[2]];
  if (major === undefined || minor === undefined || !INTEGER.test(major) || !INTEGER.test(minor)) {
    throw new HaproxyVersionError(`cannot read the haproxy version from: ${output.slice(0, 200)}`);
  }
  return { major: Number.parseInt(major, 10), minor: Number.parseInt(minor, 10) };
}

const cache = new Map<string, Promise<HaproxyVersion>>();

/**
 * The version of `haproxyCommand`, asked once per binary: the reference runs `haproxy -v` twice
 * per upload, which costs more than the rest of the upload bar the `-c` check.
 */
export function haproxyVersion(haproxyCommand: string): Promise<HaproxyVersion> {
  let pending = cache.get(haproxyCommand);
  if (!pending) {
    pending = runCommand(haproxyCommand, ['-v'], { timeoutMs: 10_000 }).then((result) => {
      if (result.exitCode !== 0) throw new HaproxyVersionError(`${haproxyCommand} -v failed: ${result.output}`);
      return parseHaproxyVersion(result.output);
    });
    // A failure (binary missing, say) is not remembered: the next upload asks again.
    pending.catch(() => cache.delete(haproxyCommand));
    cache.set(haproxyCommand, pending);
  }
  return pending;
}
