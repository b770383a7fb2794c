import { isIP } from 'node:net';
import { AgentError } from '../util/errors.ts';

/** One option of the table: how to convert its raw text, its default, whether it may change live. */
export interface OptionSpec<T> {
  readonly kind: string;
  readonly defaultValue: T;
  readonly mutable: boolean;
  readonly secret: boolean;
  readonly help: string;
  convert(raw: string): T;
}

export class OptionValueError extends AgentError {}

interface Flags {
  mutable?: boolean;
  secret?: boolean;
}

function spec<T>(kind: string, defaultValue: T, help: string, flags: Flags, convert: (raw: string) => T): OptionSpec<T> {
  return { kind, defaultValue, help, mutable: flags.mutable ?? false, secret: flags.secret ?? false, convert };
}

export function stringOption(defaultValue: string, help: string, flags: Flags = {}): OptionSpec<string> {
  return spec('string', defaultValue, help, flags, (raw) => raw);
}

export function optionalStringOption(help: string, flags: Flags = {}): OptionSpec<string | undefined> {
  return spec<string | undefined>('string', undefined, help, flags, (raw) => raw);
}

export function choiceOption<const C extends string>(
  choices: readonly C[],
  defaultValue: C,
  help: string,
  flags: Flags = {},
): OptionSpec<C> {
  return spec(`one of ${choices.join(', ')}`, defaultValue, help, flags, (raw) => {
    if (!(choices as readonly string[]).includes(raw)) {
      throw new OptionValueError(`must be one of ${choices.join(', ')}`);
    }
    return raw as C;
  });
}

const TRUE_WORDS = new Set(['true', '1', 'on', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

export function booleanOption(defaultValue: boolean, help: string, flags: Flags = {}): OptionSpec<boolean> {
  return spec('boolean', defaultValue, help, flags, (raw) => {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw new OptionValueError('must be a boolean (true/false, yes/no, on/off, 1/0)');
  });
}

/** oslo turns an empty integer into None; we keep the default instead and never crash later. */
export function integerOption(
  defaultValue: number,
  help: string,
  bounds: { min?: number; max?: number } = {},
  flags: Flags = {},
): OptionSpec<number> {
  return spec('integer', defaultValue, help, flags, (raw) => {
    const text = raw.trim();
    if (text === '') return defaultValue;
    if (!/^[+-]?\d+(_\d+)*$/u.test(text)) throw new OptionValueError('must be an integer');
    const value = Number(text.replaceAll('_', ''));
    if (bounds.min !== undefined && value < bounds.min) throw new OptionValueError(`must be at least ${bounds.min}`);
    if (bounds.max !== undefined && value > bounds.max) throw new OptionValueError(`must be at most ${bounds.max}`);
    return value;
  });
}

export function portOption(defaultValue: number, help: string): OptionSpec<number> {
  return integerOption(defaultValue, help, { min: 0, max: 65535 });
}

export function ipOption(defaultValue: string, help: string): OptionSpec<string> {
  return spec('IP address', defaultValue, help, {}, (raw) => {
    if (isIP(raw) === 0) throw new OptionValueError('must be an IPv4 or IPv6 address');
    return raw;
  });
}

export function listOption(defaultValue: readonly string[], help: string, flags: Flags = {}): OptionSpec<string[]> {
  return spec('list', [...defaultValue], help, flags, (raw) => {
    const text = raw.trim().replace(/,+$/u, '');
    if (text === '') return [];
    return text.split(',').map((item) => item.trim());
  });
}
