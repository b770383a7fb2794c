import { AgentError } from '../util/errors.ts';
/**
 * Parser for oslo.config's INI dialect (no inline comments, `=` or `:` separators, indented
 * continuation lines, `[DEFAULT]` case-sensitive while other section names are not, repeated
 * keys collect values). Returns raw strings; typing happens in options.ts.
 */
export type RawSections = Map<string, Map<string, string[]>>;

export class IniParseError extends AgentError {
  constructor(source: string, line: number, reason: string) {
    super(`${source}:${line}: ${reason}`);
  }
}

export function parseIni(text: string, source = '<config>', into: RawSections = new Map()): RawSections {
  let section: Map<string, string[]> | undefined;
  let pending: { values: string[]; index: number } | undefined;
  const lines = text.split('\n');
  lines.forEach((physical, index) => {
    const lineNumber = index + 1;
    const line = physical.replace(/\s+$/u, '');
    if (line === '') {
      pending = undefined;
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!pending) throw new IniParseError(source, lineNumber, 'continuation line without a key');
      pending.values[pending.index] += `\n${line.trimStart()}`;
      return;
    }
    pending = undefined;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new IniParseError(source, lineNumber, 'section header must end with "]"');
      const name = line.slice(1, -1);
      if (name === '') throw new IniParseError(source, lineNumber, 'empty section name');
      const key = name === 'DEFAULT' ? name : name.toLowerCase();
      section = into.get(key) ?? new Map();
      into.set(key, section);
      return;
    }
    if (line.startsWith('#') || line.startsWith(';')) return;
    const separator = firstSeparator(line);
    if (separator < 0) throw new IniParseError(source, lineNumber, 'expected "key = value"');
    const key = line.slice(0, separator).trim();
    if (key === '') throw new IniParseError(source, lineNumber, 'empty key');
    if (!section) throw new IniParseError(source, lineNumber, 'assignment before any section header');
    const values = section.get(key) ?? [];
    values.push(unquote(line.slice(separator + 1).trim()));
    section.set(key, values);
    pending = { values, index: values.length - 1 };
  });
  return into;
}

function firstSeparator(line: string): number {
  const equals = line.indexOf('=');
  const colon = line.indexOf(':');
  if (equals < 0) return colon;
  if (colon < 0) return equals;
  return Math.min(equals, colon);
}

function unquote(value: string): string {
  const first = value[0];
  if ((first === '"' || first === "'") && value[value.length - 1] === first) {
    return value.length === 1 ? '' : value.slice(1, -1);
  }
  return value;
}
