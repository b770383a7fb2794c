import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess } from '../helpers/agent-harness.ts';
import { testHaproxyConfig } from '../helpers/haproxy-fixtures.ts';
import { freePort } from '../helpers/free-port.ts';

/** Fills the file system until a write fails with ENOSPC. */
async function fill(directory: string): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let index = 0; ; index += 1) {
    try {
      await writeFile(join(directory, `filler-${index}`), chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
}

test('a full disk: every upload keeps the reference status, names ENOSPC, and leaves the old files intact', { timeout: 90_000 }, async () => {
  // A small tmpfs holds the whole agent state, so filling it cannot touch the machine's disk.
  const directory = await mkdtemp(join(tmpdir(), 'amphora-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', directory]);
  try {
    const agent = await startAgentProcess({ directory });
    try {
      const lbId = 'lb-full-disk';
      const port = await freePort();
      const config = testHaproxyConfig({ basePath: agent.basePath, lbId, listenerId: 'listener', port, memberPorts: [1] });
      assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, config)).status, 202);
      assert.equal((await agent.request('PUT', `/1.0/loadbalancer/${lbId}/certificates/tls.pem`, agent.pki.serverPem)).status, 200);
      const files = [join(agent.basePath, lbId, 'haproxy.cfg'), join(agent.certDir, lbId, 'tls.pem'), agent.pki.files.server, agent.configFile];
      const before = await Promise.all(files.map((file) => readFile(file, 'utf8')));

      await fill(directory);
      const changed = config.replace('maxconn 4000', 'maxconn 3999');
      const fresh = agent.pki.authority.issue(agent.amphoraId, [agent.amphoraId], ['127.0.0.1']);
      const calls: [string, string, string, number][] = [
        ['PUT', `/1.0/loadbalancer/${agent.amphoraId}/${lbId}/haproxy`, changed, 500],
        ['PUT', `/1.0/loadbalancer/${agent.amphoraId}/lb-new/haproxy`, changed.replaceAll(lbId, 'lb-new'), 500],
        ['PUT', `/1.0/loadbalancer/${lbId}/certificates/tls.pem`, agent.pki.clientPem, 500],
        ['PUT', '/1.0/certificate', fresh.certPem + fresh.keyPem, 500],
        ['PUT', '/1.0/config', before[3]!.replace('heartbeat_interval = 10', 'heartbeat_interval = 11'), 500],
      ];
      for (const [method, path, body, status] of calls) {
        const answer = await agent.request(method, path, body);
        assert.equal(answer.status, status, `${path}: ${answer.text}`);
        const parsed = answer.json() as { details?: string };
        assert.match(parsed.details ?? '', /ENOSPC|no space left/iu, `${path}: ${answer.text}`);
      }
      const after = await Promise.all(files.map((file) => readFile(file, 'utf8')));
      assert.deepEqual(after, before, 'every old file is intact');
      assert.match(agent.output(), /request failed: no space left on device \(ENOSPC\)/u);
    } finally {
      await agent.stop();
    }
  } finally {
    execFileSync('umount', ['-l', directory]);
    await rm(directory, { recursive: true, force: true });
  }
});
