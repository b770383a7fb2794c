/**
 * The reference's two error shapes. Application errors carry `{message, details?}`; framework
 * errors (routing 404/405, explicit aborts, anything unhandled) carry `{error, http_code}`.
 * Both are always JSON: the control plane retries for ten minutes on a non-JSON 404.
 */
export type ErrorBody = { message?: string; details?: string } | { error: string; http_code: number; details?: string };

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super('error' in body ? body.error : (body.message ?? String(body.details)));
    this.status = status;
    this.body = body;
  }
}

/** `{"message": ..., "details": ...}` with the given status. */
export function appError(status: number, message: string, details?: string): ApiError {
  return new ApiError(status, details === undefined ? { message } : { message, details });
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

/** `{"error": "<code> <Reason>: <description>", "http_code": <code>}` as Werkzeug words it. */
export function frameworkError(status: number, description?: string): ApiError {
  const text = description ?? FRAMEWORK_DEFAULT_DESCRIPTION[status] ?? '';
  return new ApiError(status, { error: `${status} ${FRAMEWORK_TEXT[status] ?? 'Error'}: ${text}`, http_code: status });
}
