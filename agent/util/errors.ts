/**
 * The base of every error the agent defines. `cause` keeps the lower-level failure (a system
 * error, a command's output) attached for logs, while `message` stays the text callers show.
 */
export class AgentError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The text of anything thrown: an Error's message, otherwise its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
