import { HAPROXY_METRIC_FAMILIES, type MetricScope } from './haproxy-metric-table.ts';

/**
 * Turns haproxy's exporter text into Octavia's metric names, line by line, with Octavia's
 * substring rules (so the output is byte for byte what Octavia's proxy prints):
 *
 * 1. a line mentioning `prometheus-exporter` (the internal scrape path) is dropped;
 * 2. the first key in table order found anywhere in the line picks the family; a key is the
 *    haproxy name followed by a space, or (families with labels) by `{`;
 * 3. no key: the line is dropped;
 * 4. a HELP line of a family with replacement text becomes `# HELP <name> <text>`; otherwise
 *    samples get their labels renamed (`proxy=`, `server=`) and every occurrence of the key is
 *    renamed.
 *
 * Beyond Octavia: a translated sample that is not valid exposition syntax (garbage from the
 * upstream, a line cut short) is dropped instead of making Prometheus reject the whole scrape.
 */

interface KeyEntry {
  /** Position in matching order: the lowest found in a line wins. */
  order: number;
  replacement: string;
  /** Whole `# HELP` line replacing the upstream one. */
  helpLine: string | undefined;
  labelRewrites: readonly (readonly [string, string])[];
}

const LABEL_REWRITES: Record<MetricScope, readonly (readonly [string, string])[]> = {
  loadbalancer: [],
  listener: [['proxy=', 'listener=']],
  pool: [['proxy=', 'pool=']],
  member: [
    ['proxy=', 'pool='],
    ['server=', 'member='],
  ],
};

const KEYS = buildKeys();

function buildKeys(): Map<string, KeyEntry> {
  const keys = new Map<string, KeyEntry>();
  for (const [scope, haproxyName, octaviaName, help] of HAPROXY_METRIC_FAMILIES) {
    keys.set(`${haproxyName} `, {
      order: keys.size,
      replacement: `${octaviaName} `,
      helpLine: help === undefined ? undefined : `# HELP ${octaviaName} ${help}\n`,
      labelRewrites: [],
    });
    if (scope !== 'loadbalancer') {
      keys.set(`${haproxyName}{`, { order: keys.size, replacement: `${octaviaName}{`, helpLine: undefined, labelRewrites: LABEL_REWRITES[scope] });
    }
  }
  return keys;
}

const KEY_PREFIX = 'haproxy_';

function isNameCharacter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
}

/**
 * The first key (in table order) occurring in `line`. Every key is `haproxy_` + name characters
 * + a space or `{`, so each occurrence starts at an occurrence of `haproxy_` and ends one past
 * the run of name characters there: looking only at those keeps this linear in the line.
 */
function firstKey(line: string): [string, KeyEntry] | undefined {
  let best: [string, KeyEntry] | undefined;
  for (let start = line.indexOf(KEY_PREFIX); start >= 0; start = line.indexOf(KEY_PREFIX, start + 1)) {
    let end = start + KEY_PREFIX.length;
    while (end < line.length && isNameCharacter(line.charCodeAt(end))) end += 1;
    if (end >= line.length) break;
    const candidate = line.slice(start, end + 1);
    const entry = KEYS.get(candidate);
    if (entry && (!best || entry.order < best[1].order)) best = [candidate, entry];
  }
  return best;
}

const NAME = String.raw`[a-zA-Z_:][a-zA-Z0-9_:]*`;
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"`;
const VALUE = String.raw`(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)`;
const SAMPLE = new RegExp(String.raw`^${NAME}(?:\{(?:${LABEL}(?:,${LABEL})*,?)?\})?[ \t]+${VALUE}(?:[ \t]+-?\d+)?[ \t]*\n$`, 'u');
const TYPE_LINE = new RegExp(String.raw`^# TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped)[ \t]*\n$`, 'u');

/** Whether Prometheus' text parser accepts `line` (with its newline). */
export function isValidExpositionLine(line: string): boolean {
  if (line === '\n') return true;
  if (line.startsWith('# TYPE ')) return TYPE_LINE.test(line);
  if (line.startsWith('#')) return line.endsWith('\n');
  return SAMPLE.test(line);
}

/** Translates one upstream line (with its newline); undefined when Octavia drops it. */
export function translateLine(line: string): string | undefined {
  if (line.includes('prometheus-exporter')) return undefined;
  const found = firstKey(line);
  if (!found) return undefined;
  const [key, entry] = found;
  if (entry.helpLine !== undefined && line.includes('HELP')) return entry.helpLine;
  let translated = line;
  if (entry.labelRewrites.length > 0 && !line.startsWith('#')) {
    for (const [from, to] of entry.labelRewrites) translated = translated.replaceAll(from, to);
  }
  return translated.replaceAll(key, entry.replacement);
}

export interface TranslationResult {
  /** Translated lines, each ending in a newline, in upstream order. */
  lines: string[];
  /** Upstream lines no family matched (Octavia's "rejected" lines). */
  rejected: number;
  /** Translated lines dropped because Prometheus could not parse them. */
  invalid: string[];
}

/**
 * Translates a whole exporter body. Lines are split on `\n` and keep it; a last line without
 * one (a cut-off body) is translated like the others and then fails the syntax check.
 */
export function translateExposition(text: string, onRejected?: (line: string) => void): TranslationResult {
  const result: TranslationResult = { lines: [], rejected: 0, invalid: [] };
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    const line = text.slice(start, end);
    start = end;
    if (line.includes('prometheus-exporter')) continue;
    const translated = translateLine(line);
    if (translated === undefined) {
      result.rejected += 1;
      onRejected?.(line);
    } else if (isValidExpositionLine(translated)) {
      result.lines.push(translated);
    } else {
      result.invalid.push(translated);
    }
  }
  return result;
}
