#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.trim_threshold=65536:glibc.malloc.mmap_threshold=65536 node --disable-sigusr1 --max-semi-space-size=1 --lite-mode
// The runtime flags live here, the one place every launcher goes through (the build copies them
// into the executable's launcher): logrotate's SIGUSR1 must not open Node's inspector, a 1 MB
// young generation keeps the idle footprint small, and lite mode (no optimizing compiler) saves
// about 11 MB of code and feedback; the agent's hot paths are TLS, zlib and I/O in C++. The
// malloc thresholds hand freed memory back to the kernel (TLS handshakes and child processes
// otherwise leave about 2 MB of holes in the heap); they are for the agent alone, not for the
// daemons it starts, hence removed from its environment below.
import { join } from 'node:path';
import { projectRoot } from './util/project-root.ts';
import { startAgent } from './agent.ts';
import { ConfigError } from './config/load.ts';
import { IniParseError } from './config/ini.ts';
import { errorMessage } from './util/errors.ts';
import { nodeFs, nodeUtil } from './util/builtins.ts';

const { parseArgs } = nodeUtil;
const { readFileSync } = nodeFs;

delete process.env.GLIBC_TUNABLES;

const HELP = `Usage: amphora-agent [--config-file FILE]... [--config-dir DIR]... [--debug]
       amphora-agent heartbeat-listen --port PORT --key KEY [--encrypted]

The Octavia amphora agent: mutual-TLS REST API 1.0 and UDP health heartbeats.

Options:
  --config-file FILE  oslo.config INI file; repeatable, later files win. Without it the
                      default search is used (/etc/octavia/amphora-agent.conf, ...); when no
                      file is found the agent starts in development mode.
  --config-dir DIR    also load DIR/*.conf (sorted), after the files; repeatable
  --state-dir DIR     development mode state folder (default ./.state)
  -d, --debug         log at debug level
  --nodebug           do not log at debug level
  -h, --help          show this help
  --version           print the version
`;

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'heartbeat-listen') {
    const { runHeartbeatListen } = await import('./heartbeat/listen-command.ts');
    return runHeartbeatListen(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'config-file': { type: 'string', multiple: true, default: [] },
        'config-dir': { type: 'string', multiple: true, default: [] },
        'state-dir': { type: 'string', default: '.state' },
        debug: { type: 'boolean', short: 'd' },
        nodebug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    process.stderr.write(`amphora-agent: ${errorMessage(error)}\n${HELP}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const debugOverride = values.debug ? true : values.nodebug ? false : undefined;
  await startAgent({
    configFiles: values['config-file'],
    configDirs: values['config-dir'],
    stateDir: values['state-dir'],
    ...(debugOverride === undefined ? {} : { debugOverride }),
  });
  return -1; // keeps running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof IniParseError) {
      process.stderr.write(`amphora-agent: configuration error: ${error.message}\n`);
    } else {
      process.stderr.write(`amphora-agent: cannot start: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
