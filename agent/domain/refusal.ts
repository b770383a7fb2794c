import { AgentError } from '../util/errors.ts';

/**
 * The reference's two kinds of failure. `application`: its own errors, a message and optional
 * details. `framework`: an abort with only a status and a description (also its answer to
 * unknown paths and unhandled errors).
 */
export type RefusalKind = 'application' | 'framework';

/**
 * A domain operation that cannot be done, with the status the reference answers it with.
 * Services and routes throw it; api/errors.ts turns it into the reference's JSON body, the
 * only place that knows the wire shapes.
 */
export class Refusal extends AgentError {
  readonly status: number;
  readonly kind: RefusalKind;
  /** `application`: the message ('' for none); `framework`: the description ('' for the default). */
  readonly text: string;
  readonly details: string | undefined;

  constructor(status: number, kind: RefusalKind, text: string, details?: string, options?: ErrorOptions) {
    super(text || details || `status ${status}`, options);
    this.status = status;
    this.kind = kind;
    this.text = text;
    this.details = details;
  }
}

/** An application refusal: a message and optional details, e.g. 400 `Invalid request`. */
export function appError(status: number, message: string, details?: string, options?: ErrorOptions): Refusal {
  return new Refusal(status, 'application', message, details, options);
}

/** A framework refusal: a status and, optionally, a description instead of the default one. */
export function frameworkError(status: number, description?: string, details?: string, options?: ErrorOptions): Refusal {
  return new Refusal(status, 'framework', description ?? '', details, options);
}
