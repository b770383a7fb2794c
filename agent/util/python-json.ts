/**
 * JSON text exactly as Python's `json.dumps(value)` writes it with default arguments:
 * `", "` and `": "` separators, insertion-ordered keys, ASCII only (`\uXXXX` escapes in
 * lowercase hex, surrogate pairs for astral characters), `/` left alone. The receiver accepts
 * any JSON; matching the reference byte for byte keeps captures diffable against it.
 *
 * Objects may be given as a Map (keys in insertion order, even numeric-looking ones) or as a
 * plain object. Numbers must be integers: heartbeat values are counters.
 */
export type PythonJsonValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly PythonJsonValue[]
  | ReadonlyMap<string, PythonJsonValue>
  | { readonly [key: string]: PythonJsonValue };

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/** Printable ASCII other than `"` and `\` passes through; everything else is escaped. */
const NEEDS_ESCAPE = /[^ !#-[\]-~]/u;

export function pythonJsonString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`;
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) {
      out += text[index];
    } else {
      out += SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
  return `${out}"`;
}

export function pythonJsonDumps(value: PythonJsonValue): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(value: PythonJsonValue, out: string[]): void {
  if (typeof value === 'string') {
    out.push(pythonJsonString(value));
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
    out.push(String(value));
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (value === null) {
    out.push('null');
  } else if (Array.isArray(value)) {
    out.push('[');
    (value as readonly PythonJsonValue[]).forEach((item, index) => {
      if (index > 0) out.push(', ');
      write(item, out);
    });
    out.push(']');
  } else {
    const entries = value instanceof Map ? value.entries() : Object.entries(value);
    out.push('{');
    let first = true;
    for (const [key, item] of entries as Iterable<[string, PythonJsonValue]>) {
      if (!first) out.push(', ');
      first = false;
      out.push(pythonJsonString(key), ': ');
      write(item, out);
    }
    out.push('}');
  }
}
