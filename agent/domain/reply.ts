/**
 * A successful answer of a domain operation, in the reference's terms: a status the control
 * plane checks, a body and an optional ETag. Failures are thrown as Refusal (./refusal.ts).
 */
export interface Reply {
  status: number;
  /** JSON value, or raw bytes sent as `text/plain; charset=UTF-8`. */
  body: unknown;
  etag?: string;
}

export function jsonReply(status: number, body: unknown, etag?: string): Reply {
  return etag === undefined ? { status, body } : { status, body, etag };
}
