import { dirname, join } from 'node:path';
import { nodeFs } from './builtins.ts';

const { existsSync } = nodeFs;

/**
 * The folder holding package.json and templates/. The agent runs from compiled files in dist/
 * and tests load the sources directly, so locations are found by walking up, never by a fixed
 * number of `..`.
 */
export function projectRoot(from: string = import.meta.dirname): string {
  let folder = from;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${from}`);
    folder = parent;
  }
  return folder;
}

export function templatesDir(): string {
  return join(projectRoot(), 'templates');
}
