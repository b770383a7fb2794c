/**
 * Makes the project's executables start on the pinned runtime however they are called.
 *
 * Each bin's source keeps a `#!/usr/bin/env -S [NAME=value...] node FLAGS` line (the one place
 * its runtime flags and environment are written). In the compiled file that line becomes a header that is both a shell
 * script and valid JavaScript: the shell runs it and execs node_modules/node/bin/node (found
 * from the file's real location, so symlinks in node_modules/.bin or /usr/bin work too) with
 * those flags; Node skips the `#!` line and reads the second one as a string and a comment.
 * An older `node` first on PATH is never used while the pinned one is installed.
 *
 * npm links the bins of dependencies into node_modules/.bin, never the project's own. Linking
 * ours there too makes `npx amphora-agent` and `npx amphoractl` run from a checkout.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const bins = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;

interface Runtime {
  /** `NAME=value` words for the runtime's environment, space-separated (may be empty). */
  environment: string;
  flags: string;
}

export function launcherHeader({ environment, flags }: Runtime): string {
  const exec = [environment, 'exec "$node"', flags, '"$self" "$@"'].filter(Boolean).join(' ');
  return [
    '#!/bin/sh',
    `':' //; self=$(readlink -f -- "$0") || exit 1; node="\${self%/dist/*}/node_modules/node/bin/node"; [ -x "$node" ] || node=node; ${exec}`,
  ].join('\n');
}

function sourceRuntime(compiled: string): Runtime {
  const source = compiled.replace(/^dist\//u, '').replace(/\.js$/u, '.ts');
  const shebang = readFileSync(join(root, source), 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S((?: [A-Z_]+=[\w.:=-]+)*) node((?: --[\w=-]+)*)$/u.exec(shebang);
  if (!match) throw new Error(`${source}: expected a "#!/usr/bin/env -S [NAME=value...] node FLAGS" first line, found ${shebang}`);
  return { environment: match[1]!.trim(), flags: match[2]!.trim() };
}

const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(bins)) {
  const file = join(root, target);
  const lines = readFileSync(file, 'utf8').split('\n');
  const bodyStart = lines[0]!.startsWith('#!/bin/sh') ? 2 : lines[0]!.startsWith('#!') ? 1 : 0;
  writeFileSync(file, `${launcherHeader(sourceRuntime(target))}\n${lines.slice(bodyStart).join('\n')}`);
  chmodSync(file, 0o755);
  const link = join(binDir, name);
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, file), link);
}
