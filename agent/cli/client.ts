import { Agent, request } from 'node:https';
import type { LoadBalancerModel } from '../model/types.ts';
import type { Connection } from './connection.ts';
import { CliError } from './errors.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeFs } from '../util/builtins.ts';

const { readFileSync } = nodeFs;

/**
 * A model as amphoractl sends it: a stored model with one edit applied. New objects in it carry
 * only the fields the user gave (the agent validates the whole model and fills the defaults),
 * so it is typed as what the request needs, not as a complete LoadBalancerModel.
 */
export interface ModelUpload {
  loadbalancer: { id: string };
}

export interface ModelList {
  amphora_id: string;
  models: LoadBalancerModel[];
}

/** haproxy's live statuses of one LB, as `GET /1.0/loadbalancer/{lb_id}/status` answers. */
export interface LiveStatus {
  running: boolean;
  listeners: { id: string; status: string }[];
  pools: { id: string; listener_id: string; status: string; members: { id: string; status: string }[] }[];
}

const REQUEST_TIMEOUT_MS = 60_000;

/** The agent's API over mutual TLS; any answer but 2xx becomes a one-line CliError. */
export class AgentClient {
  readonly #connection: Connection;
  readonly #agent: Agent;

  constructor(connection: Connection) {
    this.#connection = connection;
    let cert: Buffer;
    let ca: Buffer;
    try {
      cert = readFileSync(connection.cert);
      ca = readFileSync(connection.cacert);
    } catch (error) {
      throw new CliError(`cannot read a certificate: ${errorMessage(error)}`);
    }
    this.#agent = new Agent({ cert, key: cert, ca, keepAlive: false });
  }

  listModels(): Promise<ModelList> {
    return this.#call('GET', '/1.0/models') as Promise<ModelList>;
  }

  async putModel(amphoraId: string, model: ModelUpload): Promise<void> {
    const path = `/1.0/loadbalancer/${encodeURIComponent(amphoraId)}/${encodeURIComponent(model.loadbalancer.id)}/model`;
    await this.#call('PUT', path, JSON.stringify(model));
  }

  /** The interface holding `ip` in the amphora's namespace (`GET /1.0/interface/{ip}`). */
  async interfaceOf(ip: string): Promise<string> {
    const answer = (await this.#call('GET', `/1.0/interface/${encodeURIComponent(ip)}`)) as { interface: string };
    return answer.interface;
  }

  liveStatus(lbId: string): Promise<LiveStatus> {
    return this.#call('GET', `/1.0/loadbalancer/${encodeURIComponent(lbId)}/status`) as Promise<LiveStatus>;
  }

  /** Listener statistics of one LB (`GET /1.0/loadbalancer/{lb}/stats`, an extension). */
  stats(lbId: string): Promise<unknown> {
    return this.#call('GET', `/1.0/loadbalancer/${encodeURIComponent(lbId)}/stats`);
  }

  /** Stops haproxy and removes the LB (the reference's `DELETE /1.0/listeners/{id}`). */
  async deleteLoadBalancer(lbId: string): Promise<void> {
    await this.#call('DELETE', `/1.0/listeners/${encodeURIComponent(lbId)}`);
  }

  /** Stops and removes a UDP/SCTP listener's keepalived (the same route, with its id). */
  async deleteLvsListener(listenerId: string): Promise<void> {
    await this.#call('DELETE', `/1.0/listeners/${encodeURIComponent(listenerId)}`);
  }

  /** Stops the VRRP keepalived (`PUT /1.0/vrrp/stop`). */
  async stopVrrp(): Promise<void> {
    await this.#call('PUT', '/1.0/vrrp/stop');
  }

  /** What the agent trusts and presents (`GET /1.0/trust`, an extension). */
  trust(): Promise<unknown> {
    return this.#call('GET', '/1.0/trust');
  }

  /** Replaces the client CA bundle (`PUT /1.0/client-ca`, an extension). */
  async putClientCa(pem: Buffer, force: boolean): Promise<void> {
    await this.#call('PUT', `/1.0/client-ca${force ? '?force=true' : ''}`, pem, 'application/x-pem-file');
  }

  /** Rotates the agent's server certificate (`PUT /1.0/certificate`, as Octavia does). */
  async putServerCertificate(pem: Buffer): Promise<void> {
    await this.#call('PUT', '/1.0/certificate', pem, 'application/x-pem-file');
  }

  #call(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<unknown> {
    const url = new URL(path, this.#connection.url);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent: this.#agent,
          timeout: REQUEST_TIMEOUT_MS,
          ...(this.#connection.serverName ? { servername: this.#connection.serverName } : {}),
          headers: body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                resolve(text === '' ? undefined : JSON.parse(text));
              } catch {
                reject(new CliError(`${method} ${path}: the agent answered ${status} with a body that is not JSON`));
              }
              return;
            }
            reject(new CliError(errorLine(status, text)));
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      outgoing.on('error', (error) => reject(new CliError(`cannot reach the agent at ${this.#connection.url.origin}: ${error.message}`)));
      outgoing.end(body);
    });
  }
}

/** `{message, details}` (or `{error}`) of an agent error as one line. */
export function errorLine(status: number, text: string): string {
  let message = '';
  let details = '';
  try {
    const body = JSON.parse(text) as { message?: unknown; details?: unknown; error?: unknown; description?: unknown };
    message = String(body.message ?? body.error ?? '');
    details = body.details === undefined || body.details === null ? '' : String(body.details);
  } catch {
    details = text;
  }
  const line = [message, details].filter((part) => part.trim() !== '').join(': ');
  return `${line.replace(/\s*\n\s*/g, '; ').trim() || 'no details'} (HTTP ${status})`;
}
