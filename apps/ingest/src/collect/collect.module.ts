import { Module } from '@nestjs/common';
import { PlausibleController } from '../compat/plausible.controller.js';
import { UmamiController } from '../compat/umami.controller.js';
import { CountryResolver } from '../enrich/country.resolver.js';
import { VisitorIdService } from '../enrich/visitor-id.service.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { MetricsController } from '../metrics/metrics.controller.js';
import { IngestProducer } from '../producer/ingest-producer.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { SiteCache } from '../sites/site-cache.js';
import { IngestState } from '../state/ingest-state.js';
import { CollectController } from './collect.controller.js';
import { CollectService } from './collect.service.js';
import { DeadLetterPublisher } from './dead-letter.publisher.js';

@Module({
  // one pipeline, three wire formats: ours, Plausible's and Umami's trackers
  controllers: [CollectController, PlausibleController, UmamiController, MetricsController],
  providers: [IngestProducer, IngestMetrics, CollectService, DeadLetterPublisher, IngestState, SiteCache, VisitorIdService, CountryResolver, RateLimitGuard],
  exports: [IngestProducer, IngestMetrics, IngestState, VisitorIdService],
})
export class CollectModule {}
