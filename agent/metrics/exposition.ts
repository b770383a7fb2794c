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
 * Translated haproxy output (`pieces`, with the index of the last piece of each family) plus
 * `families`: samples of a family haproxy already has go right after its last piece; other
 * families follow at the end, whole.
 */
export function mergeFamilies(pieces: readonly Buffer[], familyEnds: ReadonlyMap<string, number>, families: readonly MetricFamily[]): Buffer[] {
  const insertAfter = new Map<number, string[]>();
  const trailing: Buffer[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    const end = familyEnds.get(family.name);
    if (end === undefined) {
      trailing.push(Buffer.from(renderFamily(family), 'utf8'));
      continue;
    }
    const lines = family.samples.map((sample) => sampleLine(family.name, sample));
    insertAfter.set(end, [...(insertAfter.get(end) ?? []), ...lines]);
  }
  if (insertAfter.size === 0) return [...pieces, ...trailing];
  const merged: Buffer[] = [];
  pieces.forEach((piece, index) => {
    merged.push(piece);
    const extra = insertAfter.get(index);
    if (extra) merged.push(Buffer.from(extra.join(''), 'utf8'));
  });
  return [...merged, ...trailing];
}
