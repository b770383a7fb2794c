import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../agent/util/atomic-file.ts';

test('new files get the requested mode whatever the umask; existing ones keep theirs', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'atomic-'));
  try {
    const file = join(directory, 'a.conf');
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(file, 'one', { mode: 0o644 });
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    await chmod(file, 0o640);
    await writeFileAtomic(file, 'two', { mode: 0o600 });
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    await writeFileAtomic(file, 'three', { mode: 0o600, preserveMode: false });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await readFile(file, 'utf8'), 'three');
    assert.deepEqual(await readdir(directory), ['a.conf'], 'no temp file is left behind');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a failed write leaves the old content and no temp file', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'atomic-'));
  try {
    const file = join(directory, 'b.conf');
    await writeFile(file, 'old');
    await assert.rejects(writeFileAtomic(join(directory, 'missing-folder', 'b.conf'), 'x'));
    // A data source that throws halfway: the rename never happens.
    const failing = { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('source broke')) }) };
    await assert.rejects(writeFileAtomic(file, failing as never));
    assert.equal(await readFile(file, 'utf8'), 'old');
    assert.deepEqual(await readdir(directory), ['b.conf']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('a target name of 255 characters (the file-name limit) is written; its temporary fits too', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'atomic-'));
  try {
    const name = `${'c'.repeat(251)}.pem`;
    await writeFileAtomic(join(directory, name), 'certificate');
    assert.equal(await readFile(join(directory, name), 'utf8'), 'certificate');
    assert.deepEqual(await readdir(directory), [name]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
