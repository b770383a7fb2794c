import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FakeSystemctl {
  path: string;
  calls(): Promise<string[]>;
  failWith(verb: string, output: string): Promise<void>;
}

/**
 * A FAKE systemctl (systemd is not PID 1 on the test host): records each call in calls.log;
 * a `fail-<verb>` file makes that verb print its content and exit 1.
 */
export async function fakeSystemctl(directory: string): Promise<FakeSystemctl> {
  const bin = join(directory, 'fake-bin');
  await mkdir(bin, { recursive: true });
  const path = join(bin, 'systemctl');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      '# FAKE systemctl for tests: systemd is not PID 1 on this host.',
      `echo "$*" >> ${join(bin, 'calls.log')}`,
      `if [ -f ${bin}/fail-$1 ]; then cat ${bin}/fail-$1; exit 1; fi`,
      'exit 0',
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return {
    path,
    calls: async () => (await readFile(join(bin, 'calls.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean),
    failWith: (verb, output) => writeFile(join(bin, `fail-${verb}`), output),
  };
}
