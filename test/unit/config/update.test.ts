import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capturingLogger } from '../../helpers/capturing-logger.ts';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, readSources, type ConfigSources } from '../../../agent/config/load.ts';
import { LiveConfig } from '../../../agent/config/live-config.ts';
import { ConfigRefusal, updateAgentConfigFile } from '../../../agent/config/update.ts';
import { writePki } from '../../../agent/certs/dev-pki.ts';
import { checkStartable } from '../../../agent/admin/startup-checks.ts';
import { errorMessage } from '../../../agent/util/errors.ts';

async function setup() {
  const directory = await mkdtemp(join(tmpdir(), 'config-update-'));
  const controllerFile = join(directory, 'amphora-agent.conf');
  const overrideDir = join(directory, 'amphora-agent.conf.d');
  await mkdir(overrideDir);
  await writeFile(controllerFile, '[health_manager]\nheartbeat_interval = 10\n[haproxy_amphora]\nbind_port = 9443\n', { mode: 0o640 });
  const pki = await writePki(join(directory, 'pki'), { serverNames: ['amphora'] });
  // The TLS material is a local override, so every upload below starts with usable files.
  await writeFile(
    join(overrideDir, 'local.conf'),
    `[DEFAULT]\ndebug = true\n[amphora_agent]\nagent_server_cert = ${pki.files.server}\nagent_server_ca = ${pki.files.ca}\n`,
  );
  const sources: ConfigSources = { files: [controllerFile], directories: [overrideDir] };
  const live = new LiveConfig(buildConfig(readSources(sources)), sources);
  const { logger, lines } = capturingLogger();
  return { directory, controllerFile, overrideDir, live, logger, lines, pki };
}

