import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../../agent/config/load.ts';
import { parseIni } from '../../../agent/config/ini.ts';
import { LiveConfig } from '../../../agent/config/live-config.ts';
import { pathsFor } from '../../../agent/config/paths.ts';
import { createAmphoraInfo } from '../../../agent/info/amphora-info.ts';
import { PackageVersions, detectPackageFlavour } from '../../../agent/info/package-versions.ts';
import { KeyedMutex } from '../../../agent/util/keyed-mutex.ts';
import { silentLogger } from '../../../agent/util/logger.ts';

async function infoFor(osRelease: string) {
  const directory = await mkdtemp(join(tmpdir(), 'info-'));
  const release = join(directory, 'os-release');
  await writeFile(release, osRelease);
  const config = new LiveConfig(buildConfig(parseIni(`[haproxy_amphora]\nbase_path = ${directory}\n[amphora_agent]\nnetwork_namespace =\n`)), { files: [], directories: [] });
  const context = { config, get paths() { return pathsFor(config.current); }, logger: silentLogger, locks: new KeyedMutex() };
  return { directory, info: createAmphoraInfo(context, new PackageVersions(detectPackageFlavour(release)), async () => []) };
}

test('versions are the installed packages\' (dpkg on Debian)', async () => {
  const { directory, info } = await infoFor('ID=debian\n');
  try {
    const answer = await info.info();
    assert.match(String(answer.haproxy_version), /^\d+\.\d+\./u);
    assert.match(String(answer.keepalived_version), /^(\d+:)?\d+\.\d+/u);
    assert.deepEqual(Object.keys(answer), ['hostname', 'haproxy_version', 'api_version', 'keepalived_version', 'ipvsadm_version']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a missing keepalived/ipvsadm reads as an empty version; a missing haproxy is an error', async () => {
  const { directory, info } = await infoFor('ID="rocky"\n');
  try {
    // rpm is not installed here, so every rpm query fails as for a missing package.
    await assert.rejects(info.info(), /package haproxy is not installed/u);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  // Packages cannot be removed in a test: real dpkg answers haproxy, the LVS tools are
  // asked of a package name that no machine has.
  const installed = new PackageVersions(Promise.resolve('dpkg'));
  const config = new LiveConfig(buildConfig(parseIni('[amphora_agent]\nnetwork_namespace =\n')), { files: [], directories: [] });
  const context = { config, get paths() { return pathsFor(config.current); }, logger: silentLogger, locks: new KeyedMutex() };
  const partial = createAmphoraInfo(
    context,
    { version: (name) => installed.version(name === 'haproxy' ? name : ('no-such-package-here' as 'haproxy')) },
    async () => [],
  );
  const answer = await partial.info();
  assert.match(String(answer.haproxy_version), /^\d+\.\d+/u);
  assert.equal(answer.keepalived_version, '');
  assert.equal(answer.ipvsadm_version, '');
});
