import type { X509Certificate } from 'node:crypto';
import type { AgentContext } from '../context.ts';
import { appError } from '../domain/refusal.ts';
import { ClientCaError, ClientCaLockoutError, replaceClientCa, type ClientCaUpload } from '../certs/client-ca.ts';
import { PemBundleError } from '../certs/pem-bundle.ts';
import { replaceServerCertificate } from '../certs/server-certificate.ts';

/** Swaps the TLS context of the running server to the files on disk. */
export type TlsReload = () => Promise<void>;

/** `PUT /1.0/certificate`: the agent's own certificate and key, then a TLS context swap. */
export async function uploadServerCertificate(context: AgentContext, pem: Buffer, reloadTls: TlsReload): Promise<void> {
  await context.locks.run('server-cert', async () => {
    try {
      await replaceServerCertificate(context.config.current.amphora_agent.agent_server_cert, pem);
    } catch (error) {
      if (error instanceof PemBundleError) throw appError(400, 'Invalid request', error.message, { cause: error });
      throw error;
    }
    await reloadTls();
  });
}

/** `PUT /1.0/client-ca`: the client CA bundle, refused if it would lock out its own uploader. */
export async function uploadClientCa(context: AgentContext, pem: Buffer, upload: ClientCaUpload, reloadTls: TlsReload): Promise<X509Certificate[]> {
  return context.locks.run('client-ca', async () => {
    let bundle: X509Certificate[];
    try {
      bundle = await replaceClientCa(context.config.current.amphora_agent.agent_server_ca, pem, upload);
    } catch (error) {
      if (error instanceof ClientCaError) throw appError(400, 'Invalid request', error.message, { cause: error });
      if (error instanceof ClientCaLockoutError) throw appError(409, 'Refused: the client CA would lock out this client', error.message, { cause: error });
      throw error;
    }
    await reloadTls();
    return bundle;
  });
}
