import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG } from '@clickstream/platform';
import { dashboardPage } from './dashboard.page.js';

@Controller()
export class DashboardController {
  private readonly page: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.page = dashboardPage(config.http.publicIngestUrl ?? `http://${config.http.host}:${config.http.ingestPort}`);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:")
  index(): string {
    return this.page;
  }
}
