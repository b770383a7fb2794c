import assert from 'node:assert/strict';
import { httpError, type HttpError } from '../../agent/api/errors.ts';
import { Refusal } from '../../agent/domain/refusal.ts';

/** Asserts that a service failed with a Refusal and returns the status and body the API sends for it. */
export function refusalAnswer(error: unknown): HttpError {
  assert.ok(error instanceof Refusal, `expected a Refusal, got ${String(error)}`);
  return httpError(error);
}
