import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from '../../agent/util/run-command.ts';
import { certificateFiles } from '../../agent/render/certificates.ts';
import type { RenderContext } from '../../agent/render/context.ts';
import type { LoadBalancerModel } from '../../agent/model/types.ts';
import { haproxyPeerName as peerName } from '../../agent/haproxy/peer-name.ts';

/**
 * Real syntax checks of rendered files: `haproxy -c` (with the certificate files the config
 * refers to written beside it) and `keepalived --config-test`.
 */

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestPki {
  certificate: string;
  privateKey: string;
  caPem: string;
  crlPem: string;
}

let cachedPki: TestPki | undefined;

/** A throw-away CA, a leaf certificate and an empty CRL, made with openssl. */
export function testPki(): TestPki {
  if (cachedPki) return cachedPki;
  const dir = tempDir('render-pki-');
  try {
    const p = (name: string) => join(dir.path, name);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 20_000 });
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=render-test-ca', '-days', '2', '-keyout', p('ca.key'), '-out', p('ca.pem'));
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=www.example.com', '-days', '2', '-keyout', p('leaf.key'), '-out', p('leaf.pem'));
    writeFileSync(p('index.txt'), '');
    writeFileSync(p('crlnumber'), '01\n');
    writeFileSync(
      p('ca.cnf'),
      `[ca]\ndefault_ca = test\n[test]\ndatabase = ${p('index.txt')}\ncrlnumber = ${p('crlnumber')}\ncertificate = ${p('ca.pem')}\nprivate_key = ${p('ca.key')}\ndefault_md = sha256\ndefault_crl_days = 2\n`,
    );
    ssl('ca', '-config', p('ca.cnf'), '-gencrl', '-out', p('crl.pem'));
    const read = (name: string) => execFileSync('cat', [p(name)]).toString();
    cachedPki = { certificate: read('leaf.pem'), privateKey: read('leaf.key'), caPem: read('ca.pem'), crlPem: read('crl.pem') };
    return cachedPki;
  } finally {
    dir.remove();
  }
}

/** Writes the config and its certificate files under the context's paths and runs `haproxy -c`. */
export async function haproxyCheck(text: string, model: LoadBalancerModel, ctx: RenderContext): Promise<{ ok: boolean; output: string }> {
  for (const file of certificateFiles(model, ctx)) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content, { mode: file.mode });
  }
  const lbDir = join(ctx.basePath, model.loadbalancer.id);
  mkdirSync(lbDir, { recursive: true });
  const cfg = join(lbDir, 'haproxy.cfg');
  writeFileSync(cfg, text);
  const pingWrapper = join(ctx.basePath, 'ping-wrapper.sh');
  writeFileSync(pingWrapper, '#!/bin/sh\nexit 0\n');
  chmodSync(pingWrapper, 0o755);
  const args = ['-c', '-f', cfg];
  if (ctx.thisAmphoraId) args.push('-L', peerName(ctx.thisAmphoraId));
  const result = await runCommand('haproxy', args, { timeoutMs: 20_000 });
  return { ok: result.exitCode === 0, output: result.output };
}

/**
 * Messages of `keepalived --config-test` that describe this test machine rather than the file:
 * no eth1 here, no IPVS real servers for an intentionally empty pool, and the check scripts that
 * the agent's own keepalived unit enables with script_security.
 */
const ENVIRONMENT_ONLY = [
  /interface \S+ for .* doesn't exist/,
  /Non-existent interface specified/,
  /has no real servers - ignoring/,
  /SECURITY VIOLATION - check scripts are being executed but script_security not enabled/,
];

/** `keepalived --config-test` on a rendered file; any message not about the environment fails. */
export async function keepalivedCheck(text: string, dir: string, name: string): Promise<{ ok: boolean; output: string }> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const result = await runCommand('keepalived', ['--config-test', '-f', path], { timeoutMs: 20_000 });
  const problems = result.output
    .split('\n')
    .filter((line) => line.trim() !== '' && !ENVIRONMENT_ONLY.some((re) => re.test(line)));
  return { ok: !result.timedOut && problems.length === 0, output: result.output };
}
