import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { readTopic } from '../../../../test/support/kafka-reader.js';
import { ownKafkaEnv } from '../../../../test/support/test-system.js';
import { IngestState } from '../state/ingest-state.js';
import { VisitorIdService } from './visitor-id.service.js';

const DAY = 86_400_000;
const NOON = Date.UTC(2031, 6, 1, 12);
const at = (day: number, hour = 12): number => NOON + day * DAY + (hour - 12) * 3_600_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPS = ['203.0.113.9', '10.0.0.1', '2001:db8::8a2e:370:7334'];

describe('the cookieless visitor id, with its daily salts agreed on through a real Kafka topic', () => {
  const logger = createLogger('silent');
  let config: AppConfig;
  let kafka: ReturnType<typeof createKafka>;
  const states: IngestState[] = [];
  /** A new ingest process: its own reader of the salts topic. */
  const ingest = async (): Promise<{ ids: VisitorIdService; state: IngestState }> => {
    const state = new IngestState(kafka, config, logger, () => true);
    states.push(state);
    await state.onModuleInit();
    return { ids: new VisitorIdService(state, config, logger), state };
  };
  /** Every salt record in the topic, in its order. */
  const saltRecords = (atLeast: number): Promise<{ day: string; salt: string }[]> =>
    readTopic(config.kafka.brokers!, config.kafka.topics.salts, (m) => m.length >= atLeast, { settleMs: 300 }).then((records) => records.map((r) => ({ day: r.key!, salt: r.text! })));

  beforeAll(async () => {
    config = loadConfig({ ...ownKafkaEnv(`salts-${randomUUID().slice(0, 8)}`, inject('kafkaBrokers')), CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    kafka = createKafka({ brokers: config.kafka.brokers!, clientId: config.kafka.clientId, logger });
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
  });
  afterAll(async () => {
    await Promise.all(states.map((s) => s.onApplicationShutdown()));
  });

  it('is the same all day for one site, IP and browser, on every ingest process, and different the next day, or for another site, IP or browser', async () => {
    const { ids } = await ingest();
    const morning = await ids.visitorId('shop', IPS[0]!, UA, at(0, 0));
    expect(await ids.visitorId('shop', IPS[0]!, UA, at(0, 23))).toBe(morning);
    // a second ingest process, started later, agrees
    expect(await (await ingest()).ids.visitorId('shop', IPS[0]!, UA, at(0, 15))).toBe(morning);
    const others = [
      await ids.visitorId('shop', IPS[0]!, UA, at(1, 0)),
      await ids.visitorId('blog', IPS[0]!, UA, at(0)),
      await ids.visitorId('shop', IPS[1]!, UA, at(0)),
      await ids.visitorId('shop', IPS[0]!, `${UA} Edg/131`, at(0)),
    ];
    expect(new Set([morning, ...others]).size).toBe(5);
  });

  it('agrees on one salt when processes start a new day at the same moment: the first one written to the topic', async () => {
    const processes = await Promise.all([ingest(), ingest(), ingest()]);
    const day = at(5);
    const ids = await Promise.all(processes.map(({ ids }) => ids.visitorId('shop', IPS[0]!, UA, day)));
    expect(new Set(ids).size).toBe(1);
    const records = (await saltRecords(1)).filter((r) => r.day === dayOf(day));
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(ids[0]).toBe(createHash('sha256').update(`${records[0]!.salt}\u0000shop\u0000${IPS[0]}\u0000${UA}`).digest('hex').slice(0, 32));
  });

  it('is a hash keyed with 32 random bytes of the day: nothing derived from the day, the site, the IP or the browser alone', async () => {
    const { ids } = await ingest();
    const day = at(2);
    for (const ip of IPS) {
      const id = await ids.visitorId('shop', ip, UA, day);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const salt = (await saltRecords(1)).find((r) => r.day === dayOf(day))!.salt;
      expect(salt).toMatch(/^[0-9a-f]{64}$/);
      expect(id).toBe(createHash('sha256').update(`${salt}\u0000shop\u0000${ip}\u0000${UA}`).digest('hex').slice(0, 32));
      for (const guess of ['', dayOf(day), String(Math.floor(day / DAY))]) {
        expect(id).not.toBe(createHash('sha256').update(`${guess}\u0000shop\u0000${ip}\u0000${UA}`).digest('hex').slice(0, 32));
      }
    }
  });

  it('forgets every salt older than yesterday once a day starts, and Kafka deletes each 48 h after it was drawn', async () => {
    const { ids, state } = await ingest();
    for (const d of [10, 11, 12]) await ids.visitorId('shop', IPS[0]!, UA, at(d));
    const held = state.tables.keys(config.kafka.topics.salts);
    expect(held).toContain(dayOf(at(11)));
    expect(held).toContain(dayOf(at(12)));
    expect(held.filter((d) => d < dayOf(at(11)))).toEqual([]);

    const admin = kafka.admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: config.kafka.topics.salts, configNames: ['retention.ms', 'cleanup.policy'] }] });
    await admin.disconnect();
    const settings = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(settings).toEqual({ 'retention.ms': String(48 * 3_600_000), 'cleanup.policy': 'delete' });
  });
});
