import { join, resolve } from 'node:path';
import { parseConfigText } from '../config/load.ts';
import { DEV_PORT } from '../dev-mode.ts';
import type { OptionReader } from './args.ts';
import { CliError } from './errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { existsSync, readFileSync } = nodeFs;

export interface Connection {
  url: URL;
  /** PEM holding the client certificate and its key. */
  cert: string;
  cacert: string;
  /** Name checked in the agent's certificate; the URL's host unless given. */
  serverName: string | undefined;
}

export const CONNECTION_OPTIONS = ['url', 'cert', 'cacert', 'server-name', 'state-dir'] as const;

/**
 * Where the agent is and how to prove who we are: `--url`/`--cert`/`--cacert` (and
 * `--server-name`), else AMPHORACTL_URL/AMPHORACTL_CERT/AMPHORACTL_CACERT/AMPHORACTL_SERVER_NAME,
 * else the files of a dev-mode state folder (`--state-dir`, default ./.state) when present:
 * its pki/client.pem and pki/ca.pem, and the bind address of its generated config.
 */
export function resolveConnection(options: OptionReader, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Connection {
  const stateDir = resolve(cwd, options.string('state-dir') ?? '.state');
  const dev = devDefaults(stateDir);
  const url = options.string('url') ?? env.AMPHORACTL_URL ?? dev.url;
  const cert = options.string('cert') ?? env.AMPHORACTL_CERT ?? dev.cert;
  const cacert = options.string('cacert') ?? env.AMPHORACTL_CACERT ?? dev.cacert;
  const serverName = options.string('server-name') ?? env.AMPHORACTL_SERVER_NAME;
  if (url === undefined) throw new CliError('no agent given: use --url or AMPHORACTL_URL');
  if (cert === undefined) throw new CliError('no client certificate given: use --cert or AMPHORACTL_CERT');
  if (cacert === undefined) throw new CliError('no CA certificate given: use --cacert or AMPHORACTL_CACERT');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`invalid agent URL: ${url}`);
  }
  if (parsed.protocol !== 'https:') throw new CliError(`the agent URL must be https: ${url}`);
  return { url: parsed, cert, cacert, serverName };
}

function devDefaults(stateDir: string): { url?: string; cert?: string; cacert?: string } {
  const cert = join(stateDir, 'pki', 'client.pem');
  const cacert = join(stateDir, 'pki', 'ca.pem');
  if (!existsSync(cert) || !existsSync(cacert)) return {};
  let host = '127.0.0.1';
  let port = DEV_PORT;
  const configFile = join(stateDir, 'amphora-agent.conf');
  if (existsSync(configFile)) {
    const config = parseConfigText(readFileSync(configFile, 'utf8'), configFile);
    const bound = config.haproxy_amphora.bind_host;
    if (bound && bound !== '::' && bound !== '0.0.0.0') host = bound;
    port = config.haproxy_amphora.bind_port || port;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { url: `https://${hostPart}:${port}`, cert, cacert };
}
