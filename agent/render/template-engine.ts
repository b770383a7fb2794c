import { join } from 'node:path';
import type Handlebars from 'handlebars';
import { handlebars } from '../util/handlebars-loader.ts';
import { templatesDir } from '../util/project-root.ts';
import { AgentError } from '../util/errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync } = nodeFs;

/**
 * Handlebars set up for config files, not HTML: no entity escaping at all (`noEscape`), and
 * `strict` so a misspelt field fails loudly instead of printing nothing. Every interpolation in
 * the templates goes through one of the helpers below, which are the render guard of
 * config-rendering.md §4.6: a value carrying a control character (CR, LF, NUL, ...) aborts
 * the render before anything is written. The model validation refuses such values long before;
 * this is the second line of defence.
 */

export class RenderError extends AgentError {
  override readonly name = 'RenderError';
}

/** CR, LF, NUL, TAB and every other C0/C1 control, DEL. */
const FORBIDDEN_IN_VALUE = /[\u0000-\u001f\u007f-\u009f]/;
/** In the finished file only LF may appear among the controls. */
const FORBIDDEN_IN_OUTPUT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function guard(value: unknown, helper: string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RenderError(`${helper}: refusing to print the non-finite number ${value}`);
    return String(value);
  }
  if (typeof value !== 'string') throw new RenderError(`${helper}: refusing to print a ${value === null ? 'null' : typeof value} value`);
  if (FORBIDDEN_IN_VALUE.test(value)) {
    throw new RenderError(`${helper}: refusing to print ${JSON.stringify(value)}: it contains a control character`);
  }
  return value;
}

/**
 * haproxy's line parser splits words on blanks, reads `#` as a comment, `\` as an escape and
 * quotes as quoting. A free-form value (L7 match value) is made a single literal word:
 * `\` → `\\`, space → `\ ` (as upstream), and also `#`, `"`, `'` backslash-escaped so that they
 * match literally instead of cutting the line or opening a quoted string.
 */
export function haproxyWord(value: string): string {
  return guard(value, 'haproxy-word')
    .replaceAll('\\', '\\\\')
    .replaceAll(' ', '\\ ')
    .replaceAll('#', '\\#')
    .replaceAll('"', '\\"')
    .replaceAll("'", "\\'");
}

/** Inside a keepalived double-quoted string (misc_path): no quote may close it early. */
function keepalivedQuoted(value: unknown): string {
  const text = guard(value, 'keepalived-quoted');
  if (text.includes('"')) throw new RenderError(`keepalived-quoted: refusing to print ${JSON.stringify(text)}: it contains a double quote`);
  return text;
}

/** keepalived reads `#` and `!` after a blank as a comment: a token must not contain blanks or start a comment. */
function keepalivedToken(value: unknown): string {
  const text = guard(value, 'keepalived');
  if (/\s/.test(text) || /^[#!]/.test(text)) throw new RenderError(`keepalived: refusing to print ${JSON.stringify(text)} as one token`);
  return text;
}

function keepalivedLine(value: unknown): string {
  const text = guard(value, 'keepalived-line');
  if (/(^|\s)[#!]/.test(text)) throw new RenderError(`keepalived-line: refusing to print ${JSON.stringify(text)}: it would start a comment`);
  return text;
}

function createEngine(): typeof Handlebars {
  const engine = handlebars().create();
  // A value already shaped by the view model (validated tokens, composed option strings).
  engine.registerHelper('haproxy', (value: unknown) => guard(value, 'haproxy'));
  // A free-form value that must stay one literal haproxy word.
  engine.registerHelper('haproxy-word', (value: unknown) => haproxyWord(guard(value, 'haproxy-word')));
  engine.registerHelper('keepalived', (value: unknown) => keepalivedToken(value));
  engine.registerHelper('keepalived-quoted', (value: unknown) => keepalivedQuoted(value));
  // A line composed by the view model from validated tokens (routes, rules).
  engine.registerHelper('keepalived-line', (value: unknown) => keepalivedLine(value));
  for (const [name, file] of partials) engine.registerPartial(name, readFileSync(templatePath(file), 'utf8'));
  return engine;
}

/** Partials by name and file, registered when the engine is first needed. */
const partials = new Map<string, string>();
let engineInstance: typeof Handlebars | undefined;
function engine(): typeof Handlebars {
  engineInstance ??= createEngine();
  return engineInstance;
}
const cache = new Map<string, Handlebars.TemplateDelegate>();

export function templatePath(name: string): string {
  return join(templatesDir(), name);
}

function compiled(name: string): Handlebars.TemplateDelegate {
  let template = cache.get(name);
  if (!template) {
    const source = readFileSync(templatePath(name), 'utf8');
    template = engine().compile(source, { noEscape: true, strict: true });
    cache.set(name, template);
  }
  return template;
}

/** Registers a partial (by file) once, under the given name. */
export function registerPartial(name: string, file: string): void {
  if (partials.has(name)) return;
  partials.set(name, file);
  engineInstance?.registerPartial(name, readFileSync(templatePath(file), 'utf8'));
}

/** Renders a template and checks the finished text once more. */
export function renderTemplate(name: string, view: object): string {
  const text = compiled(name)(view);
  const bad = FORBIDDEN_IN_OUTPUT.exec(text);
  if (bad) throw new RenderError(`${name}: rendered text contains control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text;
}
