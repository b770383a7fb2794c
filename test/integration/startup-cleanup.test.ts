import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { restartAgentProcess, startAgentProcess } from '../helpers/agent-harness.ts';

test('temporaries left by a writer killed mid-write are removed at start-up; other files stay', { timeout: 60_000 }, async () => {
  const first = await startAgentProcess();
  await first.stop();
  const lbDir = join(first.basePath, 'lb-1');
  await mkdir(lbDir, { recursive: true });
  const stale = [
    join(lbDir, '.haproxy.cfg.new.0123456789ab.tmp'),
    join(first.certDir, '.listener.pem.a1b2c3d4e5f6.tmp'),
    join(first.directory, '.amphora-agent.conf.ffffffffffff.tmp'),
  ];
  const kept = [join(lbDir, 'haproxy.cfg'), join(lbDir, '.notes.tmp'), join(first.certDir, 'x.0123456789ab.tmp')];
  for (const file of [...stale, ...kept]) await writeFile(file, 'partial');
  const agent = await restartAgentProcess(first);
  try {
    const present = new Set([
      ...(await readdir(lbDir)).map((name) => join(lbDir, name)),
      ...(await readdir(first.certDir)).map((name) => join(first.certDir, name)),
      ...(await readdir(first.directory)).map((name) => join(first.directory, name)),
    ]);
    for (const file of stale) assert.ok(!present.has(file), `${file} was left`);
    for (const file of kept) assert.ok(present.has(file), `${file} was removed`);
    assert.match(agent.output(), /removed temporary files left by an interrupted write/u);
  } finally {
    await agent.destroy();
  }
});
