import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { AgentConfig } from '../config/options.ts';
import type { Logger } from '../util/logger.ts';
import { loadSecureContextOptions, minimumTlsVersion } from '../certs/tls-material.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { watchFile, unwatchFile } = nodeFs;

export interface ApiServer {
  readonly server: Server;
  address(): AddressInfo;
  /** Re-reads certificate and CA; new connections use them, open ones keep theirs. */
  reloadTlsMaterial(): Promise<void>;
  close(): Promise<void>;
}

/** Reasonable caps on what a client may send before its handler runs (gunicorn's limits). */
const MAX_HEADER_BYTES = 16 * 1024;
/** A handshake takes milliseconds; a client that stalls in it only holds a file descriptor. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** The control plane opens a handful of connections; far more is a flood, refused at accept. */
const MAX_CONNECTIONS = 256;

/**
 * HTTPS with mandatory client certificates chained to agent_server_ca. A client without one,
 * or with one from another CA, or offering less than TLS 1.2, fails the handshake: no HTTP
 * answer is produced, as with the reference.
 */
export async function startApiServer(config: AgentConfig, app: RequestListener, logger: Logger): Promise<ApiServer> {
  const minVersion = minimumTlsVersion(config.amphora_agent.agent_tls_protocol);
  const material = await loadSecureContextOptions(config);
  const server = createServer(
    {
      ...material,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion,
      maxVersion: 'TLSv1.3',
      maxHeaderSize: MAX_HEADER_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    app,
  );
  server.maxConnections = MAX_CONNECTIONS;
  const timeoutMs = config.amphora_agent.agent_request_read_timeout * 1000;
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs === 0 ? 60_000 : Math.min(timeoutMs, 60_000);
  server.keepAliveTimeout = 5_000;
  server.on('tlsClientError', (error) => logger.debug({ err: error.message }, 'TLS handshake refused'));

  const reloadTlsMaterial = async () => {
    const next = await loadSecureContextOptions(config);
    createSecureContext({ ...next, minVersion }); // throws before anything is swapped
    // Only the context is swapped: client-certificate checking is the server's own setting,
    // fixed at creation (requestCert, rejectUnauthorized), and stays as it is.
    server.setSecureContext({ ...next, minVersion, maxVersion: 'TLSv1.3' });
    logger.info('TLS certificate reloaded');
  };

  // Files replaced behind our back (config drive, an operator) are picked up too; a bad file
  // leaves the last good context in service.
  const watched = [config.amphora_agent.agent_server_cert, config.amphora_agent.agent_server_ca];
  const onFileChange = () => {
    reloadTlsMaterial().catch((error: unknown) =>
      logger.error({ err: errorMessage(error) }, 'TLS files changed but cannot be used; keeping the previous ones'),
    );
  };
  for (const file of watched) watchFile(file, { interval: 1000, persistent: false }, onFileChange);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.haproxy_amphora.bind_host, port: config.haproxy_amphora.bind_port, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: () => server.address() as AddressInfo,
    reloadTlsMaterial,
    close: () =>
      new Promise<void>((resolve) => {
        for (const file of watched) unwatchFile(file, onFileChange);
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
