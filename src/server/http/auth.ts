import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The bearer token as the server keeps it: a digest, so every comparison is of equal-length values. */
export type TokenDigest = Buffer;

export function tokenDigest(token: string): TokenDigest {
  return sha256(token);
}

/** Constant-time: both sides are hashed to equal-length digests before comparing. */
export function bearerMatches(header: string | undefined, expected: TokenDigest): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = sha256(match ? match[1].trim() : '');
  return timingSafeEqual(given, expected) && match !== null;
}

/**
 * Whether a Host header names this machine's loopback interface (`localhost`, `127.x.x.x` or
 * `[::1]`, with or without a port). Without a token the server answers only such requests: a web
 * page that rebinds its own DNS name to 127.0.0.1 still sends its own name as Host.
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host);
  if (!match) return false;
  const [, ipv6, name] = match;
  if (ipv6 !== undefined) return isIP(ipv6) === 6 && normaliseIpv6Loopback(ipv6);
  const lower = name.toLowerCase();
  return lower === 'localhost' || (isIP(lower) === 4 && lower.startsWith('127.'));
}

function normaliseIpv6Loopback(address: string): boolean {
  // ::1 in any of its spellings (0:0:0:0:0:0:0:1, ::0001, …); embedded IPv4 forms are not loopback here.
  if (address.includes('.')) return false;
  const [head, tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
