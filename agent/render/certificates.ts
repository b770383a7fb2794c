import { join } from 'node:path';
import type { RenderContext } from './context.ts';
import { isFileReference, secretFileName } from '../model/rules.ts';
import type { LoadBalancerModel, PemSecret, TlsContainer } from '../model/types.ts';

/**
 * The certificate files a rendered haproxy.cfg refers to (config-rendering.md §2.11): inline TLS
 * material written as `<sha1(certificate)>.pem`, inline CA/CRL bundles as `<sha1(pem)>.pem`,
 * and one crt-list per TLS listener (default certificate first, then SNI). File references
 * name files already uploaded to the load balancer's certificate folder and produce nothing.
 */
export interface CertificateFile {
  path: string;
  mode: number;
  content: string;
}

function materialContent(container: Exclude<TlsContainer, { file: string }>): string {
  const parts = [container.certificate, container.private_key, ...container.intermediates].map((p) => p.trim());
  return `${parts.join('\n')}\n`;
}

export function certificateFiles(model: LoadBalancerModel, ctx: RenderContext): CertificateFile[] {
  const lb = model.loadbalancer;
  const dir = join(ctx.baseCertDir, lb.id);
  const files = new Map<string, CertificateFile>();
  const add = (secret: TlsContainer | PemSecret | null) => {
    if (secret === null || isFileReference(secret)) return;
    const path = join(dir, secretFileName(secret));
    files.set(path, { path, mode: 0o600, content: typeof secret === 'string' ? secret : materialContent(secret) });
  };
  for (const listener of lb.listeners) {
    if (listener.protocol !== 'TERMINATED_HTTPS' && listener.protocol !== 'PROMETHEUS') continue;
    add(listener.default_tls_container);
    listener.sni_containers.forEach(add);
    add(listener.client_ca_tls_container);
    add(listener.client_crl_container);
    if (listener.default_tls_container !== null) {
      const entries = [listener.default_tls_container, ...listener.sni_containers].map((c) => join(dir, secretFileName(c)));
      const path = join(dir, `${listener.id}.pem`);
      files.set(path, { path, mode: 0o600, content: `${[...new Set(entries)].join('\n')}\n` });
    }
  }
  for (const pool of lb.pools) {
    if (!pool.tls_enabled) continue;
    add(pool.tls_container);
    add(pool.ca_tls_container);
    add(pool.crl_container);
  }
  return [...files.values()];
}
