import { readFileSync } from 'node:fs';
import type { OptionReader } from './args.ts';
import type { Session } from './commands.ts';
import { CliError } from './errors.ts';
import type { Row } from './output.ts';
import { errorMessage } from '../util/errors.ts';

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
export const TRUST_FLAGS = ['force'];

type Action = (session: Session) => Promise<void>;

function onlyArguments(args: string[], names: string[]): string[] {
  if (args.length < names.length) throw new CliError(`the following arguments are required: ${names.slice(args.length).join(', ')}`);
  if (args.length > names.length) throw new CliError(`unrecognized arguments: ${args.slice(names.length).join(' ')}`);
  return args;
}

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

export const trustCommands: Record<string, (args: string[], options: OptionReader) => Action> = {
  show: (args) => {
    onlyArguments(args, []);
    return async (session) => {
      const trust = (await session.client.trust()) as TrustAnswer;
      session.list(TRUST_COLUMNS, [
        ...trust.client_ca.map((ca) => row('client_ca', ca)),
        row('server_certificate', trust.server_certificate),
      ]);
    };
  },
  'set-client-ca': (args, options) => {
    const [file] = onlyArguments(args, ['FILE']);
    const force = options.flag('force');
    return async (session) => {
      await session.client.putClientCa(readPem(file!), force);
    };
  },
  'set-server-cert': (args) => {
    const [file] = onlyArguments(args, ['FILE']);
    return async (session) => {
      await session.client.putServerCertificate(readPem(file!));
    };
  },
};
