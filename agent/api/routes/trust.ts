import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Router, type ApiRequest } from '../router.ts';
import type { AgentContext } from '../../context.ts';
import { uploadClientCa, type TlsReload } from '../../admin/agent-certificate-service.ts';
import { readTrust } from '../../certs/trust.ts';
import { readBody } from '../request-body.ts';
import { sendJson } from '../respond.ts';

const CLIENT_CA_BODY_LIMIT = 1024 * 1024;

/** The client's certificate chain as it was verified at the handshake, leaf first. */
function presentedChain(request: ApiRequest): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current = (request.socket as TLSSocket).getPeerCertificate(true);
  const seen = new Set<string>();
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

function forceRequested(request: ApiRequest): boolean {
  const value = request.query.get('force');
  return value !== null && ['true', '1', 'yes'].includes(value.toLowerCase());
}

/** Extension routes: the client CA bundle and what the agent trusts and presents. */
export function trustRouter(context: AgentContext, reloadTlsMaterial: TlsReload): Router {
  const router = new Router();

  router.get('/1.0/trust', async (_request, response) => {
    sendJson(response, 200, await readTrust(context.config.current));
  });

  router.put('/1.0/client-ca', async (request, response) => {
    const body = await readBody(request, CLIENT_CA_BODY_LIMIT);
    const force = forceRequested(request);
    const installed = await uploadClientCa(context, body, { presentedChain: presentedChain(request), force }, reloadTlsMaterial);
    request.log.info({ force, fingerprints: installed.map((ca) => ca.fingerprint256) }, 'client CA bundle replaced');
    sendJson(response, 202, { message: 'OK' });
  });

  return router;
}
