#!/usr/bin/env -S node --disable-sigusr1
/**
 * `haproxy-vrrp-check SOCKET...`: the VRRP health check keepalived runs every few seconds
 * (vrrp-lvs.md §A.4). For each haproxy stats socket in turn: connect, `show stat -1 -1 -1`,
 * read to the end; an empty answer counts 1. Exit code: the sum, or 1 at once when a socket
 * is missing, refuses or stays silent for 5 s. No socket: 0. Only node:net is loaded, so a
 * run costs one short-lived Node process and nothing of the agent.
 */
import { createConnection } from 'node:net';

const TIMEOUT_MS = 5000;

/** The byte count of one socket's answer; rejects on any socket error or silence. */
function answerLength(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let length = 0;
    const socket = createConnection({ path });
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`${path}: no answer within ${TIMEOUT_MS} ms`)));
    socket.once('connect', () => socket.end('show stat -1 -1 -1\n'));
    socket.on('data', (chunk: Buffer) => (length += chunk.length));
    socket.once('error', reject);
    socket.once('close', (hadError) => {
      if (!hadError) resolve(length);
    });
  });
}

async function main(sockets: readonly string[]): Promise<number> {
  let status = 0;
  for (const path of sockets) {
    try {
      if ((await answerLength(path)) === 0) status += 1;
    } catch (error) {
      process.stderr.write(`haproxy-vrrp-check: ${(error as Error).message}\n`);
      return 1;
    }
  }
  return status;
}

process.exitCode = await main(process.argv.slice(2));
