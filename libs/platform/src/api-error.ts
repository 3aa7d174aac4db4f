import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@clickstream/logger';

/** An answer to the client that is not a success: status, machine code, the field at fault and why. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** More fields for the JSON body, e.g. the rejected events of a batch. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(field ? `${field}: ${detail}` : detail);
    this.name = 'ApiError';
  }

  static badRequest(code: string, detail: string, field?: string): ApiError {
    return new ApiError(400, code, detail, field);
  }

  static unauthorized(detail: string): ApiError {
    return new ApiError(401, 'unauthorized', detail);
  }

  static notFound(detail: string, field?: string): ApiError {
    return new ApiError(404, 'not_found', detail, field);
  }

  static conflict(detail: string, field?: string): ApiError {
    return new ApiError(409, 'conflict', detail, field);
  }

  static unavailable(detail: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(503, 'unavailable', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** Errors Fastify raises itself before a handler runs (body limits, content types, timeouts); Nest may wrap them. */
const FASTIFY_CODES: Record<number, string> = {
  408: 'request_timeout',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

/** Fastify's refusals of a JSON body it could not parse (empty, or not JSON): the field at fault is the body. */
const BODY_PARSE_CODES = new Set(['FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY']);

/**
 * Every error leaves as JSON `{ error, field?, detail }`. Unexpected errors become 500 with a
 * log line carrying the request id, so nothing fails silently.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    // a route may have set its own type (a CSV download) before it failed: the error is JSON
    void reply.removeHeader('content-disposition').type('application/json; charset=utf-8');
    if (exception instanceof ApiError) {
      void reply
        .status(exception.status)
        .headers(exception.headers)
        .send({ error: exception.code, ...(exception.field !== undefined ? { field: exception.field } : {}), detail: exception.detail, ...exception.extra });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const bodyRefused = BODY_PARSE_CODES.has(String((exception.cause as { code?: unknown } | undefined)?.code));
      const code = status === 404 ? 'not_found' : bodyRefused ? 'invalid_json' : (FASTIFY_CODES[status] ?? 'http_error');
      void reply.status(status).send({ error: code, ...(code === 'body_too_large' || bodyRefused ? { field: 'body' } : {}), detail: exception.message });
      return;
    }
    const fastifyStatus = (exception as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      const code = FASTIFY_CODES[fastifyStatus] ?? 'bad_request';
      void reply.status(fastifyStatus).send({ error: code, ...(code === 'body_too_large' ? { field: 'body' } : {}), detail: (exception as Error).message });
      return;
    }
    // the path only: a share link's query string carries its dashboard token
    this.logger.error({ err: exception, requestId: request.id, path: request.url.split('?')[0] }, 'unhandled error');
    void reply.status(500).send({ error: 'internal', detail: `internal error (request ${request.id})` });
  }
}
