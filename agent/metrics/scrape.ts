import { mergeFamilies, type MetricFamily } from './exposition.ts';
import { ByteSink } from './byte-sink.ts';
import { ExpositionTranslator } from './haproxy-translation.ts';
import { hostUsageLines, readHostUsage, type HostUsage } from './host-usage.ts';
import { streamExporter, type ExporterEndpoint, type ExporterFailure } from './upstream.ts';

/** Metrics the proxy appends after haproxy's (UDP/SCTP listeners, the agent's own). */
export type MetricsSection = () => Promise<MetricFamily[]>;

export interface ScrapeSources {
  exporter: ExporterEndpoint;
  hostUsage?: () => Promise<HostUsage>;
  sections?: readonly MetricsSection[];
  /** Called with each upstream line no family matched (`--rejected`). */
  onRejected?: (line: string) => void;
  /** Called with translated lines dropped as invalid syntax. */
  onInvalid?: (lines: readonly string[]) => void;
}

/** `body`: the answer's segments, in order (views of the sink's bytes among them). */
export type ScrapeResult = { ok: true; body: Buffer[] } | { ok: false; failure: ExporterFailure; detail: string };

/**
 * One answer: the CPU and memory lines, haproxy's metrics under Octavia's names, then the
 * extra sections' families (samples of a family haproxy also has join it). Without haproxy's
 * metrics there is no answer (as Octavia); a failing extra section is left out rather than
 * failing the scrape. haproxy's answer is translated while it streams in.
 */
export async function scrapeOnce(sources: ScrapeSources, output = new ByteSink()): Promise<ScrapeResult> {
  output.reset();
  const translator = new ExpositionTranslator(sources.onRejected, output);
  const [usage, upstream, sections] = await Promise.all([
    (sources.hostUsage ?? readHostUsage)(),
    streamExporter(sources.exporter, (text) => translator.push(text)),
    Promise.all((sources.sections ?? []).map((section) => section().catch((): MetricFamily[] => []))),
  ]);
  if (!upstream.ok) return upstream;
  const translated = translator.end();
  if (translated.invalid.length > 0) sources.onInvalid?.(translated.invalid);
  const segments = mergeFamilies(translated.output.view(), translated.familyEnds, sections.flat());
  return { ok: true, body: [Buffer.from(hostUsageLines(usage), 'utf8'), ...segments] };
}
