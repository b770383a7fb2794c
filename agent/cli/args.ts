import { CliError } from './errors.ts';
import { errorMessage } from '../util/errors.ts';
import { nodeUtil } from '../util/builtins.ts';

const { parseArgs: parseArgsUtil } = nodeUtil;

/**
 * The command line as words (resource, verb, positional arguments) and options, read with
 * node's parseArgs: options take one value (`--name x` or `--name=x`) unless they are flags;
 * `-f`, `-c` and `-h` are `--format`, `--column` and `--help`. Repeated options keep every value.
 */
export interface ParsedArgs {
  words: string[];
  options: Map<string, string[]>;
}

const SHORT_OPTIONS: Record<string, string> = { format: 'f', column: 'c', help: 'h' };

export function parseArgs(argv: readonly string[], flags: readonly string[], valued: readonly string[]): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; multiple: true; short?: string }> = {};
  for (const name of flags) config[name] = { type: 'boolean', multiple: true };
  for (const name of valued) config[name] = { type: 'string', multiple: true };
  for (const [name, short] of Object.entries(SHORT_OPTIONS)) if (config[name]) config[name].short = short;
  let parsed: ReturnType<typeof parseArgsUtil>;
  try {
    parsed = parseArgsUtil({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(errorMessage(error).split('. To specify')[0]!.split('\n')[0]!);
  }
  const options = new Map<string, string[]>();
  for (const [name, values] of Object.entries(parsed.values)) {
    if (values !== undefined) options.set(name, (values as (string | boolean)[]).map(String));
  }
  return { words: parsed.positionals, options };
}

/** Reads typed option values and refuses any option the command does not know. */
export class OptionReader {
  readonly #options: Map<string, string[]>;
  readonly #used = new Set<string>();

  constructor(options: Map<string, string[]>) {
    this.#options = options;
  }

  string(name: string): string | undefined {
    this.#used.add(name);
    const values = this.#options.get(name);
    return values === undefined ? undefined : values[values.length - 1];
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new CliError(`the following arguments are required: --${name}`);
    return value;
  }

  all(name: string): string[] {
    this.#used.add(name);
    return this.#options.get(name) ?? [];
  }

  flag(name: string): boolean {
    return this.string(name) !== undefined;
  }

  integer(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^-?\d+$/.test(text)) throw new CliError(`argument --${name}: invalid int value: '${text}'`);
    return Number(text);
  }

  /** Marks options as known without reading them (read elsewhere, e.g. the connection). */
  accept(...names: string[]): void {
    for (const name of names) this.#used.add(name);
  }

  /** Call once every option of the command was read. */
  rejectUnknown(): void {
    const unknown = [...this.#options.keys()].filter((name) => !this.#used.has(name));
    if (unknown.length > 0) throw new CliError(`unrecognized arguments: ${unknown.map((name) => `--${name}`).join(' ')}`);
  }
}
