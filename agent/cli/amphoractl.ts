#!/usr/bin/env -S node --disable-sigusr1
import { execute } from './commands.ts';
import { CliError } from './errors.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * amphoractl: the `openstack loadbalancer` workflow against one agent over mutual TLS. The
 * agent holds the state: every change reads the models, edits one and puts it back.
 */
try {
  await execute(process.argv.slice(2), (text) => process.stdout.write(text));
} catch (error) {
  const message = errorMessage(error);
  process.stderr.write(`amphoractl: ${message.replace(/\s*\n\s*/g, '; ')}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
