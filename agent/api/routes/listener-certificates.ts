import { Router } from '../router.ts';
import type { ListenerCertificates } from '../../certs/listener-certificates.ts';
import { readBody } from '../request-body.ts';
import { sendReply } from '../respond.ts';

/** Listener certificates, CA bundles, CRLs and crt-lists of one LB (§3.11). */
export function listenerCertificatesRouter(certificates: ListenerCertificates): Router {
  const router = new Router();
  const path = '/1.0/loadbalancer/:lb_id/certificates/:filename';

  router.put(path, async (request, response) => {
    const { lb_id: lbId, filename } = request.params;
    sendReply(response, await certificates.upload(lbId, filename, () => readBody(request)));
  });

  router.get(path, async (request, response) => {
    sendReply(response, await certificates.fingerprint(request.params.lb_id, request.params.filename));
  });

  router.delete(path, async (request, response) => {
    sendReply(response, await certificates.remove(request.params.lb_id, request.params.filename));
  });

  return router;
}
