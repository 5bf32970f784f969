import type { RunListPosition } from '../store/runStore';
import type { ServerRunStatus, ValidationIssue } from '../../protocol/serverApi';
import { runStatuses } from '../../protocol/serverApi';

/**
 * `GET /api/runs`: pages of compact run summaries. The cursor is opaque to clients (base64url of the
 * last item's creation time and id); the order is creation time, then id, so it is stable.
 */

export const defaultRunPageSize = 50;
export const maxRunPageSize = 200;

export interface RunListQuery {
  status?: ServerRunStatus;
  limit: number;
  after?: RunListPosition;
}

/** Parses `?status=&limit=&cursor=`; returns the issues (named by parameter) when any is invalid. */
export function parseRunListQuery(
  query: Record<string, unknown>,
): { ok: true; query: RunListQuery } | { ok: false; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const parsed: RunListQuery = { limit: defaultRunPageSize };
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      issues.push({ path: name, message: 'must be given once' });
      return undefined;
    }
    return value;
  };
  const status = single('status');
  if (status !== undefined) {
    if ((runStatuses as readonly string[]).includes(status)) parsed.status = status as ServerRunStatus;
    else issues.push({ path: 'status', message: `must be one of ${runStatuses.join(', ')}` });
  }
  const limit = single('limit');
  if (limit !== undefined) {
    if (/^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= maxRunPageSize) parsed.limit = Number(limit);
    else issues.push({ path: 'limit', message: `must be an integer from 1 to ${maxRunPageSize}` });
  }
  const cursor = single('cursor');
  if (cursor !== undefined) {
    const position = decodeCursor(cursor);
    if (position) parsed.after = position;
    else issues.push({ path: 'cursor', message: 'is not a cursor this server gave (pass nextCursor back unchanged)' });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, query: parsed };
}

export function encodeCursor(position: RunListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): RunListPosition | null {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || typeof id !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(id))
      return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}
