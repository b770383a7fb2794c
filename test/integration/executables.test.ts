import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/agent-harness.ts';

// The machine's own Node (older than the pinned one) stands for whatever `node` a person has.
const OLD_NODE = '/usr/bin/node';
const OLD_NPX = '/usr/bin/npx';

function oldNodeMajor(): number {
  const result = spawnSync(OLD_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' });
  return Number(result.stdout.trim());
}

const skip = !existsSync(OLD_NODE) ? `${OLD_NODE} is not installed` : oldNodeMajor() >= 24 ? `${OLD_NODE} is not older than the pinned runtime` : false;

test('every executable runs on the pinned runtime with an older node first on PATH', { skip, timeout: 60_000 }, async () => {
  const directory = await mkdtemp(join(tmpdir(), 'exec-old-node-'));
  try {
    const pathBin = join(directory, 'bin');
    await symlink(REPO_ROOT, join(directory, 'checkout'));
    // An installed command is a symlink elsewhere (the image links /usr/bin/amphora-agent).
    await mkdir(pathBin);
    await symlink(join(REPO_ROOT, 'node_modules', '.bin', 'amphora-agent'), join(pathBin, 'amphora-agent'));
    await symlink(join(REPO_ROOT, 'node_modules', '.bin', 'amphoractl'), join(pathBin, 'amphoractl'));
    await symlink(OLD_NODE, join(pathBin, 'node'));
    const env = { ...process.env, PATH: `${pathBin}:/usr/bin:/bin` };
    // With the old node, the runtime flags alone would fail: `node: bad option: --disable-sigusr1`.
    const version = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

    const calls: [string, string[], RegExp][] = [
      [join(REPO_ROOT, 'dist', 'agent', 'main.js'), ['--version'], new RegExp(`^${version.version}\\n$`, 'u')],
      ['./dist/agent/main.js', ['--version'], new RegExp(`^${version.version}\\n$`, 'u')],
      [join(REPO_ROOT, 'node_modules', '.bin', 'amphora-agent'), ['--version'], new RegExp(`^${version.version}\\n$`, 'u')],
      [join(REPO_ROOT, 'node_modules', '.bin', 'amphoractl'), ['--help'], /^usage: amphoractl/u],
      ['amphora-agent', ['--version'], new RegExp(`^${version.version}\\n$`, 'u')],
      ['amphoractl', ['--help'], /^usage: amphoractl/u],
      [join(directory, 'checkout', 'dist', 'agent', 'cli', 'amphoractl.js'), ['--help'], /^usage: amphoractl/u],
    ];
    for (const [command, args, expected] of calls) {
      const result = spawnSync(command, args, { cwd: REPO_ROOT, env, encoding: 'utf8' });
      assert.equal(result.stderr, '', `${command}: stderr`);
      assert.equal(result.status, 0, `${command}: exit status`);
      assert.match(result.stdout, expected, command);
    }
    // The machine's npm prints no engine warning or anything else around the command's output.
    if (existsSync(OLD_NPX)) {
      for (const [args, expected] of [[['amphoractl', '--help'], /^usage: amphoractl/u], [['amphora-agent', '--version'], new RegExp(`^${version.version}\\n$`, 'u')]] as const) {
        const result = spawnSync(OLD_NPX, [...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
        assert.equal(result.stderr, '', `npx ${args.join(' ')}: stderr`);
        assert.equal(result.status, 0);
        assert.match(result.stdout, expected);
      }
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
