import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG } from '@clickstream/platform';
import { readTrackerScript } from '@clickstream/tracker';

/** Serves the built tracker with the configured collect path baked in. */
@Controller()
export class TrackerController {
  private readonly body: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.body = readTrackerScript(config.ingest.collectPath);
  }

  @Get('script.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  script(): string {
    return this.body;
  }
}
