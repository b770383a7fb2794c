/** Bounded work per model (lists, rendered server lines, reported errors), off-thread preparation, no keys in reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RENDERED_SERVER_LINES, MAX_REPORTED_ERRORS, MODEL_LIMITS } from '../../../agent/model/limits.ts';
import { OFF_THREAD_BYTES, prepareModel, prepareModelOffThread } from '../../../agent/apply/prepare.ts';
import { secretFileName } from '../../../agent/model/rules.ts';
import { withSecretReferences } from '../../../agent/apply/secret-references.ts';
import { formatErrors, validateModel } from '../../../agent/model/validation.ts';
import { baseRenderContext, featuresForVersion } from '../../../agent/render/context.ts';
import { fixtureB, listenerOf, poolOf, tlsMaterial, type Json } from '../../helpers/model-fixtures.ts';

const ctx = baseRenderContext({ thisAmphoraId: 'sample_amphora_id_1', features: featuresForVersion(2, 6), cpuCount: 2 });

function errorsOf(model: Json): { path: string; reason: string }[] {
  const result = validateModel(model);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
}

const members = (count: number, prefix = 0) =>
  Array.from({ length: count }, (_, i) => ({ id: `m${prefix}-${i}`, address: `10.${prefix}.${(i >> 8) & 255}.${i & 255}`, protocol_port: 80 }));

/** `listeners` HTTP listeners, each using one shared pool of `count` members. */
function sharedPoolModel(listeners: number, count: number): Json {
  const model = fixtureB();
  poolOf(model).members = members(count);
  const template = listenerOf(model);
  model.loadbalancer.listeners = Array.from({ length: listeners }, (_, i) => ({ ...template, id: `listener-${i}`, protocol_port: 1000 + i }));
  return model;
}

test('a list longer than its bound is refused whole, naming the bound and the count', () => {
  const model = fixtureB();
  const amphora = model.loadbalancer.amphorae[0];
  model.loadbalancer.amphorae = Array.from({ length: 120_000 }, (_, i) => ({ ...amphora, id: `amphora-${i}` }));
  const errors = errorsOf(model);
  assert.deepEqual(errors, [{ path: 'loadbalancer.amphorae', reason: `must hold at most ${MODEL_LIMITS.amphorae} entries (has 120000)` }]);

  const crowded = fixtureB();
  poolOf(crowded).members = members(MODEL_LIMITS.members + 1);
  assert.deepEqual(errorsOf(crowded).map((e) => e.path), ['loadbalancer.pools[0].members']);
});

test('duplicate amphora ids are found (with a set: the list may be as long as its bound)', () => {
  const model = fixtureB();
  const amphora = model.loadbalancer.amphorae[0];
  model.loadbalancer.amphorae = Array.from({ length: MODEL_LIMITS.amphorae }, (_, i) => ({ ...amphora, id: `amphora-${i % 15}` }));
  assert.deepEqual(errorsOf(model), [{ path: `loadbalancer.amphorae[15].id`, reason: 'duplicates another amphora id' }]);
});

test('the server lines a model would render are bounded before rendering: a shared pool counts once per listener', () => {
  const perListener = 10_000;
  const fits = Math.floor(MAX_RENDERED_SERVER_LINES / perListener);
  assert.equal(validateModel(sharedPoolModel(fits, perListener)).ok, true);
  const errors = errorsOf(sharedPoolModel(fits + 1, perListener));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, 'loadbalancer.listeners');
  assert.match(errors[0]!.reason, new RegExp(`would render ${(fits + 1) * perListener} server lines.*at most ${MAX_RENDERED_SERVER_LINES}`, 'u'));
});

test('at most a hundred field errors are reported, the rest counted', () => {
  const model = fixtureB();
  poolOf(model).members = Array.from({ length: 250 }, (_, i) => ({ id: `bad-${i}`, address: 'not-an-address', protocol_port: 80 }));
  const text = formatErrors(errorsOf(model));
  assert.equal(text.split('; ').length, MAX_REPORTED_ERRORS + 1);
  assert.match(text, /; and 150 more$/u);
});

test('a large model is prepared off the event loop, with the same result as in place', async () => {
  const body = Buffer.from(JSON.stringify(sharedPoolModel(4, 5000)));
  assert.ok(body.length > OFF_THREAD_BYTES);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const offThread = await prepareModelOffThread(body, ctx);
    assert.ok(ticks > 0, 'timers ran while the model was validated and rendered');
    const inPlace = prepareModel(body, ctx);
    assert.ok(offThread.ok && inPlace.ok);
    assert.equal(offThread.haproxyText, inPlace.haproxyText);
    assert.equal((offThread.haproxyText ?? '').split('\n').filter((line) => line.trimStart().startsWith('server ')).length, 4 * 5000);
  } finally {
    clearInterval(timer);
  }
  const refused = await prepareModelOffThread(Buffer.from(JSON.stringify(sharedPoolModel(3, MODEL_LIMITS.members + 1))), ctx);
  assert.deepEqual(refused.ok ? undefined : refused.message, 'Invalid model');
});

test('a model read back names its TLS material by file, never carrying a private key', () => {
  const model = fixtureB();
  Object.assign(listenerOf(model), { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container: tlsMaterial('default'), sni_containers: [tlsMaterial('sni')] });
  Object.assign(poolOf(model), { tls_enabled: true, tls_container: tlsMaterial('pool') });
  const result = validateModel(model);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const shown = withSecretReferences(result.model);
  const text = JSON.stringify(shown);
  assert.doesNotMatch(text, /PRIVATE KEY/u);
  const listener = shown.loadbalancer.listeners[0]!;
  assert.deepEqual(listener.default_tls_container, { file: secretFileName(result.model.loadbalancer.listeners[0]!.default_tls_container!) });
  assert.deepEqual(listener.sni_containers, [{ file: secretFileName(tlsMaterial('sni') as never) }]);
  assert.deepEqual(shown.loadbalancer.pools[0]!.tls_container, { file: secretFileName(tlsMaterial('pool') as never) });
  // Read back and applied again: a valid model naming the same files.
  assert.equal(validateModel(JSON.parse(text)).ok, true);
  assert.match(JSON.stringify(result.model), /PRIVATE KEY/u, 'the stored model is unchanged');
});
