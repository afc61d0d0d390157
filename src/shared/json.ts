/**
 * Non-finite numbers in JSON (which has no NaN or ±Infinity). One encoding for stored and wire JSON:
 * the number becomes `null` and the object's top-level `nonFinite` map names it by path with its value
 * ('NaN' | 'Infinity' | '-Infinity'), e.g. `{"loss": null, "nonFinite": {"loss": "Infinity"}}`
 * ({@link encodeNonFinite} / {@link decodeNonFinite}). Run files (metrics.ndjson) and browser mode's
 * WebSocket messages use it, so a NaN arrives as a NaN as it does over Electron IPC.
 *
 * The CLI's `--json` output keeps its documented script form ({@link toScriptJson}): `null` with a sibling
 * `<key>Note` ("infinite", "-infinite", "NaN"), e.g. `"conditionNumber": null, "conditionNumberNote": "infinite"`.
 */

function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * Replaces non-finite numbers in a flat or nested record by null and reports them in `nonFinite`
 * (path → 'NaN' | 'Infinity' | '-Infinity'), so a JSON line always parses and the divergence step is kept.
 */
export function encodeNonFinite<T extends Record<string, unknown>>(rec: T): T & { nonFinite?: Record<string, string> } {
  const nonFinite: Record<string, string> = {};
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      nonFinite[path] = String(v);
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, childPath(path, i)));
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, childPath(path, k));
      return o;
    }
    return v;
  };
  const out = walk(rec, '') as T & { nonFinite?: Record<string, string> };
  if (Object.keys(nonFinite).length > 0) out.nonFinite = { ...(rec.nonFinite as Record<string, string> | undefined), ...nonFinite };
  return out;
}

/**
 * The inverse of {@link encodeNonFinite}: a copy of `value` with each `null` that its `nonFinite` map names
 * turned back into NaN or ±Infinity, and the map removed. Values without a map are returned as they are.
 */
export function decodeNonFinite<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const map = (value as { nonFinite?: unknown }).nonFinite;
  if (map === null || typeof map !== 'object') return value;
  const tags = map as Record<string, unknown>;
  const walk = (v: unknown, path: string): unknown => {
    if (v === null) {
      const t = tags[path];
      return t === 'NaN' ? NaN : t === 'Infinity' ? Infinity : t === '-Infinity' ? -Infinity : null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, childPath(path, i)));
    if (typeof v === 'object' && !ArrayBuffer.isView(v)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, childPath(path, k));
      return o;
    }
    return v;
  };
  const { nonFinite: _drop, ...rest } = value as Record<string, unknown>;
  void _drop;
  return walk(rest, '') as T;
}

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
