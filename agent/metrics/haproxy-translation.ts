import { ByteSink } from './byte-sink.ts';
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
  /** The Octavia metric name. */
  family: string;
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
      family: octaviaName,
      replacement: `${octaviaName} `,
      helpLine: help === undefined ? undefined : `# HELP ${octaviaName} ${help}\n`,
      labelRewrites: [],
    });
    if (scope !== 'loadbalancer') {
      keys.set(`${haproxyName}{`, { order: keys.size, family: octaviaName, replacement: `${octaviaName}{`, helpLine: undefined, labelRewrites: LABEL_REWRITES[scope] });
    }
  }
  return keys;
}

const KEY_PREFIX = 'haproxy_';

const NAME_RUN = /[A-Za-z0-9_]*/y;

/**
 * The first key (in table order) occurring in `line`. Every key is `haproxy_` + name characters
 * + a space or `{`, so each occurrence starts at an occurrence of `haproxy_` and ends one past
 * the run of name characters there: looking only at those keeps this linear in the line.
 */
function firstKey(line: string): [string, KeyEntry] | undefined {
  let best: [string, KeyEntry] | undefined;
  for (let start = line.indexOf(KEY_PREFIX); start >= 0; start = line.indexOf(KEY_PREFIX, start + 1)) {
    NAME_RUN.lastIndex = start + KEY_PREFIX.length;
    NAME_RUN.test(line);
    const end = NAME_RUN.lastIndex;
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
  return found === undefined ? undefined : applyKey(line, found[0], found[1]);
}

function applyKey(text: string, key: string, entry: KeyEntry): string {
  if (entry.helpLine !== undefined && text.includes('HELP')) return entry.helpLine;
  let translated = text;
  if (entry.labelRewrites.length > 0 && !text.startsWith('#')) {
    for (const [from, to] of entry.labelRewrites) translated = translated.replaceAll(from, to);
  }
  return translated.replaceAll(key, entry.replacement);
}

function isValueCharacter(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46 || code === 43 || code === 45 || code === 101 || code === 69;
}

/**
 * A cheap check that a sample line of a run (it starts with `name{`) is well formed: closing
 * brace after a quote, a space, then a decimal number, NaN or ±Inf. No allocation: it runs for
 * every member line. Lines failing it get the full check.
 */
function looksLikeSample(text: string, end: number, labelsStart: number): boolean {
  if (text.charCodeAt(end - 1) !== 10) return false;
  const close = text.lastIndexOf('} ', end - 2);
  if (close < labelsStart || text.charCodeAt(close - 1) !== 34) return false;
  const valueStart = close + 2;
  const valueEnd = end - 1;
  if (valueEnd <= valueStart) return false;
  if (text.startsWith('NaN', valueStart) || text.startsWith('+Inf', valueStart) || text.startsWith('-Inf', valueStart)) {
    return valueEnd - valueStart === (text.charCodeAt(valueStart) === 78 ? 3 : 4);
  }
  let digits = 0;
  for (let index = valueStart; index < valueEnd; index += 1) {
    const code = text.charCodeAt(index);
    if (!isValueCharacter(code)) return false;
    if (code >= 48 && code <= 57) digits += 1;
  }
  return digits > 0;
}

export interface TranslationResult {
  /**
   * The translated text, UTF-8, in upstream order. Bytes, not strings: a scrape's text then
   * never accumulates on the JavaScript heap, which would keep it grown after the scrape.
   */
  output: ByteSink;
  /** Octavia metric name -> byte offset just after its last translated line. */
  familyEnds: Map<string, number>;
  /** Upstream lines no family matched (Octavia's "rejected" lines). */
  rejected: number;
  /** Translated lines dropped because Prometheus could not parse them. */
  invalid: string[];
}

/**
 * Translates exporter text as it arrives, chunk by chunk. The result is what translating each
 * line with `translateLine` gives, minus invalid lines; consecutive samples of one family whose
 * only `haproxy_` is their own name are translated as one run (one replace per run instead of
 * per line), which keeps a 1,000-member scrape fast without an optimizing compiler.
 */
export class ExpositionTranslator {
  readonly #onRejected: ((line: string) => void) | undefined;
  readonly #result: TranslationResult;
  #carry = '';

  constructor(onRejected?: (line: string) => void, output = new ByteSink()) {
    this.#onRejected = onRejected;
    this.#result = { output, familyEnds: new Map(), rejected: 0, invalid: [] };
  }

  /** Translates the complete lines of `chunk` (with what was left of the previous one). */
  push(chunk: string): void {
    const text = this.#carry + chunk;
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.#carry = text;
      return;
    }
    this.#carry = text.slice(last + 1);
    this.#translate(text, last + 1);
  }

  /** The rest (a last line without a newline is translated, then fails the syntax check). */
  end(): TranslationResult {
    if (this.#carry.length > 0) this.#translate(this.#carry, this.#carry.length);
    this.#carry = '';
    return this.#result;
  }

  #emit(piece: string, entry: KeyEntry): void {
    this.#result.output.write(piece);
    this.#result.familyEnds.set(entry.family, this.#result.output.length);
  }

  #translate(text: string, limit: number): void {
    let nextExporter = text.indexOf('prometheus-exporter');
    let nextPrefix = text.indexOf(KEY_PREFIX);
    let run: Run | undefined;
    const flush = () => {
      if (!run) return;
      this.#emit(translateRun(text.slice(run.start, run.end), run), run.entry);
      run = undefined;
    };
    let start = 0;
    while (start < limit) {
      const newline = text.indexOf('\n', start);
      const end = newline < 0 || newline >= limit ? limit : newline + 1;
      if (nextExporter >= 0 && nextExporter < start) nextExporter = text.indexOf('prometheus-exporter', start);
      if (nextPrefix >= 0 && nextPrefix < start) nextPrefix = text.indexOf(KEY_PREFIX, start);
      if (nextExporter >= 0 && nextExporter < end) {
        flush();
        start = end;
        continue;
      }
      // A sample whose only `haproxy_` opens the line: its key is the run's if it starts with it.
      let single = false;
      if (nextPrefix === start) {
        nextPrefix = text.indexOf(KEY_PREFIX, start + 1);
        single = nextPrefix < 0 || nextPrefix >= end;
      }
      if (run && single && text.startsWith(run.prefix, start) && continuesRun(text, start, end, run)) {
        run.end = end;
        start = end;
        continue;
      }
      flush();
      const line = text.slice(start, end);
      const found = firstKey(line);
      if (!found) {
        this.#result.rejected += 1;
        this.#onRejected?.(line);
      } else {
        const translated = applyKey(line, found[0], found[1]);
        if (!isValidExpositionLine(translated)) this.#result.invalid.push(translated);
        else if (single && found[0].endsWith('{') && line.startsWith(found[0])) run = startRun(line, found[0], found[1], start, end);
        else this.#emit(translated, found[1]);
      }
      start = end;
    }
    flush();
  }
}

