import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { ApiError } from '../../protocol/serverApi';
import { bearerMatches, isLoopbackHostHeader, tokenDigest } from './auth';
import { answerClientError, apiErrorOf, routingErrorOf, securityHeaders } from './errors';
import { requestTargetProblem } from './requestTarget';

export interface SecurityOptions {
  /** Bearer token every request must carry; null: loopback mode (loopback Host names only). */
  token: string | null;
  /** Origins allowed to call the API from a browser ('*' allows any). */
  corsOrigins: string[];
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
}

export interface RouteEntry {
  method: string;
  url: string;
}

/**
 * A Fastify instance with the server's security model in place before any route exists (README
 * "Security model"):
 *  - request targets are checked before routing (requestTarget.ts);
 *  - every request needs the token, whatever route it matched or whether it matched one at all
 *    (deny by default: there is no public route, and a 404 is only ever seen with the token, so an
 *    unauthenticated client cannot tell which paths exist); only CORS preflights, which reach no
 *    handler, are answered without it;
 *  - without a token (loopback mode) only requests whose Host names the loopback interface are
 *    served (DNS rebinding);
 *  - every method other than GET/HEAD/OPTIONS must send `Content-Type: application/json`, with or
 *    without a token, so no web page can send one without a CORS preflight;
 *  - every error, Fastify's and Node's included, comes back as `{error, issues?}`, every response with
 *    `X-Content-Type-Options: nosniff`.
 */
export function secureFastify(options: SecurityOptions): FastifyInstance {
  const digest = options.token === null ? null : tokenDigest(options.token);
  const refused = new WeakMap<IncomingMessage, string>();
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    // Open SSE streams must not hold up a shutdown.
    forceCloseConnections: true,
    rewriteUrl(raw) {
      const url = raw.url ?? '';
      const problem = requestTargetProblem(url);
      if (problem === null) return url;
      // Routed nowhere in particular: the first onRequest hook answers 400 before anything else runs.
      refused.set(raw, problem);
      return '/';
    },
    frameworkErrors(error, request, reply) {
      // Fastify types these with its schema generics; the plain request and reply are what they are.
      const plainReply = reply as unknown as FastifyReply;
      if (gate(request as unknown as FastifyRequest, plainReply)) return;
      deny(plainReply, ...routingErrorOf(error));
    },
    clientErrorHandler: answerClientError,
  });
  routeTables.set(app, []);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTables.get(app)!.push({ method, url: route.url ?? route.path });
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    // An empty body stays undefined: each route says whether it accepts none (requestBody.ts).
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        Object.assign(new Error(`malformed JSON: ${error instanceof Error ? error.message : String(error)}`), { statusCode: 400 }),
        undefined,
      );
    }
  });

  /** Applies every check that does not depend on the route; true when it answered the request. */
  function gate(request: FastifyRequest, reply: FastifyReply): boolean {
    for (const [name, value] of Object.entries(securityHeaders)) reply.raw.setHeader(name, value);
    const problem = refused.get(request.raw);
    if (problem !== undefined) return deny(reply, 400, { error: `bad request target: ${problem}` });
    if (digest === null && !isLoopbackHostHeader(request.headers.host)) {
      return deny(reply, 403, {
        error: 'without --token the server answers only requests for localhost, 127.0.0.1 or [::1] (Host header)',
      });
    }
    applyCors(request, reply, options.corsOrigins);
    // A preflight carries no credentials by design; it is answered here and reaches no handler.
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      void reply.code(204).send();
      return true;
    }
    if (digest !== null && !bearerMatches(request.headers.authorization, digest)) {
      void reply.header('www-authenticate', 'Bearer realm="simclr-lab"');
      return deny(reply, 401, {
        error: request.headers.authorization ? 'wrong token' : 'missing bearer token (Authorization: Bearer <token>)',
      });
    }
    if (changesState(request.method) && !isJson(request.headers['content-type'])) {
      return deny(reply, 415, { error: `${request.method} requests must send Content-Type: application/json` });
    }
    return false;
  }

  app.addHook('onRequest', async (request, reply) => {
    if (gate(request, reply)) return reply;
  });

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, _request, reply) => {
    const { status, body } = apiErrorOf(error, options.bodyLimit);
    if (status >= 500) console.error(error);
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiError),
  );

  return app;
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route registered on an app made by secureFastify (HEAD twins included), in order. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

function deny(reply: FastifyReply, status: number, body: ApiError): true {
  void reply.code(status).send(body);
  return true;
}

function changesState(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

function applyCors(request: FastifyRequest, reply: FastifyReply, allowed: string[]): void {
  const origin = request.headers.origin;
  if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return;
  const raw = reply.raw;
  raw.setHeader('access-control-allow-origin', origin);
  raw.setHeader('vary', 'Origin');
  raw.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
  raw.setHeader('access-control-allow-headers', 'authorization, content-type, last-event-id');
  raw.setHeader('access-control-expose-headers', 'location, x-checkpoint-stage, x-checkpoint-step');
  raw.setHeader('access-control-max-age', '600');
}
