import type { AppConfig } from '@clickstream/config';
import { startGateway } from '../../../../apps/gateway/src/gateway.app.js';
import type { LoadJob, LoadSummary, SocketJob, SocketReady, SocketStats } from '../clients/messages.js';
import type { BenchContext } from '../support/bench-context.js';
import { ClientProcess } from '../support/client-process.js';
import { goal, type Goal } from '../support/goals.js';
import { cpuShares, cpuSnapshot, type CpuShares } from '../support/proc-cpu.js';
import { extraRuntime } from '../support/second-app.js';
import { round1, sleep } from '../support/stats.js';

/**
 * (6) The gateway's CPU serving many socket.io clients. The bench runs all apps in one process,
 * so the gateway's share is a difference: the process's CPU with the clients connected minus its
 * CPU without them, under the same background load. The clients watch a second gateway
 * instance in the same process (the real startGateway, on the same Kafka and ClickHouse) set to
 * LIVE_EMIT_INTERVAL_MS=1000, i.e. one update per second per client; the system's own gateway
 * keeps its default interval for the freshness figures. The clients run in another process.
 * Measured windows: none, then the clients, then none again; the two "none" are averaged.
 */
export interface GatewayResult {
  clients: number;
  emitIntervalMs: number;
  rate: number;
  windowSeconds: number;
  connect: SocketReady;
  without: CpuShares[];
  with: CpuShares;
  clientStats: SocketStats;
  /**
   * % of one core: the Node process (main and helper threads) with clients minus without. The
   * ClickHouse server, a process of its own, is left out: the gateway reads ClickHouse only when a
   * site's first client joins (before the window), while the server's merges of the background
   * load's inserts come and go on their own.
   */
  gatewayShare: number;
  /** Reports of earlier versions only, whose ClickHouse engine ran in the Node process: the same difference with its threads. */
  processShare?: number;
  /** Half the difference between the two windows without clients, on Node's threads: how far the baseline itself moved. */
  noise?: number;
  /** The same difference on the main thread alone (JavaScript). */
  mainThreadShare: number;
  socketClientsCpu: number;
  goals: Goal[];
}

export async function runGateway(ctx: BenchContext): Promise<GatewayResult> {
  const clients = ctx.quick ? 30 : 1000;
  // enough traffic for an update every second; more would only add noise to a small difference
  const rate = 200;
  const windowMs = ctx.quick ? 1500 : 30_000;
  const emitIntervalMs = 1000;
  const site = await ctx.createSite('gw');
  const config: AppConfig = { ...ctx.system.config, http: { ...ctx.system.config.http, gatewayPort: 0, liveEmitIntervalMs: emitIntervalMs } };
  const gateway = await startGateway(await extraRuntime(ctx, config));
  await sleep(1100);
  const loadJob: LoadJob = { collectUrl: ctx.collectUrl, rate, durationSeconds: 3600, batch: 1, site: site.id, seed: ctx.nextSeed(), malformedShare: 0, maxInFlight: 512 };
  const load = await ClientProcess.start<LoadJob, null, LoadSummary>('load-client', loadJob);
  let sockets: ClientProcess<SocketJob, SocketReady, SocketStats> | undefined;
  try {
    load.client.begin();
    // the second gateway's consumer group and the new site's first inserts settle first (with 5 s the
    // first window saw the Kafka broker at 35-40%, the later ones at 15%; with 15 s, 30%)
    await sleep(ctx.quick ? 1000 : 15_000);
    const window = async (): Promise<CpuShares> => {
      const from = cpuSnapshot(ctx.pids);
      await sleep(windowMs);
      return cpuShares(from, cpuSnapshot(ctx.pids));
    };
    const before = await window();
    const started = await ClientProcess.start<SocketJob, SocketReady, SocketStats>('socket-clients', {
      gatewayUrl: gateway.url,
      site: site.id,
      token: site.token,
      clients,
      connectPerSecond: ctx.quick ? 200 : 100,
    });
    sockets = started.client;
    ctx.log(`gateway: ${started.ready.connected} clients connected in ${started.ready.connectMs} ms`);
    await sleep(ctx.quick ? 500 : 3000);
    sockets.begin();
    const withClients = await window();
    sockets.stop();
    const clientStats = await sockets.result();
    sockets.close();
    await sleep(ctx.quick ? 500 : 3000);
    const after = await window();
    const mean = (pick: (c: CpuShares) => number) => (pick(before) + pick(after)) / 2;
    const gatewayShare = round1(withClients.node - mean((c) => c.node));
    const noise = round1(Math.abs(before.node - after.node) / 2);
    const mainThreadShare = round1(withClients.nodeMain - mean((c) => c.nodeMain));
    ctx.log(`gateway: ${clients} clients cost ${gatewayShare}% of a core (Node process), ${mainThreadShare}% (main thread); ${clientStats.updatesPerClientPerSecond} updates/client/s`);
    return {
      clients,
      emitIntervalMs,
      rate,
      windowSeconds: windowMs / 1000,
      connect: started.ready,
      without: [before, after],
      with: withClients,
      clientStats,
      gatewayShare,
      noise,
      mainThreadShare,
      socketClientsCpu: round1((clientStats.cpuMs / Math.max(1, clientStats.wallMs)) * 100),
      goals: [goal(`gateway CPU with ${clients} clients at one update per second`, gatewayShare, '<=', 10, '% of a core')],
    };
  } finally {
    sockets?.close();
    load.client.close();
    await gateway.close();
  }
}
