import { connect } from 'node:net';
import { AgentError } from '../util/errors.ts';

export class StatsSocketError extends AgentError {}

/**
 * Sends one command to a haproxy stats socket and returns the answer (read until EOF,
 * trailing whitespace stripped). Every query is bounded by `timeoutMs`: a socket that
 * accepts and never answers must not hold up a heartbeat or a reload.
 */
export function queryStatsSocket(socketPath: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StatsSocketError(`stats socket ${socketPath} did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new StatsSocketError(`stats socket ${socketPath}: ${error.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1').trimEnd());
    });
  });
}
