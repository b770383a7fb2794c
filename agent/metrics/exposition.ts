/**
 * Writing metric families in Prometheus' text format (0.0.4), and adding them to translated
 * haproxy output without splitting a family: Prometheus wants each name's HELP, TYPE and
 * samples together, once.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricSample {
  /** Appended to the family name: `_bucket`, `_sum`, `_count` of histograms and summaries. */
  suffix?: string;
  labels: Readonly<Record<string, string>>;
  value: number | bigint;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
}

function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function sampleLine(name: string, sample: MetricSample): string {
  const labels = Object.entries(sample.labels);
  const labelText = labels.length === 0 ? '' : `{${labels.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(',')}}`;
  return `${name}${sample.suffix ?? ''}${labelText} ${formatValue(sample.value)}\n`;
}

export function renderFamily(family: MetricFamily): string {
  if (family.samples.length === 0) return '';
  const help = family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  return `# HELP ${family.name} ${help}\n# TYPE ${family.name} ${family.type}\n${family.samples.map((sample) => sampleLine(family.name, sample)).join('')}`;
}

export function renderFamilies(families: readonly MetricFamily[]): string {
  return families.map(renderFamily).join('');
}

/**
 * Translated haproxy output (with the byte offset just after each family's last line) plus
 * `families`, as the segments of one answer: samples of a family haproxy already has go right
 * after its last line; other families follow at the end, whole. The big segments are views of
 * `translated`, not copies.
 */
export function mergeFamilies(translated: Buffer, familyEnds: ReadonlyMap<string, number>, families: readonly MetricFamily[]): Buffer[] {
  const insertAt = new Map<number, string[]>();
  const trailing: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    const end = familyEnds.get(family.name);
    if (end === undefined) {
      trailing.push(renderFamily(family));
      continue;
    }
    const lines = family.samples.map((sample) => sampleLine(family.name, sample));
    insertAt.set(end, [...(insertAt.get(end) ?? []), ...lines]);
  }
  const segments: Buffer[] = [];
  let start = 0;
  for (const offset of [...insertAt.keys()].sort((a, b) => a - b)) {
    segments.push(translated.subarray(start, offset), Buffer.from(insertAt.get(offset)!.join(''), 'utf8'));
    start = offset;
  }
  segments.push(translated.subarray(start));
  if (trailing.length > 0) segments.push(Buffer.from(trailing.join(''), 'utf8'));
  return segments;
}
