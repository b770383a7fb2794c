import { defaultConfigSources, readSources, buildConfig, type ConfigSources } from './config/load.ts';
import { LiveConfig } from './config/live-config.ts';
import { pathsFor } from './config/paths.ts';
import type { DevSetup } from './dev-mode.ts';
import { checkStartable } from './admin/startup-checks.ts';
import { createApp } from './api/app.ts';
import { startApiServer, type ApiServer } from './api/server.ts';
import { buildRouters } from './api/routes/index.ts';
import { createLogger, type Logger } from './util/logger.ts';
import { KeyedMutex } from './util/keyed-mutex.ts';
import { removeStaleTemporaries } from './util/atomic-file.ts';
import { dirname } from 'node:path';
import { PackageVersions } from './info/package-versions.ts';
import { createAmphoraInfo } from './info/amphora-info.ts';
import type { AgentContext } from './context.ts';
import { createHaproxyService } from './haproxy/lifecycle.ts';
import { LvsListenerService } from './lvs/listener-service.ts';
import { createListenerCertificates } from './certs/listener-certificates.ts';
import { createHeartbeatSender } from './heartbeat/sender.ts';
import { PlugService } from './network/plug-service.ts';
import { createAddressAdvertiser } from './network/advertise.ts';
import { startExpiryWarnings } from './certs/trust.ts';
import { startAgentMetricsProxy } from './metrics/in-agent.ts';
import { AgentMetrics } from './metrics/agent-metrics.ts';
import { loadOnce } from './util/load-once.ts';
import { InterfaceService } from './network/interface-service.ts';
import { VrrpService } from './vrrp/service.ts';

export interface StartOptions {
  configFiles: string[];
  configDirs: string[];
  stateDir: string;
  debugOverride?: boolean;
}

export interface RunningAgent {
  context: AgentContext;
  api: ApiServer;
  stop(): Promise<void>;
}

/** Which files to read: the command line, else oslo's default search, else development mode. */
async function resolveSources(options: StartOptions): Promise<{ sources: ConfigSources; dev?: DevSetup }> {
  const defaults = defaultConfigSources();
  if (options.configFiles.length > 0) {
    return { sources: { files: options.configFiles, directories: options.configDirs.length > 0 ? options.configDirs : defaults.directories } };
  }
  if (defaults.files.length > 0) {
    return { sources: { files: defaults.files, directories: options.configDirs.length > 0 ? options.configDirs : defaults.directories } };
  }
  // Development mode only: it generates a PKI with node-forge, which production never loads.
  const { prepareDevMode } = await import('./dev-mode.ts');
  const dev = await prepareDevMode(options.stateDir);
  return { sources: { files: [dev.configFile], directories: options.configDirs }, dev };
}

export async function startAgent(options: StartOptions): Promise<RunningAgent> {
  const { sources, dev } = await resolveSources(options);
  const initial = buildConfig(readSources(sources));
  if (options.debugOverride !== undefined) initial.DEFAULT.debug = options.debugOverride;
  await checkStartable(initial);

  const logger: Logger = createLogger({ debug: initial.DEFAULT.debug });
  const config = new LiveConfig(initial, sources);
  config.on('change', (current) => {
    logger.level = current.DEFAULT.debug ? 'debug' : 'info';
  });
  const metrics = new AgentMetrics();
  const context: AgentContext = {
    config,
    get paths() {
      return pathsFor(config.current);
    },
    logger,
    locks: new KeyedMutex(),
    metrics,
  };

  const versions = new PackageVersions();
  const advertiseVips = createAddressAdvertiser(context);
  const vrrp = new VrrpService(context);
  const lvs = new LvsListenerService(context, { hooks: { advertiseVips, afterUploadActiveStandby: () => vrrp.afterLvsUpload() } });
  const haproxy = createHaproxyService(context, { lvs, hooks: { advertiseVips, ...vrrp.haproxyHooks() } });
  const info = createAmphoraInfo(context, versions, (lbId) => haproxy.listenerIds(lbId));
  const plug = new PlugService(context, advertiseVips);
  let api: ApiServer | undefined;
  const routers = buildRouters({
    context,
    info,
    haproxy,
    lvs,
    models: loadOnce(async () => new (await import('./apply/service.ts')).ModelService(context, haproxy, lvs, vrrp)),
    interfaces: new InterfaceService(context),
    listenerCertificates: createListenerCertificates(context),
    plug,
    vrrp,
    reloadTlsMaterial: async () => api?.reloadTlsMaterial(),
  });
  const paths = pathsFor(initial);
  const leftovers = [
    ...(await removeStaleTemporaries([paths.basePath, paths.certDir, paths.networkDir])),
    // A config file may sit in a shared folder such as /etc: only its own level is searched.
    ...(await removeStaleTemporaries(sources.files.map((file) => dirname(file)), 0)),
  ];
  if (leftovers.length > 0) logger.info({ files: leftovers }, 'removed temporary files left by an interrupted write');
  // Under systemd the amphora-netns unit rebuilds the namespace at boot; here the agent does.
  if (haproxy.processes.kind === 'direct') await plug.restoreAtStart();
  else await plug.writeLoFile();
  // Running haproxy and keepalived are adopted before the first request can act on them.
  await haproxy.start();
  await lvs.start();
  await vrrp.start();
  const heartbeat = createHeartbeatSender(context, {
    onWedged: ({ lbId, misses }) => void haproxy.restartWedged(lbId, misses),
    onBeat: (note) => metrics.heartbeat(note),
  });
  heartbeat.start();
  api = await startApiServer(initial, createApp(logger, routers, { onAnswered: metrics.apiRequest.bind(metrics) }), logger);
  const { address, port } = api.address();
  logger.info({ address, port, configFiles: sources.files }, 'amphora agent listening');
  if (dev) printDevBanner(dev, port);
  const expiryWarnings = startExpiryWarnings(context);
  const metricsProxy = startAgentMetricsProxy(context, metrics);

  const stop = async () => {
    expiryWarnings.stop();
    await metricsProxy?.close();
    await heartbeat.stop();
    await api.close();
    await haproxy.shutdown();
    await lvs.shutdown();
    await vrrp.shutdown();
    logger.flush();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping; haproxy and keepalived keep running');
    // In-flight requests get the reference's 30 s grace, then the process goes regardless.
    setTimeout(() => process.exit(0), 30_000).unref();
    stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // logrotate sends SIGUSR1 (Node would start its inspector); logs go to stdout, so there is
  // nothing to reopen. SIGHUP and SIGUSR2 must not kill the agent either.
  for (const signal of ['SIGUSR1', 'SIGHUP', 'SIGUSR2'] as const) {
    process.on(signal, () => logger.info({ signal }, 'signal ignored'));
  }
  return { context, api, stop };
}

function printDevBanner(dev: DevSetup, port: number): void {
  process.stdout.write(
    [
      '',
      `amphora-agent is running in development mode (state in ${dev.stateDir}).`,
      'Try it with the generated client certificate:',
      '',
      `  curl --cert ${dev.clientPem} --cacert ${dev.caPem} https://localhost:${port}/1.0/info`,
      '',
      '',
    ].join('\n'),
  );
}
