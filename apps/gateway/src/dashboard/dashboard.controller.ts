import { Controller, Get, Header, Inject } from '@nestjs/common';
import { publicIngestUrlOf, type AppConfig } from '@clickstream/config';
import { projectRoot } from '@clickstream/infra';
import { APP_CONFIG } from '@clickstream/platform';
import { readDashboardAssets, type DashboardAssets } from './dashboard-assets.js';
import { dashboardPage } from './dashboard.page.js';

/** Same-origin files only: no inline script or style, sockets to this gateway, charts drawn on canvas. */
export const DASHBOARD_CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'";

/**
 * The dashboard: the HTML shell at `/` (opened as `/?site=&token=`, the share link) and its
 * built script and stylesheet. The page carries the share token in its URL, hence no-referrer.
 */
@Controller()
export class DashboardController {
  private readonly assets: DashboardAssets;
  private readonly page: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.assets = readDashboardAssets(projectRoot());
    this.page = dashboardPage({
      ingestUrl: publicIngestUrlOf(config.http),
      scriptUrl: `/assets/dashboard.js?v=${this.assets.script.version}`,
      styleUrl: `/assets/dashboard.css?v=${this.assets.style.version}`,
    });
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  index(): string {
    return this.page;
  }

  @Get('assets/dashboard.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'public, max-age=86400')
  script(): string {
    return this.assets.script.body;
  }

  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'public, max-age=86400')
  style(): string {
    return this.assets.style.body;
  }
}
