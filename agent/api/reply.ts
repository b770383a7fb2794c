/** A successful answer of a domain operation; errors are thrown as ApiError. */
export interface Reply {
  status: number;
  /** JSON value, or raw bytes sent as `text/plain; charset=UTF-8`. */
  body: unknown;
  etag?: string;
}

export function jsonReply(status: number, body: unknown, etag?: string): Reply {
  return etag === undefined ? { status, body } : { status, body, etag };
}
