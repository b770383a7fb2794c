import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildConfig, readSources, type ConfigSources } from '../../../agent/config/load.ts';
import { LiveConfig } from '../../../agent/config/live-config.ts';
import { updateAgentConfigFile } from '../../../agent/config/update.ts';
import { createLogger } from '../../../agent/util/logger.ts';

async function setup() {
  const directory = await mkdtemp(join(tmpdir(), 'config-update-'));
  const controllerFile = join(directory, 'amphora-agent.conf');
  const overrideDir = join(directory, 'amphora-agent.conf.d');
  await mkdir(overrideDir);
  await writeFile(controllerFile, '[health_manager]\nheartbeat_interval = 10\n[haproxy_amphora]\nbind_port = 9443\n', { mode: 0o640 });
  await writeFile(join(overrideDir, 'local.conf'), '[DEFAULT]\ndebug = true\n');
  const sources: ConfigSources = { files: [controllerFile], directories: [overrideDir] };
  const live = new LiveConfig(buildConfig(readSources(sources)), sources);
  const lines: string[] = [];
  const logger = createLogger({
    debug: true,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  return { directory, controllerFile, overrideDir, live, logger, lines };
}

test('the controller file is replaced atomically, keeps its mode, and local overrides still win', async () => {
  const { directory, controllerFile, live, logger } = await setup();
  try {
    assert.equal(live.current.DEFAULT.debug, true);
    const upload = '[DEFAULT]\ndebug = false\n[health_manager]\nheartbeat_interval = 3\n[haproxy_amphora]\nbind_port = 9443\n';
    await updateAgentConfigFile(live, upload, logger);
    assert.equal(await readFile(controllerFile, 'utf8'), upload);
    assert.equal((await stat(controllerFile)).mode & 0o777, 0o640);
    assert.equal(live.current.health_manager.heartbeat_interval, 3);
    assert.equal(live.current.DEFAULT.debug, true, 'the override folder still wins over the uploaded file');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('immutable options are logged with the reference text and keep their value', async () => {
  const { directory, live, logger, lines } = await setup();
  try {
    await updateAgentConfigFile(live, '[haproxy_amphora]\nbind_port = 9999\n[health_manager]\nheartbeat_interval = 10\n', logger);
    logger.flush();
    await new Promise((done) => setTimeout(done, 50));
    assert.equal(live.current.haproxy_amphora.bind_port, 9443);
    assert.ok(lines.some((line) => line.includes('Ignoring change to immutable option haproxy_amphora.bind_port')), lines.join(''));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a bad upload, or one that breaks with the overrides, changes neither file nor running config', async () => {
  const { directory, controllerFile, overrideDir, live, logger } = await setup();
  try {
    const before = await readFile(controllerFile, 'utf8');
    await assert.rejects(updateAgentConfigFile(live, '[health_manager]\nheartbeat_interval = soon\n', logger), /heartbeat_interval/u);
    await assert.rejects(updateAgentConfigFile(live, 'key = before any section\n', logger), /assignment before any section header/u);
    await writeFile(join(overrideDir, 'zz.conf'), '[haproxy_amphora]\nbase_cert_dir = $missing_option\n');
    await assert.rejects(updateAgentConfigFile(live, before, logger), /unknown option/u);
    assert.equal(await readFile(controllerFile, 'utf8'), before);
    assert.equal(live.current.health_manager.heartbeat_interval, 10);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
