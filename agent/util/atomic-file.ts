import { open, readdir, readFile, rename, unlink, stat, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode for a file that does not exist yet. */
  mode?: number;
  /** Keep the mode of an existing file (the reference truncates in place, so modes survive). */
  preserveMode?: boolean;
}

/**
 * Replace `path` with `data` so that readers see either the old or the new content, never a
 * mix: temp file in the same folder, fsync, rename, fsync the folder.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const directory = dirname(path);
  let mode = options.mode ?? 0o644;
  if (options.preserveMode !== false) {
    const existing = await stat(path).catch(() => undefined);
    if (existing) mode = existing.mode & 0o7777;
  }
  // A target name near the 255-byte limit must still leave room for the temporary's affixes.
  const temporary = join(directory, `.${basename(path).slice(0, 200)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // umask must not weaken or widen the requested mode
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/**
 * `text` at `path` with exactly `mode`, written (atomically) only when the content differs:
 * files the agent derives from its configuration are rewritten when stale, never touched when
 * current. Says what it did, for callers that must tell someone (systemd's daemon-reload).
 */
export async function writeFileIfChanged(path: string, text: string, mode: number): Promise<'unchanged' | 'created' | 'replaced'> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return 'unchanged';
  await writeFileAtomic(path, text, { mode, preserveMode: false });
  return current === undefined ? 'created' : 'replaced';
}

/** Rename within one folder and make the rename durable. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function ensureDirectory(path: string, mode = 0o755): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

export async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The name writeFileAtomic gives its temporary: `.<target>.<12 hex>.tmp`. */
const TEMPORARY_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/u;

/**
 * Removes temporaries a killed writer left behind, in `folders` and their subfolders (at most
 * `depth` levels). Only called before anything can write, so none of them belongs to a live write.
 */
export async function removeStaleTemporaries(folders: readonly string[], depth = 3): Promise<string[]> {
  const removed: string[] = [];
  const visit = async (folder: string, level: number): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isFile() && TEMPORARY_NAME.test(entry.name)) {
        await unlink(path).catch(() => undefined);
        removed.push(path);
      } else if (entry.isDirectory() && level < depth) {
        await visit(path, level + 1);
      }
    }
  };
  for (const folder of new Set(folders)) await visit(folder, 0);
  return removed;
}
