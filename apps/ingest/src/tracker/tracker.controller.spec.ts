import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { APP_CONFIG, ApiErrorFilter, createHttpApp } from '@clickstream/platform';
import { PLAUSIBLE_VARIANTS, readCompatScript, readTrackerScript } from '@clickstream/tracker';
import { TrackerController } from './tracker.controller.js';

const config = loadConfig({ COLLECT_PATH: '/c/e', PLAUSIBLE_EVENT_PATH: '/p/event', UMAMI_SEND_PATH: '/u/send' });

@Module({ controllers: [TrackerController], providers: [{ provide: APP_CONFIG, useValue: config }] })
class TrackerOnlyModule {}

describe('TrackerController: our tracker at /script.js, the compat tracker at Plausible script paths', () => {
  let app: NestFastifyApplication;
  const compat = readCompatScript({ plausibleEventPath: '/p/event', umamiSendPath: '/u/send' });
  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  beforeAll(async () => {
    const logger = createLogger('error', 'tracker-controller-spec');
    app = await createHttpApp(TrackerOnlyModule, logger);
    app.useGlobalFilters(new ApiErrorFilter(logger));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves our own tracker at /script.js', async () => {
    const res = await get('/script.js');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(readTrackerScript('/c/e'));
  });

  const names = [
    'script.js',
    'plausible.js',
    ...PLAUSIBLE_VARIANTS.flatMap((v) => [`script.${v}.js`, `plausible.${v}.js`]),
    'script.outbound-links.file-downloads.tagged-events.js',
    'script.hash.outbound-links.js',
    'script.tagged-events.js?v=2',
    'plausible.compat.exclusions.file-downloads.hash.local.manual.outbound-links.pageview-props.revenue.tagged-events.js',
  ];
  it.each(names)('serves the compat tracker, with the configured endpoint paths, at /js/%s', async (name) => {
    const res = await get(`/js/${name}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(res.body).toBe(compat);
    expect(res.body).toContain('"/p/event"');
    expect(res.body).toContain('"/u/send"');
  });

  it.each(['script.unknown.js', 'script.hash.hash.js', 'tracker.js', 'script.hash.js.map', 'script.outbound-links.tagged.js', 'sub/script.js', 'script%2Ehash.js'])('answers 404 naming the file for /js/%s', async (name) => {
    const res = await get(`/js/${name}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found', field: 'file' });
    expect(res.json().detail).toContain('outbound-links');
  });
});
