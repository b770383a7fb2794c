import { OptionReader, parseArgs } from './args.ts';
import { AgentClient } from './client.ts';
import type { Action, CommandSet } from './command-engine.ts';
import { CONNECTION_OPTIONS, resolveConnection } from './connection.ts';
import { CliError } from './errors.ts';
import { parseFormat, type OutputOptions } from './output.ts';
import { COMMAND_SETS } from './registry.ts';
import { Session } from './session.ts';

/** Dispatch: the command line to one resource's command, with the options every command takes. */

export const USAGE = `usage: amphoractl [--url URL] [--cert PEM] [--cacert PEM] [--server-name NAME] [--state-dir DIR]
                  RESOURCE ACTION [ARGS] [-f table|json|value] [-c COLUMN ...]

${COMMAND_SETS.map((set) => set.usage).join('')}
Objects are named by id or name. Connection defaults: AMPHORACTL_URL, AMPHORACTL_CERT,
AMPHORACTL_CACERT, AMPHORACTL_SERVER_NAME, else the dev-mode state folder (./.state).
`;

const GLOBAL_FLAGS = ['help'];
const GLOBAL_VALUED_OPTIONS = [...CONNECTION_OPTIONS, 'format', 'column'];

/** Every option of any command (each command then refuses those it does not use). */
const FLAGS = [...new Set([...GLOBAL_FLAGS, ...COMMAND_SETS.flatMap((set) => set.flags ?? [])])];
const VALUED_OPTIONS = [...new Set([...GLOBAL_VALUED_OPTIONS, ...COMMAND_SETS.flatMap((set) => set.valuedOptions ?? [])])];

const BY_NAME = new Map<string, CommandSet>(COMMAND_SETS.map((set) => [set.name, set]));

export interface Invocation {
  action: Action | 'help';
  options: OptionReader;
  output: OutputOptions;
}

/** Reads and checks the whole command line; nothing touches the network yet. */
export function parseInvocation(argv: readonly string[]): Invocation {
  const parsed = parseArgs(argv, FLAGS, VALUED_OPTIONS);
  const options = new OptionReader(parsed.options);
  options.accept(...CONNECTION_OPTIONS);
  const output: OutputOptions = { format: parseFormat(options.string('format')), columns: options.all('column') };
  if (options.flag('help') || parsed.words.length === 0) return { action: 'help', options, output };
  let [resource, verb, ...args] = parsed.words;
  // A sub-resource (`loadbalancer status show LB`) is selected by its two words.
  if (verb !== undefined && BY_NAME.has(`${resource} ${verb}`)) {
    resource = `${resource} ${verb}`;
    [verb, ...args] = args;
  }
  const set = BY_NAME.get(resource!);
  if (!set) {
    const names = COMMAND_SETS.map((candidate) => candidate.name).filter((name) => !name.includes(' '));
    throw new CliError(`unknown resource '${resource}' (choose from ${names.join(', ')})`);
  }
  const commands = set.commands;
  const handler = verb === undefined ? undefined : commands[verb];
  if (!handler) throw new CliError(`unknown command '${resource} ${verb ?? ''}'`.replace(/ '$/, "'") + ` (choose from ${Object.keys(commands).join(', ')})`);
  const action = handler(args, options);
  options.rejectUnknown();
  return { action, options, output };
}

/** Runs one amphoractl command line; output through `print`, failures as CliError. */
export async function execute(argv: readonly string[], print: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const invocation = parseInvocation(argv);
  if (invocation.action === 'help') {
    print(USAGE);
    return;
  }
  const client = new AgentClient(resolveConnection(invocation.options, env));
  await invocation.action(new Session(client, invocation.output, print));
}