test('the controller file is replaced atomically, keeps its mode, and local overrides still win', async () => {
  const { directory, controllerFile, live, logger } = await setup();
  try {
    assert.equal(live.current.DEFAULT.debug, true);
    const upload = '[DEFAULT]\ndebug = false\n[health_manager]\nheartbeat_interval = 3\n[haproxy_amphora]\nbind_port = 9443\n';
    await updateAgentConfigFile(live, upload, logger, checkStartable);
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
    await updateAgentConfigFile(live, '[haproxy_amphora]\nbind_port = 9999\n[health_manager]\nheartbeat_interval = 10\n', logger, checkStartable);
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
    await assert.rejects(updateAgentConfigFile(live, '[health_manager]\nheartbeat_interval = soon\n', logger, checkStartable), /heartbeat_interval/u);
    await assert.rejects(updateAgentConfigFile(live, 'key = before any section\n', logger, checkStartable), /assignment before any section header/u);
    await writeFile(join(overrideDir, 'zz.conf'), '[haproxy_amphora]\nbase_cert_dir = $missing_option\n');
    await assert.rejects(updateAgentConfigFile(live, before, logger, checkStartable), /unknown option/u);
    assert.equal(await readFile(controllerFile, 'utf8'), before);
    assert.equal(live.current.health_manager.heartbeat_interval, 10);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('every value start-up refuses is refused by an upload, with file and running config untouched', async () => {
  const { directory, controllerFile, overrideDir, live, logger, pki } = await setup();
  try {
    const before = await readFile(controllerFile, 'utf8');
    const mismatched = await writePki(join(directory, 'other'), { serverNames: ['amphora'] });
    const certificateOnly = join(directory, 'certificate-only.pem');
    await writeFile(certificateOnly, pki.serverPem.slice(0, pki.serverPem.indexOf('-----BEGIN RSA PRIVATE KEY')));
    const wrongKey = join(directory, 'wrong-key.pem');
    const certificate = pki.serverPem.slice(0, pki.serverPem.indexOf('-----BEGIN RSA PRIVATE KEY'));
    const otherKey = mismatched.serverPem.slice(mismatched.serverPem.indexOf('-----BEGIN RSA PRIVATE KEY'));
    await writeFile(wrongKey, certificate + otherKey);
    const refused: [string, RegExp][] = [
      ['[amphora_agent]\nagent_tls_protocol = SSLv3\n', /SSLv3 is not supported/u],
      ['[amphora_agent]\nagent_tls_protocol = TLSv9\n', /agent_tls_protocol/u],
      ['[health_manager]\nheartbeat_interval = 0\n', /heartbeat_interval/u],
      ['[health_manager]\nheartbeat_interval = 3000000\n', /heartbeat_interval/u],
      ['[haproxy_amphora]\nbind_port = 70000\n', /bind_port/u],
      ['[haproxy_amphora]\nbind_host = not-an-address\n', /bind_host/u],
      [`[amphora_agent]\nagent_server_cert = ${join(directory, 'missing.pem')}\n`, /missing\.pem/u],
      [`[amphora_agent]\nagent_server_cert = ${certificateOnly}\n`, /TLS material/u],
      [`[amphora_agent]\nagent_server_cert = ${wrongKey}\n`, /TLS material/u],
      [`[amphora_agent]\nagent_server_ca = ${join(directory, 'missing-ca.pem')}\n`, /missing-ca\.pem/u],
    ];
    // The override folder holds the TLS paths; move them into the upload so it can change them.
    await writeFile(join(overrideDir, 'local.conf'), '[DEFAULT]\ndebug = true\n');
    const tls = `[amphora_agent]\nagent_server_cert = ${pki.files.server}\nagent_server_ca = ${pki.files.ca}\n`;
    for (const [text, reason] of refused) {
      const upload = text.startsWith('[amphora_agent]') ? text.replace('[amphora_agent]\n', tls) : tls + text;
      await assert.rejects(updateAgentConfigFile(live, upload, logger, checkStartable), reason, upload);
      // The same text stops a fresh start: start-up runs the same parsing and checks.
      const candidate = await writeUpload(directory, upload);
      await assert.rejects(async () => checkStartable(buildConfig(readSources({ files: [candidate], directories: [] }))), reason);
      assert.equal(await readFile(controllerFile, 'utf8'), before);
    }
    assert.equal(live.current.amphora_agent.agent_tls_protocol, 'TLSv1.2');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

async function writeUpload(directory: string, text: string): Promise<string> {
  const file = join(directory, 'candidate.conf');
  await writeFile(file, text);
  return file;
}

test('an upload that would stop heartbeats (no destinations, no key, an empty body) is refused', async () => {
  const { directory, controllerFile, live, logger } = await setup();
  try {
    const running = '[health_manager]\ncontroller_ip_port_list = 192.0.2.1:5555\nheartbeat_key = secret\n';
    await updateAgentConfigFile(live, running, logger, checkStartable);
    for (const text of ['', '[health_manager]\nheartbeat_key = secret\n', '[health_manager]\ncontroller_ip_port_list = 192.0.2.1:5555\n']) {
      await assert.rejects(updateAgentConfigFile(live, text, logger, checkStartable), (error: unknown) => {
        assert.ok(error instanceof ConfigRefusal);
        assert.match(error.message, /controller_ip_port_list|heartbeat_key/u);
        return true;
      });
      assert.equal(await readFile(controllerFile, 'utf8'), running);
    }
    assert.deepEqual(live.current.health_manager.controller_ip_port_list, ['192.0.2.1:5555']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a heartbeat key interpolated into another option never shows in an error or a log line', async () => {
  const { directory, live, logger, lines } = await setup();
  try {
    const key = 'key-material-7f3a9c';
    await assert.rejects(
      updateAgentConfigFile(live, `[health_manager]\nheartbeat_key = ${key}\n[haproxy_amphora]\nbind_port = \${health_manager.heartbeat_key}\n`, logger, checkStartable),
      (error: unknown) => {
        assert.match(errorMessage(error), /bind_port = <secret>/u);
        assert.ok(!errorMessage(error).includes(key));
        return true;
      },
    );
    await updateAgentConfigFile(live, `[health_manager]\nheartbeat_key = ${key}\n[amphora_agent]\namphora_id = amp-\${health_manager.heartbeat_key}\n`, logger, checkStartable);
    logger.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(lines.some((line) => line.includes('amphora_agent.amphora_id changed')), lines.join(''));
    assert.ok(!lines.join('').includes(key), 'the key reached the log');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('an upload that is not valid UTF-8 is refused, not silently altered', async () => {
  const { directory, controllerFile, live, logger } = await setup();
  try {
    const before = await readFile(controllerFile, 'utf8');
    const bytes = Buffer.concat([Buffer.from('[health_manager]\nheartbeat_key = k'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    await assert.rejects(updateAgentConfigFile(live, bytes, logger, checkStartable), /not valid UTF-8/u);
    assert.equal(await readFile(controllerFile, 'utf8'), before);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
