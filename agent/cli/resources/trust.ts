import { positional, type CommandSet } from '../command-engine.ts';
import { CliError } from '../errors.ts';
import type { Row } from '../output.ts';
import { errorMessage } from '../../util/errors.ts';
import { nodeFs } from '../../util/builtins.ts';

const { readFileSync } = nodeFs;

/** `amphoractl trust ...`: the agent's client CA bundle and server certificate. */

interface CertificateFacts {
  subject: string;
  issuer: string;
  fingerprint_sha256: string;
  not_after: string;
}

interface TrustAnswer {
  client_ca: CertificateFacts[];
  server_certificate: CertificateFacts;
}

export const TRUST_COLUMNS = ['role', 'subject', 'fingerprint_sha256', 'not_after'] as const;

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${errorMessage(error)}`);
  }
}

function row(role: string, certificate: CertificateFacts): Row {
  return { role, subject: certificate.subject, fingerprint_sha256: certificate.fingerprint_sha256, not_after: certificate.not_after };
}

export const trustCommands: CommandSet = {
  name: 'trust',
  usage: `  trust show | set-client-ca FILE [--force] | set-server-cert FILE
`,
  flags: ['force'],
  commands: {
    show: (args) => {
      positional(args, []);
      return async (session) => {
        const trust = (await session.client.trust()) as TrustAnswer;
        session.list(TRUST_COLUMNS, [
          ...trust.client_ca.map((ca) => row('client_ca', ca)),
          row('server_certificate', trust.server_certificate),
        ]);
      };
    },
    'set-client-ca': (args, options) => {
      const [file] = positional(args, ['FILE']);
      const force = options.flag('force');
      return async (session) => {
        await session.client.putClientCa(readPem(file!), force);
      };
    },
    'set-server-cert': (args) => {
      const [file] = positional(args, ['FILE']);
      return async (session) => {
        await session.client.putServerCertificate(readPem(file!));
      };
    },
  },
};
