/**
 * A tiny, dependency-free toolkit for validating untyped JSON with precise error paths.
 * Every reader records `{path, reason}` and returns a typed fallback so validation can
 * continue and report all problems at once.
 */

export interface FieldError {
  /** JSON path such as `loadbalancer.listeners[0].protocol_port`. */
  path: string;
  reason: string;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Control characters that would end or corrupt a config line (TAB included). */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

export class Checker {
  readonly errors: FieldError[] = [];

  fail(path: string, reason: string): void {
    this.errors.push({ path, reason });
  }

  /** Fails for keys that are not in `allowed`: a typo must not silently drop a setting. */
  noUnknownKeys(obj: JsonObject, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(join(path, key), 'is not a known field');
    }
  }

  object(value: unknown, path: string): JsonObject | undefined {
    if (isObject(value)) return value;
    this.fail(path, 'must be an object');
    return undefined;
  }

  /** An array of at most `max` entries; a longer one is refused whole, its entries unread. */
  array(value: unknown, path: string, max: number): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fail(path, 'must be an array');
      return [];
    }
    if (value.length > max) {
      this.fail(path, `must hold at most ${max} entries (has ${value.length})`);
      return [];
    }
    return value;
  }

  boolean(obj: JsonObject, key: string, path: string, fallback: boolean): boolean {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.fail(join(path, key), 'must be true or false');
    return fallback;
  }

  /** An integer within [min, max]; `undefined` when absent (or null) and not required. */
  integer(
    obj: JsonObject,
    key: string,
    path: string,
    range: { min: number; max: number },
    options: { required?: boolean } = {},
  ): number | undefined {
    const value = obj[key];
    if (value === undefined || value === null) {
      if (options.required) this.fail(join(path, key), 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(join(path, key), 'must be an integer');
      return undefined;
    }
    if (value < range.min || value > range.max) {
      this.fail(join(path, key), `must be between ${range.min} and ${range.max}`);
      return undefined;
    }
    return value;
  }

  /**
   * A string that may safely be printed on one config line: no control characters
   * (CR, LF, NUL, TAB, DEL, C1), bounded length, optionally matching a pattern.
   */
  string(
    obj: JsonObject,
    key: string,
    path: string,
    options: { required?: boolean; max?: number; pattern?: RegExp; patternReason?: string } = {},
  ): string | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (options.required) this.fail(at, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(at, 'must be a string');
      return undefined;
    }
    return this.checkText(value, at, options);
  }

  checkText(
    value: string,
    at: string,
    options: { required?: boolean; max?: number; pattern?: RegExp; patternReason?: string } = {},
  ): string | undefined {
    if (CONTROL_CHARS.test(value)) {
      this.fail(at, 'must not contain control characters (newline, carriage return, tab, NUL ...)');
      return undefined;
    }
    if (options.required && value === '') {
      this.fail(at, 'must not be empty');
      return undefined;
    }
    const max = options.max ?? 255;
    if (value.length > max) {
      this.fail(at, `must be at most ${max} characters`);
      return undefined;
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.fail(at, options.patternReason ?? `must match ${options.pattern.source}`);
      return undefined;
    }
    return value;
  }

  choice<T extends string>(
    obj: JsonObject,
    key: string,
    path: string,
    allowed: readonly T[],
    options: { required?: boolean } = {},
  ): T | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (options.required) this.fail(at, 'is required');
      return undefined;
    }
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.fail(at, `must be one of ${allowed.join(', ')}`);
    return undefined;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}
