import { describe, expect, it } from 'vitest';
import { clickhouseUrlOf } from './clickhouse.config.js';
import { ConfigError, describeConfig, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('loadConfig', () => {
  it('starts with documented defaults when nothing is set: a local broker and a local ClickHouse server', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toBeUndefined();
    expect(config.kafka.partitions.events).toBe(6);
    expect(config.kafka.topics.events).toBe('clickstream.events');
    expect(config.clickhouse).toEqual({
      url: undefined,
      user: 'default',
      password: '',
      database: 'clickstream',
      migrate: true,
      local: { port: 8123, dataDir: '.data/clickhouse', oldEmbeddedPath: '.data/chdb' },
    });
    expect(clickhouseUrlOf(config.clickhouse)).toBe('http://127.0.0.1:8123');
    expect(config.http).toMatchObject({ host: '127.0.0.1', ingestPort: 3001, gatewayPort: 3000 });
  });

  it('switches to an external cluster and a ClickHouse server when their URLs are set', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9092', CLICKHOUSE_URL: 'http://ch:8123/', CLICKHOUSE_PASSWORD: 's3cret' });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.clickhouse).toMatchObject({ url: 'http://ch:8123', user: 'default', password: 's3cret', database: 'clickstream' });
    expect(clickhouseUrlOf(config.clickhouse)).toBe('http://ch:8123');
  });

  it('lets npm start run the migrations once: CLICKHOUSE_MIGRATE=false for its apps, anything but true or false refused', () => {
    expect(loadConfig({ CLICKHOUSE_MIGRATE: 'false' }).clickhouse.migrate).toBe(false);
    expect(problemsOf({ CLICKHOUSE_MIGRATE: 'no' })).toContain('CLICKHOUSE_MIGRATE: expected true or false; got "no"');
  });

  it('names every bad variable with what was expected and what it got', () => {
    const message = problemsOf({ KAFKA_EVENTS_PARTITIONS: 'six', INGEST_PORT: '70000', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'kafka' });
    expect(message).toContain('KAFKA_EVENTS_PARTITIONS: expected a whole number between 1 and 1000; got "six"');
    expect(message).toContain('INGEST_PORT: expected a whole number between 0 and 65535; got "70000"');
    expect(message).toMatch(/LOG_LEVEL: .*"info".*; got "loud"/);
    expect(message).toContain('KAFKA_BROKERS: expected host:port; got "kafka"');
  });

  it('refuses a ClickHouse URL that is not http(s)', () => {
    expect(problemsOf({ CLICKHOUSE_URL: 'tcp://ch:9000' })).toContain('CLICKHOUSE_URL: expected an http:// or https:// URL');
  });

  it('never prints the value of a secret, even when it is invalid', () => {
    const message = problemsOf({ CLICKHOUSE_PASSWORD: 'hunter2', CLICKHOUSE_URL: 'nope' });
    expect(message).not.toContain('hunter2');
  });

  it('looks countries up in the bundled database unless GEOIP_DB_PATH names a file, or none', () => {
    expect(loadConfig({}).ingest.geoip).toEqual({ source: 'bundled' });
    expect(loadConfig({ GEOIP_DB_PATH: 'none' }).ingest.geoip).toEqual({ source: 'none' });
    expect(loadConfig({ GEOIP_DB_PATH: '/data/GeoLite2-Country.mmdb' }).ingest.geoip).toEqual({ source: 'file', path: '/data/GeoLite2-Country.mmdb' });
  });

  it('treats an empty variable as unset, so compose files can blank one out', () => {
    expect(loadConfig({ KAFKA_BROKERS: '', INGEST_PORT: '' }).kafka.brokers).toBeUndefined();
  });

  it('documents every variable with a description and marks the secrets', () => {
    const vars = describeConfig();
    expect(vars.length).toBeGreaterThan(20);
    for (const v of vars) expect(v.description, v.variable).not.toBe('');
    expect(vars.filter((v) => v.secret).map((v) => v.variable)).toEqual(['CLICKHOUSE_PASSWORD', 'ADMIN_TOKEN']);
    expect(vars.find((v) => v.variable === 'KAFKA_EVENTS_PARTITIONS')?.default).toBe('6');
  });
});
