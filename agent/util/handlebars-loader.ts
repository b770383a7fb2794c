import { createRequire } from 'node:module';
import type HandlebarsModule from 'handlebars';

const requireModule = createRequire(import.meta.url);
let loaded: typeof HandlebarsModule | undefined;

/**
 * handlebars, loaded on the first render: most of an amphora's life is spent serving info
 * and heartbeats, and the library costs about 8 MB once loaded. It is CommonJS, so it loads
 * synchronously and the render functions stay synchronous.
 */
export function handlebars(): typeof HandlebarsModule {
  loaded ??= requireModule('handlebars') as typeof HandlebarsModule;
  return loaded;
}
