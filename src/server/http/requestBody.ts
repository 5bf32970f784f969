import { safeParseRunConfig, type RunConfig } from '../../core/config';
import type { ApiError } from '../../protocol/serverApi';

/**
 * What the write routes accept as a body. The JSON parser leaves an empty body `undefined`; a JSON
 * `null`, array or scalar is never taken for "all defaults".
 */

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** A RunConfig (partial; defaults filled): a JSON object, `{}` for all defaults. */
export function runConfigBody(body: unknown): BodyCheck<RunConfig> {
  if (!isPlainObject(body)) {
    const got = body === undefined ? 'an empty body' : body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
    return {
      ok: false,
      error: { error: 'invalid run config', issues: [{ path: '', message: `expected a JSON object ({} for all defaults), got ${got}` }] },
    };
  }
  const parsed = safeParseRunConfig(body);
  return parsed.ok ? { ok: true, value: parsed.config } : { ok: false, error: { error: 'invalid run config', issues: parsed.issues } };
}

/** Routes whose action has no parameters take no body, or `{}`. */
export function emptyBody(body: unknown): BodyCheck<null> {
  if (body === undefined || (isPlainObject(body) && Object.keys(body).length === 0)) return { ok: true, value: null };
  return { ok: false, error: { error: 'this request takes no body', issues: [{ path: '', message: 'send no body, or {}' }] } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