/**
 * Consecutive samples of one family. When every line of the run has the first label rewrite
 * right after the key and nowhere else (`proxy=` in haproxy's output), key and label are
 * replaced in one pass: each pass over a run costs as much as the run is long.
 */
interface Run {
  key: string;
  entry: KeyEntry;
  /** What every line starts with: the key, or the key and the first rewritten label. */
  prefix: string;
  /** The first rewrite is part of `prefix` (and occurs nowhere else in the run). */
  combined: boolean;
  start: number;
  end: number;
}

function startRun(line: string, key: string, entry: KeyEntry, start: number, end: number): Run {
  const first = entry.labelRewrites[0]?.[0];
  const combined = first !== undefined && line.startsWith(key + first) && !line.includes(first, key.length + first.length);
  return { key, entry, prefix: combined ? key + first : key, combined, start, end };
}

function continuesRun(text: string, start: number, end: number, run: Run): boolean {
  if (!looksLikeSample(text, end, start + run.key.length)) return false;
  if (!run.combined) return true;
  const again = text.indexOf(run.entry.labelRewrites[0]![0], start + run.prefix.length);
  return again < 0 || again >= end;
}

function translateRun(text: string, run: Run): string {
  if (!run.combined) return applyKey(text, run.key, run.entry);
  const [[, firstTo], ...others] = run.entry.labelRewrites as [readonly [string, string], ...(readonly [string, string])[]];
  let translated = text.replaceAll(run.prefix, run.entry.replacement + firstTo);
  for (const [from, to] of others) translated = translated.replaceAll(from, to);
  return translated;
}

/** Translates a whole exporter body at once. */
export function translateExposition(text: string, onRejected?: (line: string) => void): TranslationResult {
  const translator = new ExpositionTranslator(onRejected);
  translator.push(text);
  return translator.end();
}
