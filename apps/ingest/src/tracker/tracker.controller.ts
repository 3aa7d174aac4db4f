import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG, ApiError } from '@clickstream/platform';
import { PLAUSIBLE_VARIANTS, plausibleScriptVariants, readCompatScript, readTrackerScript } from '@clickstream/tracker';

/**
 * Serves the built tracker with the configured collect path baked in, and our compat tracker at
 * Plausible's script paths (/js/script.js, /js/plausible.js and their variant builds), with the
 * drop-in endpoints' paths baked in. Umami's /script.js is our tracker's path: our tracker loads the
 * compat one when its tag carries Umami's (or Plausible's) attributes.
 */
@Controller()
export class TrackerController {
  private readonly body: string;
  private readonly compat: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.body = readTrackerScript(config.ingest.collectPath);
    this.compat = readCompatScript({ plausibleEventPath: config.ingest.plausibleEventPath, umamiSendPath: config.ingest.umamiSendPath });
  }

  @Get('script.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  script(): string {
    return this.body;
  }

  /**
   * One file for every variant: the script reads its variants from its own file name. A wildcard,
   * not a :file parameter, whose 100-character limit the longest variant names exceed.
   */
  @Get('js/*')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  plausibleScript(@Req() request: FastifyRequest): string {
    const file = request.url.split('?')[0]!.slice('/js/'.length);
    if (!plausibleScriptVariants(file)) {
      throw ApiError.notFound(`no such script: expected script.js or plausible.js, or script.<variant>(.<variant>)*.js with variants among ${PLAUSIBLE_VARIANTS.join(', ')}`, 'file');
    }
    return this.compat;
  }
}
