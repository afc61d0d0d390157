/**
 * JSON for scripts: non-finite numbers become `null` with a sibling `<key>Note` saying which
 * ("infinite", "-infinite", "NaN"), e.g. `"conditionNumber": null, "conditionNumberNote": "infinite"`.
 */

function note(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'infinite' : '-infinite';
}

/** Returns a copy of `value` safe for JSON.stringify, with notes beside non-finite numbers. */
export function toScriptJson(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
  }
  if (Array.isArray(value)) return value.map(toScriptJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        out[k] = null;
        if (!(`${k}Note` in value)) out[`${k}Note`] = note(v);
      } else {
        out[k] = toScriptJson(v);
      }
    }
    return out;
  }
  return value;
}
