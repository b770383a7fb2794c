import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AgentContext } from '../context.ts';
import type { AgentConfig } from '../config/options.ts';
import { splitPemBundle } from './pem-bundle.ts';
import { oneLineSubject, readBundleCertificates } from './client-ca.ts';
import { errorMessage } from '../util/errors.ts';
import { isoUtc } from '../util/utc-time.ts';

/** One certificate as an operator sees it; never any key material. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  fingerprint_sha256: string;
  not_before: string;
  not_after: string;
}

/** `GET /1.0/trust`: whom the agent accepts as clients, and what it presents itself. */
export interface TrustState {
  client_ca: CertificateFacts[];
  server_certificate: CertificateFacts;
}

/** A certificate's expiry, as a metrics exporter or the expiry warning reads it. */
export interface CertificateExpiry {
  role: 'client_ca' | 'server_certificate';
  subject: string;
  fingerprint_sha256: string;
  not_after: string;
  /** Unix seconds, the unit of a Prometheus `*_expiry_timestamp_seconds` gauge. */
  not_after_seconds: number;
}

const DAY_MS = 86_400_000;
/** How often the expiry warning is re-checked (certificates are replaced on disk behind us too). */
const WARNING_CHECK_INTERVAL_MS = 6 * 3_600_000;

function facts(certificate: X509Certificate): CertificateFacts {
  return {
    subject: oneLineSubject(certificate),
    issuer: certificate.issuer.split('\n').join(', '),
    fingerprint_sha256: certificate.fingerprint256,
    not_before: isoUtc(certificate.validFromDate.getTime()),
    not_after: isoUtc(certificate.validToDate.getTime()),
  };
}

/** Reads the configured client CA bundle and server certificate (only the certificate part). */
export async function readTrust(config: AgentConfig): Promise<TrustState> {
  const [caText, serverText] = await Promise.all([
    readFile(config.amphora_agent.agent_server_ca, 'utf8'),
    readFile(config.amphora_agent.agent_server_cert, 'utf8'),
  ]);
  return {
    client_ca: readBundleCertificates(caText).map(facts),
    server_certificate: facts(new X509Certificate(splitPemBundle(serverText).certificate)),
  };
}

/**
 * The expiry time of every certificate the agent's trust depends on. The one place a metrics
 * module reads them from (`amphora_certificate_expiry_timestamp_seconds{role,fingerprint}`).
 */
export async function certificateExpiries(config: AgentConfig): Promise<CertificateExpiry[]> {
  const trust = await readTrust(config);
  const entry = (role: CertificateExpiry['role'], certificate: CertificateFacts): CertificateExpiry => ({
    role,
    subject: certificate.subject,
    fingerprint_sha256: certificate.fingerprint_sha256,
    not_after: certificate.not_after,
    not_after_seconds: Math.floor(Date.parse(certificate.not_after) / 1000),
  });
  return [...trust.client_ca.map((ca) => entry('client_ca', ca)), entry('server_certificate', trust.server_certificate)];
}

export interface ExpiringCertificate extends CertificateExpiry {
  days_left: number;
}

/** Those expiring within `warningDays` (already expired ones too, with negative days); none for 0. */
export function expiringWithin(expiries: readonly CertificateExpiry[], warningDays: number, now = Date.now()): ExpiringCertificate[] {
  if (warningDays <= 0) return [];
  return expiries
    .map((expiry) => ({ ...expiry, days_left: Math.floor((expiry.not_after_seconds * 1000 - now) / DAY_MS) }))
    .filter((expiry) => expiry.not_after_seconds * 1000 - now <= warningDays * DAY_MS);
}

/**
 * Extension fields of `GET /1.0/details`. A file that cannot be read shows as an error string
 * instead of failing the whole answer: the control plane polls details.
 */
export async function certificateExpiryDetails(config: AgentConfig): Promise<Record<string, unknown>> {
  const warningDays = config.amphora_agent.certificate_expiry_warning_days;
  try {
    const expiries = await certificateExpiries(config);
    return {
      certificate_expiry_warning_days: warningDays,
      certificates_expiring: expiringWithin(expiries, warningDays),
    };
  } catch (error) {
    return { certificate_expiry_warning_days: warningDays, certificates_expiring: null, certificates_error: errorMessage(error) };
  }
}

/** Logs one warning per certificate inside the warning window, now and every few hours. */
export function startExpiryWarnings(context: AgentContext): { stop(): void } {
  const check = async () => {
    const config = context.config.current;
    try {
      for (const expiring of expiringWithin(await certificateExpiries(config), config.amphora_agent.certificate_expiry_warning_days)) {
        context.logger.warn(
          { role: expiring.role, subject: expiring.subject, fingerprint_sha256: expiring.fingerprint_sha256, not_after: expiring.not_after, days_left: expiring.days_left },
          expiring.days_left < 0 ? 'certificate has expired' : 'certificate expires soon',
        );
      }
    } catch (error) {
      context.logger.error({ err: errorMessage(error) }, 'cannot read the certificates to check their expiry');
    }
  };
  void check();
  const timer = setInterval(() => void check(), WARNING_CHECK_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
