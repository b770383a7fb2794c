import { CliError } from './errors.ts';

/** A displayed value: as the openstack client prints them (True/False, None, one id per line). */
export type Cell = string | number | boolean | null | undefined | readonly string[];
export type Row = Record<string, Cell>;

export const FORMATS = ['table', 'json', 'value'] as const;
export type Format = (typeof FORMATS)[number];

export interface OutputOptions {
  format: Format;
  columns: string[];
}

export function parseFormat(value: string | undefined): Format {
  const format = value ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`argument -f/--format: invalid choice: '${format}' (choose from ${FORMATS.map((f) => `'${f}'`).join(', ')})`);
  }
  return format as Format;
}

function cellText(value: Cell): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return value.join('\n');
  return String(value);
}

function selectColumns(available: readonly string[], wanted: readonly string[]): string[] {
  if (wanted.length === 0) return [...available];
  for (const column of wanted) {
    if (!available.includes(column)) throw new CliError(`no such column: ${column} (columns: ${available.join(', ')})`);
  }
  return [...wanted];
}

/** `+---+---+` boxes; a cell holding several lines spans several rows of the box. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => Math.max(...row[column]!.split('\n').map((line) => line.length)))),
  );
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const out = [border, line(headers), border];
  for (const row of rows) {
    const split = row.map((cell) => cell.split('\n'));
    const height = Math.max(...split.map((lines) => lines.length));
    for (let index = 0; index < height; index += 1) out.push(line(split.map((lines) => lines[index] ?? '')));
  }
  if (rows.length > 0) out.push(border);
  return `${out.join('\n')}\n`;
}

/** One object (show, create): Field/Value table, one value per line, or a JSON object. */
export function formatShow(row: Row, options: OutputOptions): string {
  const fields = selectColumns(Object.keys(row).sort(), options.columns);
  if (options.format === 'json') return `${JSON.stringify(Object.fromEntries(fields.map((f) => [f, row[f] ?? null])), null, 2)}\n`;
  if (options.format === 'value') return fields.map((field) => `${cellText(row[field])}\n`).join('');
  return renderTable(['Field', 'Value'], fields.map((field) => [field, cellText(row[field])]));
}

/** Several objects (list): columns table, space-separated values per line, or a JSON array. */
export function formatList(columns: readonly string[], rows: readonly Row[], options: OutputOptions): string {
  const shown = selectColumns(columns, options.columns);
  if (options.format === 'json') {
    return `${JSON.stringify(rows.map((row) => Object.fromEntries(shown.map((c) => [c, row[c] ?? null]))), null, 2)}\n`;
  }
  if (options.format === 'value') return rows.map((row) => `${shown.map((c) => cellText(row[c]).replace(/\n/g, ' ')).join(' ')}\n`).join('');
  return renderTable(shown, rows.map((row) => shown.map((c) => cellText(row[c]))));
}
