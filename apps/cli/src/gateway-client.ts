import { z } from 'zod';
import type { AppConfig } from '@clickstream/config';
import { CliError } from './cli-error.js';

const siteView = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), dashboardUrl: z.string() });
const createdSite = siteView.extend({ token: z.string(), snippet: z.string() });
const siteList = z.object({ sites: z.array(siteView) });
const siteAlias = z.object({ alias: z.string(), kind: z.enum(['plausible', 'umami']) });
const addedAlias = siteAlias.extend({ site: z.string() });
const aliasList = z.object({ aliases: z.array(siteAlias) });
const opsReport = z.object({ consumerLag: z.number(), partitions: z.array(z.object({ partition: z.number(), lag: z.number() })), deadLetters: z.number() });
const goal = z.object({ id: z.string(), createdAt: z.string(), page: z.string().optional(), event: z.string().optional(), property: z.object({ key: z.string(), value: z.string() }).optional() });
const goalList = z.object({ goals: z.array(goal) });
const apiError = z.object({ error: z.string(), field: z.string().nullish(), detail: z.string().optional() });

export type SiteView = z.output<typeof siteView>;
export type CreatedSite = z.output<typeof createdSite>;
export type SiteAliasView = z.output<typeof siteAlias>;
export type AddedAlias = z.output<typeof addedAlias>;
export type OpsReport = z.output<typeof opsReport>;
export type GoalView = z.output<typeof goal>;
export type GoalTarget = { page: string } | { event: string; property?: { key: string; value: string } };

export type Fetch = typeof fetch;

/** The gateway the apps serve: PUBLIC_GATEWAY_URL, or http://HOST:GATEWAY_PORT. */
export function gatewayUrlOf(config: AppConfig): string {
  return (config.http.publicGatewayUrl ?? `http://${config.http.host}:${config.http.gatewayPort}`).replace(/\/+$/, '');
}

/**
 * The gateway's admin API over HTTP: sites are read and written through the gateway (which
 * knows the token secret and drops its caches), never in ClickHouse directly. Every failure
 * is a CliError in one line: the gateway's own `field: detail` when it answered one.
 */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly adminToken: string | undefined,
    private readonly fetchFn: Fetch = fetch,
    // the gateway may wait up to 10 s for Kafka on an admin change before it answers 503
    private readonly timeoutMs = 15_000,
  ) {}

  async listSites(): Promise<SiteView[]> {
    return (await this.call('GET', '/api/sites', siteList)).sites;
  }

  async addSite(id: string, name: string | undefined): Promise<CreatedSite> {
    return this.call('POST', '/api/sites', createdSite, name === undefined ? { id } : { id, name });
  }

  async rotateToken(id: string): Promise<CreatedSite> {
    return this.call('POST', `/api/sites/${encodeURIComponent(id)}/rotate-token`, createdSite);
  }

  async listAliases(site: string): Promise<SiteAliasView[]> {
    return (await this.call('GET', `/api/sites/${encodeURIComponent(site)}/aliases`, aliasList)).aliases;
  }

  async addAlias(site: string, alias: string): Promise<AddedAlias> {
    return this.call('POST', `/api/sites/${encodeURIComponent(site)}/aliases`, addedAlias, { alias });
  }

  async removeAlias(site: string, alias: string): Promise<void> {
    await this.call('DELETE', `/api/sites/${encodeURIComponent(site)}/aliases/${encodeURIComponent(alias)}`, z.undefined());
  }

  async listGoals(site: string): Promise<GoalView[]> {
    return (await this.call('GET', `/api/sites/${encodeURIComponent(site)}/goals`, goalList)).goals;
  }

  async addGoal(site: string, target: GoalTarget): Promise<GoalView> {
    return this.call('POST', `/api/sites/${encodeURIComponent(site)}/goals`, goal, target);
  }

  async removeGoal(site: string, id: string): Promise<void> {
    await this.call('DELETE', `/api/sites/${encodeURIComponent(site)}/goals/${encodeURIComponent(id)}`, z.undefined());
  }

  async ops(): Promise<OpsReport> {
    return this.call('GET', '/api/ops', opsReport);
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    if (!this.adminToken) throw new CliError('no admin token: set ADMIN_TOKEN or pass --admin-token (npm start prints it)');
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new CliError(`gateway unreachable at ${this.baseUrl} (is Clickstream running? set PUBLIC_GATEWAY_URL or GATEWAY_PORT)`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = apiError.safeParse(json);
      if (!err.success) throw new CliError(`the gateway answered ${res.status} to ${method} ${path}`);
      const { error, field, detail } = err.data;
      if (res.status === 401) throw new CliError(`the gateway refused the admin token (${detail ?? error}); check ADMIN_TOKEN or --admin-token`);
      throw new CliError(`${field ?? error}: ${detail ?? error}`);
    }
    const parsed = schema.safeParse(res.status === 204 ? undefined : json);
    if (!parsed.success) throw new CliError(`unexpected answer from the gateway to ${method} ${path} (is ${this.baseUrl} a Clickstream gateway?)`);
    return parsed.data;
  }
}
