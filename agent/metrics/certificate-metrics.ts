import type { AgentConfig } from '../config/options.ts';
import { certificateExpiries } from '../certs/trust.ts';
import type { MetricFamily } from './exposition.ts';

/**
 * When each certificate the agent trusts or presents expires (client CAs, its server
 * certificate), read at every scrape so a rotation shows at once; an alert on
 * `amphora_agent_certificate_expiry_timestamp_seconds - time() < 14 * 86400` sees every
 * amphora that needs one. Files that cannot be read give no sample (the log says why).
 */
export async function certificateExpiryFamilies(config: AgentConfig): Promise<MetricFamily[]> {
  const expiries = await certificateExpiries(config).catch(() => []);
  if (expiries.length === 0) return [];
  return [
    {
      name: 'amphora_agent_certificate_expiry_timestamp_seconds',
      help: 'When a certificate the agent trusts (client_ca) or presents (server_certificate) expires, in Unix seconds.',
      type: 'gauge',
      samples: expiries.map((expiry) => ({
        labels: { role: expiry.role, subject: expiry.subject, fingerprint_sha256: expiry.fingerprint_sha256 },
        value: expiry.not_after_seconds,
      })),
    },
  ];
}
