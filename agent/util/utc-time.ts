/**
 * `Date.prototype.toISOString`'s text from the UTC fields. The runtime's own method resolves
 * the local time zone's display name on first use, which maps about 2.5 MB of ICU data into
 * the agent for a string that never needs a zone.
 */
export function isoUtc(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid time value');
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`
  );
}
