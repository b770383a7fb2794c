import type { OptionReader } from './args.ts';
import { CliError } from './errors.ts';

/** Command options onto model fields: what `create` and `set` of every resource read. */

/** A command option mapped to a model field. */
export interface FieldOption {
  option: string;
  field: string;
  kind: 'string' | 'integer' | 'number' | 'list';
}

export const field = (option: string, kind: FieldOption['kind'] = 'string'): FieldOption => ({ option, field: option.replaceAll('-', '_'), kind });

/** Copies the given options onto `target`; options not given leave fields as they are. */
export function applyFieldOptions(target: object, options: OptionReader, fields: readonly FieldOption[]): void {
  const record = target as Record<string, unknown>;
  for (const { option, field: name, kind } of fields) {
    if (kind === 'list') {
      const values = options.all(option);
      if (values.length > 0) record[name] = values;
      continue;
    }
    const text = options.string(option);
    if (text === undefined) continue;
    if (kind === 'string') record[name] = text;
    else if (kind === 'integer') record[name] = options.integer(option);
    else {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new CliError(`argument --${option}: invalid float value: '${text}'`);
      record[name] = value;
    }
  }
}

/** `--enable` / `--disable` (and `--enable-backup` / `--disable-backup` for members). */
export function applySwitch(target: object, options: OptionReader, name: string, fieldName: string): void {
  const on = options.flag(`enable${name}`);
  const off = options.flag(`disable${name}`);
  if (on && off) throw new CliError(`--enable${name} and --disable${name} exclude each other`);
  if (on || off) (target as Record<string, unknown>)[fieldName] = on;
}
