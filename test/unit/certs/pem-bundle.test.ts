import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '../../../agent/certs/dev-pki.ts';
import { parsePemBundle, PemBundleError, splitPemBundle } from '../../../agent/certs/pem-bundle.ts';

const authority = createCertificateAuthority('pem-bundle test CA');
const leaf = authority.issue('amphora', ['amphora']);

test('certificate then key, key then certificate, and a chain are all accepted', async () => {
  const intermediate = authority.issue('chain');
  const forward = await parsePemBundle(leaf.certPem + leaf.keyPem);
  assert.equal(forward.certificate.trim(), leaf.certPem.trim());
  const reversed = await parsePemBundle(leaf.keyPem + leaf.certPem + intermediate.certPem);
  assert.equal(reversed.chain.length, 1);
  assert.ok(splitPemBundle(`junk before\n${leaf.certPem}\r\n${leaf.keyPem}`));
});

test('an EC certificate with its key is accepted (checked by Node: node-forge reads RSA only); a foreign EC key is not', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'ec-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=ec', '-days', '1', '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const pem = (await readFile(join(directory, 'cert.pem'), 'utf8')) + (await readFile(join(directory, 'key.pem'), 'utf8'));
  await rm(directory, { recursive: true, force: true });
  const bundle = await parsePemBundle(pem);
  assert.match(bundle.privateKey, /PRIVATE KEY/u);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const foreign = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(parsePemBundle(bundle.certificate + foreign), /does not match/u);
  await assert.rejects(parsePemBundle(leaf.certPem + foreign), /does not match|cannot be parsed/u);
});

test('missing parts, a foreign key and garbage are refused with a reason', async () => {
  const other = authority.issue('other');
  await assert.rejects(parsePemBundle(leaf.certPem), (error: unknown) => error instanceof PemBundleError && /no private key/u.test(error.message));
  await assert.rejects(parsePemBundle(leaf.keyPem), /no certificate/u);
  await assert.rejects(parsePemBundle(leaf.certPem + other.keyPem), /does not match/u);
  await assert.rejects(parsePemBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' + leaf.keyPem));
  await assert.rejects(parsePemBundle(''), /no certificate/u);
});
