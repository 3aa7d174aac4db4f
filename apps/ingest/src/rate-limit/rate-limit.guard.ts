import { Inject, Injectable, type CanActivate, type ExecutionContext, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG, ApiError } from '@clickstream/platform';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { TokenBuckets } from './token-bucket.js';

/** Per-IP token bucket in front of the collect endpoint: 429 with Retry-After when empty. */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly buckets: TokenBuckets | undefined;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, private readonly metrics: IngestMetrics) {
    const { perSecond, burst } = config.ingest.rateLimit;
    if (perSecond > 0) {
      this.buckets = new TokenBuckets(perSecond, burst);
      this.sweeper = setInterval(() => this.buckets?.sweep(Date.now()), 10_000).unref();
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.buckets) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const wait = this.buckets.take(request.ip, Date.now());
    if (wait === 0) return true;
    this.metrics.rejected.inc({ reason: 'rate_limited' });
    throw new ApiError(429, 'rate_limited', `too many requests from this address; retry in ${wait} s`, undefined, { 'Retry-After': String(wait) });
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
