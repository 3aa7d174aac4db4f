import { Injectable } from '@nestjs/common';
import { siteRecord } from '@clickstream/platform';
import { SitesTopic } from './sites-topic.js';

/** Writes new sites to the compacted sites topic, which every ingest process reads its site list from. */
@Injectable()
export class SitePublisher {
  constructor(private readonly sites: SitesTopic) {}

  /** Resolves once the site's record is on every replica; ingest accepts its hits from then on. */
  publish(site: { id: string; name: string }): Promise<void> {
    return this.sites.put(site.id, siteRecord(site));
  }
}
