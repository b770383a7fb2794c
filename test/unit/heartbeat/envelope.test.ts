import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { deflate } from 'pako';
import {
  compressJson,
  decryptDatagram,
  encryptPayload,
  inflatePayload,
  isEncryptedDatagram,
  signPayload,
  verifySigned,
} from '../../../agent/heartbeat/envelope.ts';
import { VECTORS } from '../../helpers/heartbeat-vectors.ts';

/** Canonical zlib (what CPython links) as pako reproduces it: the reference's exact bytes. */
const referenceDeflate = (json: string) => Buffer.from(deflate(Buffer.from(json, 'utf8'), { level: 9, legacyHash: true }));

for (const [name, vector] of Object.entries(VECTORS)) {
  test(`vector ${name}: signing reference-compressed bytes gives the datagram byte for byte`, () => {
    const payload = referenceDeflate(vector.json);
    assert.equal(payload.toString('hex'), vector.payload);
    const datagram = signPayload(payload, vector.key);
    assert.equal(datagram.toString('hex'), vector.payload + Buffer.from(vector.hmac, 'ascii').toString('hex'));
  });

  test(`vector ${name}: Node zlib output verifies and inflates to the same JSON`, async () => {
    const datagram = signPayload(await compressJson(vector.json), vector.key);
    assert.deepEqual(datagram.subarray(0, 2), Buffer.from([0x78, 0xda]));
    const payload = verifySigned(datagram, vector.key);
    assert.ok(payload);
    assert.equal(inflatePayload(payload), vector.json);
  });
}

test('vector A JSON has the documented length and digest', () => {
  assert.equal(Buffer.byteLength(VECTORS.a.json), 427);
  assert.equal(createHash('sha256').update(VECTORS.a.json).digest('hex'), 'ff47c4c3059e42282678ae8afde16e94802172dcc388fb21c06e5b34e28f71f1');
});

test('a wrong key, a flipped byte and an uppercase digest are all refused', () => {
  const datagram = signPayload(referenceDeflate(VECTORS.a.json), VECTORS.a.key);
  assert.equal(verifySigned(datagram, `${VECTORS.a.key}?`), undefined);
  const flipped = Buffer.from(datagram);
  flipped[10]! ^= 1;
  assert.equal(verifySigned(flipped, VECTORS.a.key), undefined);
  const upper = Buffer.concat([datagram.subarray(0, -64), Buffer.from(datagram.subarray(-64).toString('ascii').toUpperCase(), 'ascii')]);
  assert.equal(verifySigned(upper, VECTORS.a.key), undefined);
});

test('encrypted datagrams round-trip, hide the JSON and refuse other keys or tampering', async () => {
  const payload = await compressJson(VECTORS.a.json);
  const datagram = encryptPayload(payload, 'secret-one');
  assert.ok(isEncryptedDatagram(datagram));
  assert.equal(datagram.length, payload.length + 32);
  assert.equal(datagram.includes(payload.subarray(2, 20)), false);
  assert.deepEqual(decryptDatagram(datagram, 'secret-one'), payload);
  assert.equal(decryptDatagram(datagram, 'secret-two'), undefined);
  const tampered = Buffer.from(datagram);
  tampered[20]! ^= 0x80;
  assert.equal(decryptDatagram(tampered, 'secret-one'), undefined);
  // Two encryptions of one payload differ (fresh nonce).
  assert.notDeepEqual(encryptPayload(payload, 'secret-one'), datagram);
  // A signed datagram is never taken for an encrypted one.
  assert.equal(isEncryptedDatagram(signPayload(payload, 'secret-one')), false);
});
