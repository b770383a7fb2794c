/**
 * A property of the renderer over random models (seeded, bounded): whatever text a model's
 * free-form fields carry, a model that validation accepts renders a haproxy.cfg with the same
 * line structure as the same model with plain values, no control character but the line
 * feed, and a size within the bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RENDERED_CONFIG_BYTES } from '../../../agent/model/limits.ts';
import { validateModel } from '../../../agent/model/validation.ts';
import { baseRenderContext, featuresForVersion } from '../../../agent/render/context.ts';
import { renderHaproxy } from '../../../agent/render/haproxy.ts';
import { tlsMaterial, type Json } from '../../helpers/model-fixtures.ts';

const ITERATIONS = 300;

/** mulberry32: a small seeded generator, so a failure names a reproducible seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAYLOADS = [
  'plain',
  'two words',
  'line\nbreak',
  'carriage\rreturn',
  'tab\there',
  'brace }',
  'brace {',
  '"double"',
  "'single'",
  '#comment',
  'backslash\\',
  'semi;colon',
  'bind 0.0.0.0:1',
  '\nfrontend injected\n    bind *:6666',
  '%[src]',
  '${HOME}',
  'über-ünïcode',
  '\u0085next-line',
  '\u2028separator',
  'x'.repeat(300),
  '',
];

const ctx = baseRenderContext({ thisAmphoraId: 'amphora-1', features: featuresForVersion(2, 6), cpuCount: 2, lvsNamespace: '' });

/**
 * A random model; `text(kind)` gives every free-form value. The structure (lists, protocols,
 * numbers) depends only on `random`, so two calls with the same seed differ only in text.
 */
function randomModel(random: () => number, text: (kind: 'name' | 'path' | 'value' | 'url' | 'codes') => string): Json {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const count = (max: number) => Math.floor(random() * (max + 1));
  const pools = Array.from({ length: 1 + count(2) }, (_, p) => {
    const protocol = pick(['HTTP', 'TCP', 'PROXY'] as const);
    return {
      id: `pool-${p}`,
      name: text('name'),
      description: text('name'),
      protocol,
      lb_algorithm: pick(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP'] as const),
      healthmonitor:
        random() < 0.5
          ? null
          : protocol === 'HTTP'
            ? { id: `hm-${p}`, type: 'HTTP', delay: 1 + count(9), timeout: 1 + count(9), max_retries: 1 + count(5), url_path: text('path'), expected_codes: text('codes'), http_method: 'GET' }
            : { id: `hm-${p}`, type: 'TCP', delay: 1 + count(9), timeout: 1 + count(9), max_retries: 1 + count(5) },
      members: Array.from({ length: count(4) }, (_, m) => ({
        id: `member-${p}-${m}`,
        name: text('name'),
        address: `10.${p}.0.${m + 1}`,
        protocol_port: 1 + count(65534),
        weight: count(256),
        backup: random() < 0.2,
      })),
    };
  });
  const httpPools = pools.filter((pool) => pool.protocol === 'HTTP');
  const listeners = Array.from({ length: 1 + count(3) }, (_, l) => {
    const protocol = pick(['HTTP', 'TCP', 'TERMINATED_HTTPS'] as const);
    const httpLike = protocol !== 'TCP';
    const candidates = httpLike ? httpPools : pools.filter((pool) => pool.protocol !== 'HTTP');
    const defaultPool = candidates.length > 0 && random() < 0.8 ? pick(candidates).id : null;
    return {
      id: `listener-${l}`,
      name: text('name'),
      description: text('name'),
      protocol,
      protocol_port: 1000 + l,
      default_pool_id: defaultPool,
      ...(protocol === 'TERMINATED_HTTPS' ? { default_tls_container: tlsMaterial(`l${l}`) } : {}),
      l7policies: httpLike
        ? Array.from({ length: count(2) }, (_, k) => {
            const action = pick(['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_PREFIX', ...(httpPools.length > 0 ? (['REDIRECT_TO_POOL'] as const) : [])] as const);
            return {
              id: `policy-${l}-${k}`,
              name: text('name'),
              action,
              position: k + 1,
              ...(action === 'REDIRECT_TO_URL' ? { redirect_url: text('url') } : {}),
              ...(action === 'REDIRECT_PREFIX' ? { redirect_prefix: text('url') } : {}),
              ...(action === 'REDIRECT_TO_POOL' ? { redirect_pool_id: pick(httpPools).id } : {}),
              rules: Array.from({ length: 1 + count(2) }, (_, r) => {
                const type = pick(['HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE'] as const);
                return {
                  id: `rule-${l}-${k}-${r}`,
                  type,
                  compare_type: type === 'FILE_TYPE' ? 'EQUAL_TO' : pick(['STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const),
                  value: text('value'),
                  invert: random() < 0.3,
                  ...(type === 'HEADER' || type === 'COOKIE' ? { key: text('value') } : {}),
                };
              }),
            };
          })
        : [],
    };
  });
  return { loadbalancer: { id: 'lb-property', name: text('name'), description: text('name'), vip: { ip_address: '10.0.0.2' }, listeners, pools } };
}

const PLAIN = { name: 'plain', path: '/', value: 'plain', url: 'http://plain.example/', codes: '200' } as const;

/** First word of each line: a changed structure (a new section, directive or line) shows here. */
function structure(text: string): string[] {
  return text.split('\n').map((line) => line.trim().split(/\s+/u)[0] ?? '');
}

test(`random models: accepted text never changes the rendered structure (${ITERATIONS} seeds)`, () => {
  let accepted = 0;
  for (let seed = 1; seed <= ITERATIONS; seed += 1) {
    const texts = generator(seed * 7919);
    let varied = false;
    const hostile = randomModel(generator(seed), (kind) => {
      if (texts() < 0.9) return PLAIN[kind];
      varied = true;
      return PAYLOADS[Math.floor(texts() * PAYLOADS.length)]!;
    });
    const plain = randomModel(generator(seed), (kind) => PLAIN[kind]);
    const baseline = validateModel(plain);
    assert.ok(baseline.ok, `seed ${seed}: the plain twin must be valid: ${JSON.stringify(!baseline.ok && baseline.errors.slice(0, 3))}`);
    const result = validateModel(hostile);
    if (!result.ok || !varied) continue;
    accepted += 1;
    const rendered = renderHaproxy(result.model, ctx).text;
    const expected = renderHaproxy(baseline.model, ctx).text;
    assert.deepEqual(structure(rendered), structure(expected), `seed ${seed}: the structure changed`);
    assert.doesNotMatch(rendered, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/u, `seed ${seed}: a control character reached the config`);
    assert.ok(Buffer.byteLength(rendered) <= MAX_RENDERED_CONFIG_BYTES);
  }
  // The property is about accepted models carrying unusual text: enough of them must have been tried.
  assert.ok(accepted >= ITERATIONS / 10, `only ${accepted} of ${ITERATIONS} random models with unusual text were accepted`);
});
