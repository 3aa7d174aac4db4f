import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, loadConfig, type AppConfig } from '@clickstream/config';

/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so this reads
 * them and checks that they agree with the code: variable names and values against the config
 * schema, ports against healthchecks and published ports, addresses against the services.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}

interface Service {
  image?: string;
  build?: string | { context?: string; args?: Record<string, unknown> | string[] };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
}

interface Compose {
  services: Record<string, Service>;
}

/** Variables the image itself reads (Dockerfile), outside the app config schema. */
const INFRASTRUCTURE_VARIABLES = ['APP', 'NODE_ENV'];
const APP_SERVICES = ['ingest', 'aggregator', 'gateway'] as const;

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Compose;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/**
 * Compose interpolation as `docker compose up` does it with nothing set in the shell:
 * `${VAR:-default}` and `${VAR-default}` give the default, `$$` is a literal `$`. A variable
 * without a default would be blank out of the box, so it is refused.
 */
function interpolate(value: string): string {
  return value.replace(/\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (match, _name, op: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    if (op !== undefined) return fallback ?? '';
    throw new Error(`${match} has no default, so the compose file would not work out of the box`);
  });
}

/** A service's environment as the container sees it, in either compose syntax. */
function environmentOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  const entries: [string, string][] = Array.isArray(env)
    ? env.map((line) => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value)]));
}

function configOf(name: string): AppConfig {
  return loadConfig(environmentOf(name));
}

/** `published:target`, `ip:published:target`, `target`, `.../tcp` or the long syntax. */
function portMappings(name: string): { published: number | undefined; target: number }[] {
  return (service(name).ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: port.published === undefined ? undefined : Number(port.published), target: Number(port.target) };
    const parts = String(port).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length >= 2 ? Number(parts[parts.length - 2]) : undefined;
    return { published, target };
  });
}

function healthcheckCommand(name: string): string {
  const test = service(name).healthcheck?.test;
  if (test === undefined) return '';
  return Array.isArray(test) ? test.slice(1).join(' ') : test;
}

function healthcheckUrl(name: string): URL {
  const match = /https?:\/\/[^\s'"`)]+/.exec(healthcheckCommand(name));
  if (!match) throw new Error(`the healthcheck of "${name}" calls no http URL: ${healthcheckCommand(name)}`);
  return new URL(match[0]);
}

const portOf = (url: URL): number => (url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port));

/** `NAME://host:port,...` as in KAFKA_LISTENERS and KAFKA_ADVERTISED_LISTENERS. */
function kafkaListeners(value: string | undefined): { name: string; host: string; port: number }[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(.*):(\d+)$/.exec(s);
      if (!m) throw new Error(`not a Kafka listener: ${s}`);
      return { name: m[1]!, host: m[2]!, port: Number(m[3]) };
    });
}

/** The stages of the Dockerfile, in order: base image and name. */
function dockerStages(): { image: string; name: string | undefined; body: string }[] {
  const lines = dockerfile.split('\n');
  const stages: { image: string; name: string | undefined; body: string }[] = [];
  for (const line of lines) {
    const from = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ image: from[1]!, name: from[2], body: '' });
    else if (stages.length > 0) stages[stages.length - 1]!.body += `${line}\n`;
  }
  return stages;
}

describe('compose test helpers', () => {
  it('interpolates ${VAR:-default} and ${VAR-default} to the default, $$ to $, and refuses a variable without default', () => {
    expect(interpolate('${A:-x}/${B-y}/$${C}')).toBe('x/y/${C}');
    expect(interpolate('http://${HOST_NAME:-localhost}:3001')).toBe('http://localhost:3001');
    expect(() => interpolate('${NO_DEFAULT}')).toThrow(/no default/);
    expect(() => interpolate('$NO_DEFAULT')).toThrow(/no default/);
  });
});

