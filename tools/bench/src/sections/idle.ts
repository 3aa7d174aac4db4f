import type { SocketJob, SocketReady, SocketStats } from '../clients/messages.js';
import { settled, type BenchContext } from '../support/bench-context.js';
import { ClientProcess } from '../support/client-process.js';
import { goal, type Goal } from '../support/goals.js';
import { appsTotal, cpuShares, cpuSnapshot, type CpuShares } from '../support/proc-cpu.js';
import { memorySnapshot, type MemoryShares } from '../support/proc-memory.js';
import { wakeupSnapshot, wakeupsPerSecond, type WakeupsPerSecond } from '../support/proc-wakeups.js';
import { round1, sleep } from '../support/stats.js';

/**
 * (0) The system at rest: no traffic, one dashboard open (a socket.io client on the system's own
 * gateway, as the dashboard page holds it). The CPU of every process of the system (the app
 * processes, the Kafka broker, the ClickHouse server) over a window, and their resident memory.
 * It runs first, on a system that has started and taken no traffic yet.
 */
export interface IdleResult {
  windowSeconds: number;
  /** The dashboard client got its snapshot and stayed connected through the window. */
  dashboardConnected: boolean;
  cpu: CpuShares;
  /** The app processes, the broker and the ClickHouse server together, % of one core. */
  systemCpu: number;
  memory: MemoryShares | undefined;
  /** Wake-ups per second of each app's main thread (absent in reports of earlier versions). */
  wakeups?: WakeupsPerSecond;
  goals: Goal[];
}

export const IDLE_CPU_GOAL = 5;
export const IDLE_MEMORY_GOAL_MB = 1500;

export async function runIdle(ctx: BenchContext): Promise<IdleResult> {
  const site = await ctx.createSite('idle');
  await settled(ctx);
  const dashboard = await ClientProcess.start<SocketJob, SocketReady, SocketStats>('socket-clients', {
    gatewayUrl: ctx.system.gatewayUrl,
    site: site.id,
    token: site.token,
    clients: 1,
    connectPerSecond: 1,
  });
  try {
    dashboard.client.begin();
    // the join's history reads and the new site's first writes settle first
    await sleep(ctx.quick ? 1000 : 10_000);
    const windowMs = ctx.quick ? 2000 : 60_000;
    const from = cpuSnapshot(ctx.pids);
    const wokenFrom = wakeupSnapshot(ctx.pids);
    await sleep(windowMs);
    const cpu = cpuShares(from, cpuSnapshot(ctx.pids));
    const wakeups = wakeupsPerSecond(ctx.pids, wokenFrom, wakeupSnapshot(ctx.pids));
    const memory = memorySnapshot(ctx.pids);
    dashboard.client.stop();
    const stats = await dashboard.client.result();
    const systemCpu = round1(appsTotal(cpu) + (cpu.kafka ?? 0) + (cpu.clickhouse ?? 0));
    ctx.log(`idle: the system used ${systemCpu}% of a core with one dashboard open; resident ${memory?.total ?? '?'} MB`);
    return {
      windowSeconds: windowMs / 1000,
      dashboardConnected: dashboard.ready.connected === 1 && stats.disconnects === 0,
      cpu,
      systemCpu,
      memory,
      ...(wakeups ? { wakeups } : {}),
      goals: [
        goal('idle system CPU, one dashboard open', cpu.apps ? systemCpu : null, '<=', IDLE_CPU_GOAL, '% of a core'),
        goal('idle system resident memory', memory?.total ?? null, '<=', IDLE_MEMORY_GOAL_MB, 'MB'),
      ],
    };
  } finally {
    dashboard.client.close();
  }
}
