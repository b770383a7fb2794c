/**
 * Writing metric families in Prometheus' text format (0.0.4), and adding them to translated
 * haproxy output without splitting a family: Prometheus wants each name's HELP, TYPE and
 * samples together, once.
 */

export type MetricType = 'counter' | 'gauge';

export interface MetricSample {
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
  return `${name}${labelText} ${formatValue(sample.value)}\n`;
}

export function renderFamily(family: MetricFamily): string {
  if (family.samples.length === 0) return '';
  const help = family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  return `# HELP ${family.name} ${help}\n# TYPE ${family.name} ${family.type}\n${family.samples.map((sample) => sampleLine(family.name, sample)).join('')}`;
}

export function renderFamilies(families: readonly MetricFamily[]): string {
  return families.map(renderFamily).join('');
}

/** The metric name a line is about: the sample's name, or the name a HELP/TYPE line documents. */
function familyOf(line: string): string | undefined {
  if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
    const end = line.indexOf(' ', 7);
    return line.slice(7, end < 0 ? undefined : end);
  }
  if (line.startsWith('#')) return undefined;
  const match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/u.exec(line);
  return match?.[0];
}

/**
 * `lines` (translated haproxy output) plus `families`: samples of a family haproxy already has
 * go right after its last line; other families follow at the end, whole.
 */
export function mergeFamilies(lines: readonly string[], families: readonly MetricFamily[]): string[] {
  const wanted = new Map(families.filter((family) => family.samples.length > 0).map((family) => [family.name, family]));
  if (wanted.size === 0) return [...lines];
  const lastLine = new Map<string, number>();
  lines.forEach((line, index) => {
    const name = familyOf(line);
    if (name !== undefined && wanted.has(name)) lastLine.set(name, index);
  });
  const insertAfter = new Map<number, string>();
  for (const [name, index] of lastLine) {
    const family = wanted.get(name)!;
    insertAfter.set(index, (insertAfter.get(index) ?? '') + family.samples.map((sample) => sampleLine(name, sample)).join(''));
  }
  const merged: string[] = [];
  lines.forEach((line, index) => {
    merged.push(line);
    const extra = insertAfter.get(index);
    if (extra !== undefined) merged.push(extra);
  });
  for (const [name, family] of wanted) if (!lastLine.has(name)) merged.push(renderFamily(family));
  return merged;
}
