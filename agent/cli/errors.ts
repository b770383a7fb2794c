import { AgentError } from '../util/errors.ts';
/** A failure amphoractl reports as one line on stderr, exiting non-zero. */
export class CliError extends AgentError {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
