import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CounterStore, parseCounters } from '../../../agent/heartbeat/counters.ts';
import { buildMessage, messageJson } from '../../../agent/heartbeat/message.ts';
import { silentLogger } from '../../../agent/util/logger.ts';

const row = { bin: 5n, bout: 10n, ereq: 5n, stot: 0n, scur: 0n };

async function withStore(content: string | undefined, body: (store: CounterStore, path: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'hb-counters-'));
  try {
    const path = join(dir, 'stats_counters.json');
    if (content !== undefined) await writeFile(path, content);
    const store = new CounterStore(path, silentLogger);
    await store.load();
    await body(store, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('worked example: deltas against stored counters, file rewritten in the reference format', async () => {
  await withStore('{"L": {"bin": 1, "bout": 2}}', async (store, path) => {
    const message = buildMessage('amp', 0, { listeners: [{ listenerId: 'L', status: 'OPEN', counters: row }], pools: [], problems: [], silent: [] }, store);
    assert.deepEqual(message.listeners.get('L')!.stats, { tx: 8n, rx: 4n, conns: 0n, totconns: 0n, ereq: 5n });
    await store.persist();
    assert.equal(await readFile(path, 'utf8'), '{"L": {"bin": 5, "bout": 10, "ereq": 5, "stot": 0}}');
    assert.equal(messageJson(message), '{"id": "amp", "seq": 0, "listeners": {"L": {"status": "OPEN", "stats": {"tx": 8, "rx": 4, "conns": 0, "totconns": 0, "ereq": 5}}}, "pools": {}, "ver": 3}');
  });
});

test('worked example: a counter that went down (restart) reports its whole current value', async () => {
  await withStore('{"L": {"bin": 15, "bout": 20}}', async (store) => {
    assert.deepEqual(store.delta('L', row), { bin: 5n, bout: 10n, ereq: 5n, stot: 0n });
  });
});

test('a new file is created with mode 0640; key order of existing entries is kept', async () => {
  await withStore(undefined, async (store, path) => {
    store.delta('b', row);
    store.delta('a', { ...row, bin: 7n });
    await store.persist();
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    assert.equal(await readFile(path, 'utf8'), '{"b": {"bin": 5, "bout": 10, "ereq": 5, "stot": 0}, "a": {"bin": 7, "bout": 10, "ereq": 5, "stot": 0}}');
  });
  await withStore('{"L": {"stot": 1, "bin": 1}}', async (store, path) => {
    store.delta('L', row);
    await store.persist();
    assert.equal(await readFile(path, 'utf8'), '{"L": {"stot": 0, "bin": 5, "bout": 10, "ereq": 5}}');
  });
});

test('64-bit counters stay exact through the file', async () => {
  const big = 18446744073709551000n;
  await withStore(`{"L": {"bin": ${big - 1000n}, "bout": 0, "ereq": 0, "stot": 0}}`, async (store) => {
    assert.equal(store.delta('L', { ...row, bin: big }).bin, 1000n);
  });
});

test('unreadable or odd files start from zero', () => {
  for (const text of ['', 'not json', 'null', '{}', '[]', '{"L": 5}']) {
    const parsed = parseCounters(text);
    assert.equal(parsed.get('L')?.size ?? 0, 0, text);
  }
});

test('concurrent persists coalesce and the last state wins', async () => {
  await withStore(undefined, async (store, path) => {
    store.delta('L', row);
    const first = store.persist();
    store.delta('L', { ...row, bin: 99n });
    const second = store.persist();
    await Promise.all([first, second]);
    assert.match(await readFile(path, 'utf8'), /"bin": 99/u);
  });
});
