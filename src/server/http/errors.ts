import type { Socket } from 'node:net';
import type { ApiError } from '../../protocol/serverApi';

/**
 * The API's one error shape, `{error, issues?}`, for every way a request can fail: the routes' own
 * answers, Fastify's errors (body parsing, sizes, content types, bad URLs) and Node's HTTP parser
 * errors. Messages never carry stack traces or server paths; a 5xx says only "internal error" (the
 * detail goes to the server's log).
 */

/** Headers every response carries, whatever produced it. */
export const securityHeaders: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message: string;
}

/** Status and body for an error thrown by Fastify or a route. */
export function apiErrorOf(error: FrameworkError, bodyLimit: number): { status: number; body: ApiError } {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) return { status, body: { error: 'internal error' } };
  if (status === 413) return { status, body: { error: `request body too large (limit ${bodyLimit} bytes)` } };
  if (status === 415) return { status, body: { error: 'send JSON (Content-Type: application/json)' } };
  if (error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return { status, body: { error: 'the body does not match its Content-Length' } };
  const body: ApiError = { error: error.message };
  if (status === 400) body.issues = [{ path: '', message: error.message }];
  return { status, body };
}

/** Fastify's route-level failures (before any hook or handler ran). */
export function routingErrorOf(error: FrameworkError): [status: number, body: ApiError] {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return [414, { error: 'a path parameter is too long' }];
  if (error.code === 'FST_ERR_BAD_URL') return [400, { error: 'malformed URL' }];
  return [400, { error: 'bad request' }];
}

/**
 * Node's HTTP parser rejected the request (malformed request line or headers, headers too large,
 * timeout): answers in the same shape and closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request timed out']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: message } satisfies ApiError);
  if (socket.writable) {
    const headers = [
      `HTTP/1.1 ${status} ${text}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(securityHeaders).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
