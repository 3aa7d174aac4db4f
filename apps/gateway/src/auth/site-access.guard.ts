import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@clickstream/platform';
import { AccessService } from './access.service.js';

/** The token of a request: `Authorization: Bearer <token>`, or `?token=` for share links. */
export function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  const query = (req.query as Record<string, unknown> | undefined)?.['token'];
  return typeof query === 'string' ? query : undefined;
}

/** Lets a request for /api/sites/:site/... through with that site's dashboard token or the admin token. */
@Injectable()
export class SiteAccessGuard implements CanActivate {
  constructor(private readonly access: AccessService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const site = (req.params as Record<string, string | undefined>)['site'] ?? '';
    const token = tokenOf(req);
    if (await this.access.canRead(site, token)) return true;
    throw ApiError.unauthorized(token === undefined ? 'a dashboard token is required (Authorization: Bearer <token> or ?token=)' : 'the token does not give access to this site');
  }
}

/** Lets a request through with the admin token only. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly access: AccessService) {}

  canActivate(context: ExecutionContext): boolean {
    const token = tokenOf(context.switchToHttp().getRequest<FastifyRequest>());
    if (this.access.isAdmin(token)) return true;
    throw ApiError.unauthorized(token === undefined ? 'the admin token is required (Authorization: Bearer <token>)' : 'wrong admin token');
  }
}
