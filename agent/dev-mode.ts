import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writePki } from './certs/dev-pki.ts';
import { writeFileAtomic } from './util/atomic-file.ts';
import { nodeFs } from './util/builtins.ts';

const { existsSync } = nodeFs;

export const DEV_PORT = 9443;
export const DEV_HEARTBEAT_PORT = 5555;

export interface DevSetup {
  configFile: string;
  stateDir: string;
  clientPem: string;
  caPem: string;
  port: number;
}

/**
 * Embedded defaults for running without a config file: everything lives in one state folder
 * (a dev PKI, a generated config, haproxy state), haproxy runs in the agent's own network
 * namespace under the agent's supervision, and heartbeats go to a local port. The generated
 * config is an ordinary file, so PUT /1.0/config works here as on an amphora. Created once,
 * reused on later starts.
 */
export async function prepareDevMode(stateDirectory: string): Promise<DevSetup> {
  const stateDir = resolve(stateDirectory);
  const configFile = join(stateDir, 'amphora-agent.conf');
  const pkiDir = join(stateDir, 'pki');
  const setup: DevSetup = {
    configFile,
    stateDir,
    clientPem: join(pkiDir, 'client.pem'),
    caPem: join(pkiDir, 'ca.pem'),
    port: DEV_PORT,
  };
  if (existsSync(configFile)) return setup;

  await mkdir(join(stateDir, 'lib', 'certs'), { recursive: true, mode: 0o700 });
  await mkdir(join(stateDir, 'interfaces'), { recursive: true });
  await mkdir(join(stateDir, 'systemd'), { recursive: true });
  const amphoraId = randomUUID();
  await writePki(pkiDir, { serverNames: ['localhost', amphoraId], serverAddresses: ['127.0.0.1', '::1'] });
  const config = [
    '# Generated for development: amphora-agent started without a configuration file.',
    '[DEFAULT]',
    'debug = false',
    '',
    '[haproxy_amphora]',
    `base_path = ${join(stateDir, 'lib')}`,
    `base_cert_dir = ${join(stateDir, 'lib', 'certs')}`,
    'bind_host = 127.0.0.1',
    `bind_port = ${DEV_PORT}`,
    'haproxy_cmd = /usr/sbin/haproxy',
    '',
    '[amphora_agent]',
    `amphora_id = ${amphoraId}`,
    `agent_server_cert = ${join(pkiDir, 'server.pem')}`,
    `agent_server_ca = ${join(pkiDir, 'ca.pem')}`,
    `agent_server_network_dir = ${join(stateDir, 'interfaces')}`,
    `systemd_unit_dir = ${join(stateDir, 'systemd')}`,
    'process_manager = direct',
    'network_namespace =',
    '',
    '[health_manager]',
    `controller_ip_port_list = 127.0.0.1:${DEV_HEARTBEAT_PORT}`,
    'heartbeat_interval = 5',
    `heartbeat_key = ${randomBytes(16).toString('hex')}`,
    '',
    '[controller_worker]',
    'loadbalancer_topology = SINGLE',
    '',
  ].join('\n');
  await writeFileAtomic(configFile, config, { mode: 0o600 });
  return setup;
}
