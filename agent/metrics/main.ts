#!/usr/bin/env -S node --disable-sigusr1 --max-semi-space-size=1 --lite-mode
// The `prometheus-proxy` executable: the image's prometheus-proxy unit runs it (the systemd
// process manager); with the direct process manager the agent serves the same endpoint itself.
import { buildConfig, defaultConfigSources, readSources } from '../config/load.ts';
import { pathsFor } from '../config/paths.ts';
import { MetricsProxy, OCTAVIA_PROXY_ADDRESS } from './proxy-server.ts';
import { OCTAVIA_EXPORTER } from './upstream.ts';
import { lvsMetricsSection } from './lvs-metrics.ts';
import { nodeUtil } from '../util/builtins.ts';

const { parseArgs } = nodeUtil;

const HELP = `Usage: prometheus-proxy [--rejected] [--config-file FILE]... [--port PORT]

Serves Octavia's metrics on 127.0.0.1:9102 inside the amphora's network namespace (the agent's
[amphora_agent] network_namespace, amphora-haproxy by default): haproxy's built-in exporter
translated to Octavia's names, CPU and memory, and UDP/SCTP listeners from IPVS.

  --rejected          print every upstream line that is not translated (REJECTED: <line>)
  --config-file FILE  the agent's configuration (default: oslo's search, /etc/octavia/...)
  --port PORT         listen port (default 9102)
`;

function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        rejected: { type: 'boolean' },
        'config-file': { type: 'string', multiple: true, default: [] },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`prometheus-proxy: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const files = values['config-file'];
  const config = buildConfig(readSources(files.length > 0 ? { files, directories: [] } : defaultConfigSources()));
  const namespace = config.amphora_agent.network_namespace;
  const port = values.port === undefined ? OCTAVIA_PROXY_ADDRESS.port : Number(values.port);
  const log = (level: string) => (fields: object, message?: string) => {
    process.stdout.write(`${level}: ${message ?? ''} ${JSON.stringify(fields)}\n`);
  };
  const proxy = new MetricsProxy({
    namespace,
    listen: { address: OCTAVIA_PROXY_ADDRESS.address, port },
    sources: {
      exporter: { ...OCTAVIA_EXPORTER, namespace },
      sections: [lvsMetricsSection({ paths: pathsFor(config), namespace })],
      ...(values.rejected ? { onRejected: (line: string) => process.stdout.write(`REJECTED: ${line}`) } : {}),
      onInvalid: (lines) => process.stdout.write(`dropped ${lines.length} unparsable upstream lines\n`),
    },
    logger: { info: log('info'), warn: log('warning'), error: log('error'), debug: () => {} },
  });
  proxy.start();
  void proxy.ready().then(() => process.stdout.write(`Now serving on port ${port}\n`));
  const stop = () => void proxy.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return -1;
}

try {
  const code = main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (error) {
  process.stderr.write(`prometheus-proxy: cannot start: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
