import { isFileReference, secretFileName } from '../model/rules.ts';
import type { LoadBalancerModel, TlsContainer } from '../model/types.ts';

/**
 * The model as the API shows it: every inline TLS container (certificate, private key,
 * intermediates) replaced by a reference to the file the apply wrote it to,
 * `{"file": "<sha1>.pem"}` in the load balancer's certificate folder. No private key leaves the
 * agent (the reference's certificate API only ever answers an MD5), and a model read back,
 * edited and applied again keeps serving the same certificates.
 */
export function withSecretReferences(model: LoadBalancerModel): LoadBalancerModel {
  const reference = (container: TlsContainer): TlsContainer => (isFileReference(container) ? container : { file: secretFileName(container) });
  const lb = model.loadbalancer;
  return {
    ...model,
    loadbalancer: {
      ...lb,
      listeners: lb.listeners.map((listener) => ({
        ...listener,
        default_tls_container: listener.default_tls_container === null ? null : reference(listener.default_tls_container),
        sni_containers: listener.sni_containers.map(reference),
      })),
      pools: lb.pools.map((pool) => ({ ...pool, tls_container: pool.tls_container === null ? null : reference(pool.tls_container) })),
    },
  };
}
