import { frameworkError, Refusal } from '../domain/refusal.ts';
import { describeStorageFault } from '../util/system-error.ts';

/**
 * The reference's two error shapes. Application errors carry `{message, details?}`; framework
 * errors (routing 404/405, explicit aborts, anything unhandled) carry `{error, http_code}`.
 * Both are always JSON: the control plane retries for ten minutes on a non-JSON 404.
 */
export type ErrorBody = { message?: string; details?: string } | { error: string; http_code: number; details?: string };

export interface HttpError {
  status: number;
  body: ErrorBody;
}

const FRAMEWORK_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const FRAMEWORK_DEFAULT_DESCRIPTION: Record<number, string> = {
  404: 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
  405: 'The method is not allowed for the requested URL.',
  500: 'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.',
};

/**
 * The one mapping from anything a request can fail with to the reference's status and JSON
 * body: refusals of the services and routes, the framework's own 400/413, and the bare 500
 * (with the storage fault behind it, when there is one) for everything else.
 */
export function httpError(error: unknown): HttpError {
  if (error instanceof Refusal) return refusalBody(error);
  // Malformed percent-encoding in a path parameter, or an unreadable body.
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  if (status === 400) return refusalBody(frameworkError(400, 'The browser (or proxy) sent a request that this server could not understand.'));
  if (status === 413) return refusalBody(frameworkError(400, 'The request body is too large.'));
  return refusalBody(frameworkError(500, undefined, describeStorageFault(error)));
}

function refusalBody(refusal: Refusal): HttpError {
  const { status, text, details } = refusal;
  if (refusal.kind === 'application') {
    const body: { message?: string; details?: string } = {};
    if (text !== '') body.message = text;
    if (details !== undefined) body.details = details;
    return { status, body };
  }
  // Werkzeug's wording: "<code> <Reason>: <description>".
  const description = text !== '' ? text : (FRAMEWORK_DEFAULT_DESCRIPTION[status] ?? '');
  const error = `${status} ${FRAMEWORK_TEXT[status] ?? 'Error'}: ${description}`;
  return { status, body: details === undefined ? { error, http_code: status } : { error, http_code: status, details } };
}
