/**
 * The one spelling of a request target the server routes: origin-form (`/path?query`), no empty,
 * `.` or `..` segments (raw or percent-encoded), no encoded or back slashes, valid percent-encoding.
 * Anything else is refused before routing, so no two spellings of a path can reach different checks
 * (a proxy or the router normalising what a guard saw differently). Percent-encoded ordinary
 * characters (`/%61pi/runs`) are equivalent spellings per RFC 3986 and are routed; authorisation does
 * not depend on the spelling (see secureFastify.ts).
 */
export function requestTargetProblem(target: string): string | null {
  // Absolute-form (`GET http://host/api/runs`) and asterisk-form (`OPTIONS *`) targets.
  if (!target.startsWith('/')) return 'send the path only (origin-form request target), not an absolute URL';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (path.includes('#')) return 'a request target must not contain a fragment (#)';
  if (path.includes('\\')) return 'the path must not contain backslashes';
  const segments = path.split('/').slice(1);
  for (let k = 0; k < segments.length; k++) {
    const segment = segments[k];
    // A trailing slash leaves one empty last segment; an empty one anywhere else is a doubled slash.
    if (segment === '' && k < segments.length - 1) return 'the path must not contain doubled slashes';
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return 'the path has malformed percent-encoding';
    }
    if (decoded === '.' || decoded === '..') return 'the path must not contain "." or ".." segments';
    if (decoded.includes('/') || decoded.includes('\\')) return 'the path must not contain encoded slashes';
    if (decoded.includes('\0')) return 'the path must not contain NUL bytes';
  }
  return null;
}