describe('docker-compose.yml', () => {
  it('defines kafka, clickhouse, ingest, aggregator and gateway, and only the apps run the project image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['aggregator', 'clickhouse', 'gateway', 'ingest', 'kafka']);
    expect(service('kafka').image).toMatch(/^apache\/kafka:3\.9\./);
    expect(service('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:/);
    const projectImage = service('ingest').image;
    const runningIt = Object.entries(compose.services).filter(([, s]) => s.image === projectImage).map(([name]) => name);
    expect(runningIt.sort()).toEqual([...APP_SERVICES].sort());
  });

  it('builds the shared app image from one definition: same tag, same context, no per-app build args', () => {
    const builds = APP_SERVICES.map((name) => {
      const s = service(name);
      const build = typeof s.build === 'string' ? { context: s.build } : s.build;
      expect(build, `${name} has no build`).toBeDefined();
      expect(build?.args, `${name}: build args would make one tag mean different images`).toBeUndefined();
      return { image: s.image, context: build?.context ?? '.' };
    });
    expect(new Set(builds.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(existsSync(join(root, builds[0]!.context, 'Dockerfile'))).toBe(true);
  });

  it('gives each app only variables of the config schema, besides the infrastructure variables APP and NODE_ENV', () => {
    const known = new Set<string>([...Object.keys(configSchema.shape), ...INFRASTRUCTURE_VARIABLES]);
    for (const name of APP_SERVICES) {
      const unknown = Object.keys(environmentOf(name)).filter((key) => !known.has(key));
      expect(unknown, `${name} sets variables no app reads`).toEqual([]);
    }
  });

  it('gives each app values the config accepts, with an external broker and a ClickHouse server', () => {
    for (const name of APP_SERVICES) {
      const config = configOf(name);
      expect(config.kafka.brokers, name).toBeDefined();
      expect(config.clickhouse.url, name).toBeDefined();
      // each app serves HTTP (the aggregator /metrics and /health): beyond the container's loopback
      expect(config.http.host, `${name} must listen on every interface in its container`).toBe('0.0.0.0');
    }
  });

  it('picks an app that exists: APP of each app service names apps/<APP>/src/main.ts', () => {
    for (const name of APP_SERVICES) {
      const app = environmentOf(name)['APP'];
      expect(app, `${name} sets no APP`).toBeDefined();
      expect(existsSync(join(root, 'apps', app!, 'src', 'main.ts')), `apps/${app}/src/main.ts`).toBe(true);
    }
    expect(APP_SERVICES.map((name) => environmentOf(name)['APP'])).toEqual([...APP_SERVICES]);
  });

  it('publishes each app on the port it listens on, and its healthcheck calls that port', () => {
    const cases = [
      { name: 'ingest', port: configOf('ingest').http.ingestPort, path: '/health' },
      { name: 'aggregator', port: configOf('aggregator').http.aggregatorPort, path: '/health' },
      { name: 'gateway', port: configOf('gateway').http.gatewayPort, path: '/' },
    ];
    for (const { name, port, path } of cases) {
      const mappings = portMappings(name);
      expect(mappings.length, `${name} publishes no port`).toBeGreaterThan(0);
      for (const mapping of mappings) {
        expect(mapping.target, `${name}: container port`).toBe(port);
        expect(mapping.published, `${name}: host port`).toBe(port);
      }
      const url = healthcheckUrl(name);
      expect(['127.0.0.1', 'localhost'], `${name} healthcheck host`).toContain(url.hostname);
      expect(portOf(url), `${name} healthcheck port`).toBe(port);
      expect(url.pathname, `${name} healthcheck path`).toBe(path);
    }
  });

  it('sends browsers to the published ports: PUBLIC_INGEST_URL and PUBLIC_GATEWAY_URL match the host ports', () => {
    const published = (name: string): number | undefined => portMappings(name)[0]?.published;
    for (const name of APP_SERVICES) {
      const { publicIngestUrl, publicGatewayUrl } = configOf(name).http;
      if (publicIngestUrl !== undefined) expect(portOf(new URL(publicIngestUrl)), `${name}: PUBLIC_INGEST_URL`).toBe(published('ingest'));
      if (publicGatewayUrl !== undefined) expect(portOf(new URL(publicGatewayUrl)), `${name}: PUBLIC_GATEWAY_URL`).toBe(published('gateway'));
    }
    // the dashboard puts the ingest address in the snippet it shows
    expect(configOf('gateway').http.publicIngestUrl).toBeDefined();
  });

  it('points KAFKA_BROKERS at an address the kafka service listens on and advertises', () => {
    const kafkaEnv = environmentOf('kafka');
    const controllers = new Set((kafkaEnv['KAFKA_CONTROLLER_LISTENER_NAMES'] ?? '').split(',').map((s) => s.trim()));
    const listening = kafkaListeners(kafkaEnv['KAFKA_LISTENERS']).filter((l) => !controllers.has(l.name));
    const advertised = kafkaListeners(kafkaEnv['KAFKA_ADVERTISED_LISTENERS']).filter((l) => !controllers.has(l.name));
    expect(advertised.length).toBeGreaterThan(0);
    expect(kafkaEnv['KAFKA_AUTO_CREATE_TOPICS_ENABLE'], 'the apps create their topics with set partition counts').toBe('false');
    for (const name of APP_SERVICES) {
      for (const broker of configOf(name).kafka.brokers ?? []) {
        const [host, port] = broker.split(':');
        expect(host, `${name}: KAFKA_BROKERS`).toBe('kafka');
        // clients bootstrap here, then connect to the advertised address: both must be this one
        const ad = advertised.find((l) => l.host === host && l.port === Number(port));
        expect(ad, `${name}: ${broker} is not advertised by kafka`).toBeDefined();
        expect(listening.some((l) => l.name === ad!.name && l.port === ad!.port), `${name}: kafka does not listen on ${broker}`).toBe(true);
      }
    }
  });

  it('points CLICKHOUSE_URL at the clickhouse service, on its HTTP port, with the credentials the server is given', () => {
    const serverEnv = environmentOf('clickhouse');
    const serverPort = portOf(healthcheckUrl('clickhouse'));
    for (const name of APP_SERVICES) {
      const ch = configOf(name).clickhouse;
      if (ch.url === undefined) throw new Error(`${name} has no CLICKHOUSE_URL`);
      const url = new URL(ch.url);
      expect(url.hostname, `${name}: CLICKHOUSE_URL`).toBe('clickhouse');
      expect(portOf(url), `${name}: CLICKHOUSE_URL port`).toBe(serverPort);
      expect(ch.user, `${name}: CLICKHOUSE_USER`).toBe(serverEnv['CLICKHOUSE_USER'] ?? 'default');
      expect(ch.password, `${name}: CLICKHOUSE_PASSWORD`).toBe(serverEnv['CLICKHOUSE_PASSWORD'] ?? '');
    }
  });

  it('migrates the schema from one app only, and starts the others once that one is healthy', () => {
    const migrating = APP_SERVICES.filter((name) => configOf(name).clickhouse.migrate);
    expect(migrating).toEqual(['aggregator']);
    for (const name of APP_SERVICES.filter((n) => !migrating.includes(n))) {
      const deps = (service(name).depends_on ?? {}) as Record<string, { condition?: string }>;
      expect(deps['aggregator']?.condition, `${name} waits for the migrations`).toBe('service_healthy');
    }
  });

  it('starts each app only once kafka and clickhouse are healthy, and every awaited service has a healthcheck', () => {
    for (const name of APP_SERVICES) {
      const dependsOn = service(name).depends_on;
      expect(Array.isArray(dependsOn), `${name}: the short depends_on form does not wait for health`).toBe(false);
      const deps = (dependsOn ?? {}) as Record<string, { condition?: string }>;
      expect(Object.keys(deps).sort(), `${name}: every app needs both (topics and migrations at start-up)`).toEqual(expect.arrayContaining(['clickhouse', 'kafka']));
      for (const [dep, spec] of Object.entries(deps)) {
        expect(spec.condition, `${name} -> ${dep}`).toBe('service_healthy');
        const check = service(dep).healthcheck;
        expect(check?.disable, `${dep} healthcheck disabled`).not.toBe(true);
        expect(healthcheckCommand(dep), `${dep} has no healthcheck`).not.toBe('');
      }
    }
  });

  it('restarts the apps unless stopped and gives each of them a healthcheck', () => {
    for (const name of APP_SERVICES) {
      expect((service(name) as { restart?: string }).restart, name).toBe('unless-stopped');
      expect(healthcheckCommand(name), `${name} has no healthcheck`).not.toBe('');
    }
  });
});

describe('Dockerfile', () => {
  it('runs on a Node LTS (22 or 24) in its final stage, built in an earlier stage', () => {
    const stages = dockerStages();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages[stages.length - 1]!;
    const major = /^node:(\d+)(?:[.-]|$)/.exec(final.image)?.[1];
    expect(major, `final image ${final.image}`).toBeDefined();
    expect([22, 24]).toContain(Number(major));
    expect(final.body).toMatch(/^\s*USER\s+node\s*$/m);
    const earlier = new Set(stages.slice(0, -1).map((s) => s.name));
    for (const copied of final.body.matchAll(/COPY\s+--from=(\S+)/g)) expect(earlier, `COPY --from=${copied[1]}`).toContain(copied[1]);
  });

  it('starts the built entry point of the app named by APP, and its default APP exists', () => {
    const final = dockerStages().at(-1)!;
    expect(final.body).toMatch(/^CMD .*dist\/apps\/\$\{?APP\}?\/src\/main\.js/m);
    const defaultApp = /^\s*ARG\s+APP=(\S+)/m.exec(final.body)?.[1];
    expect(defaultApp).toBeDefined();
    expect(existsSync(join(root, 'apps', defaultApp!, 'src', 'main.ts')), `apps/${defaultApp}/src/main.ts`).toBe(true);
    // the compiled layout: tsc writes apps/<app>/src/main.ts to dist/apps/<app>/src/main.js
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
  });
});
