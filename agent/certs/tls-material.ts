import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { splitPemBundle } from './pem-bundle.ts';
import type { AgentConfig } from '../config/options.ts';
import { ConfigError } from '../config/load.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * The reference accepts TLS 1.2 and 1.3 whatever `agent_tls_protocol` says below 1.2 (and the
 * control plane pins exactly 1.2), so those values mean "at least 1.2". SSLv3 never worked.
 */
export function minimumTlsVersion(protocol: AgentConfig['amphora_agent']['agent_tls_protocol']): SecureVersion {
  switch (protocol) {
    case 'TLSv1.3':
      return 'TLSv1.3';
    case 'TLSv1':
    case 'TLSv1.1':
    case 'TLSv1.2':
      return 'TLSv1.2';
    case 'SSLv3':
      throw new ConfigError('invalid value for [amphora_agent] agent_tls_protocol = "SSLv3": SSLv3 is not supported');
  }
}

/** Server certificate, key and the client CA, read from the configured files. */
export async function loadSecureContextOptions(config: AgentConfig): Promise<SecureContextOptions> {
  const [bundleText, ca] = await Promise.all([
    readFile(config.amphora_agent.agent_server_cert, 'utf8'),
    readFile(config.amphora_agent.agent_server_ca, 'utf8'),
  ]);
  const bundle = splitPemBundle(bundleText);
  return {
    cert: [bundle.certificate, ...bundle.chain].join('\n'),
    key: bundle.privateKey,
    ca,
  };
}

/**
 * Proves the configured TLS material can serve: both files readable, the certificate matching
 * its key, the CA bundle parseable. Start-up and `PUT /1.0/config` run the same check, so an
 * accepted configuration never stops the next start.
 */
export async function checkTlsMaterial(config: AgentConfig): Promise<void> {
  const minVersion = minimumTlsVersion(config.amphora_agent.agent_tls_protocol);
  let options: SecureContextOptions;
  try {
    options = await loadSecureContextOptions(config);
  } catch (error) {
    throw new ConfigError(`cannot read the agent's TLS material: ${errorMessage(error)}`);
  }
  try {
    createSecureContext({ ...options, minVersion });
  } catch (error) {
    const { agent_server_cert: cert, agent_server_ca: ca } = config.amphora_agent;
    throw new ConfigError(`unusable TLS material (${cert}, ${ca}): ${errorMessage(error)}`);
  }
}
