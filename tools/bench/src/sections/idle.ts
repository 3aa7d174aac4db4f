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
 * It runs first, on a system that has started and taken no traffic yet: once in the first minute,
 * while the processes still do their start-up work (the broker's JIT compiler, V8's), and once
 * more, the dashboard still open, after that work has settled, as a running deployment sits idle.
 */
export interface IdleWindow {
  windowSeconds: number;
  cpu: CpuShares;
  /** The app processes, the broker and the ClickHouse server together, % of one core. */
  systemCpu: number;
  memory: MemoryShares | undefined;
  /** Wake-ups per second of each app's main thread (absent in reports of earlier versions). */
  wakeups?: WakeupsPerSecond;
}

export interface IdleResult extends IdleWindow {
  /** The dashboard client got its snapshot and stayed connected through the windows. */
  dashboardConnected: boolean;
  /** The second window, and how long after the first one ended it began (absent in reports of earlier versions). */
  settled?: IdleWindow & { afterSeconds: number };
  goals: Goal[];
}

export const IDLE_CPU_GOAL = 5;
export const IDLE_MEMORY_GOAL_MB = 1500;

/** The second window starts this long after the first one ends: about five minutes after the system started. */
const SETTLE_MS = 180_000;

async function measure(ctx: BenchContext, windowMs: number): Promise<IdleWindow> {
  const from = cpuSnapshot(ctx.pids);
  const wokenFrom = wakeupSnapshot(ctx.pids);
  await sleep(windowMs);
  const cpu = cpuShares(from, cpuSnapshot(ctx.pids));
  const wakeups = wakeupsPerSecond(ctx.pids, wokenFrom, wakeupSnapshot(ctx.pids));
  const memory = memorySnapshot(ctx.pids);
  const systemCpu = round1(appsTotal(cpu) + (cpu.kafka ?? 0) + (cpu.clickhouse ?? 0));
  return { windowSeconds: windowMs / 1000, cpu, systemCpu, memory, ...(wakeups ? { wakeups } : {}) };
}

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
    const first = await measure(ctx, ctx.quick ? 2000 : 60_000);
    ctx.log(`idle: the system used ${first.systemCpu}% of a core in its first minute with one dashboard open; resident ${first.memory?.total ?? '?'} MB`);
    const afterMs = ctx.quick ? 1000 : SETTLE_MS;
    await sleep(afterMs);
    const later = await measure(ctx, ctx.quick ? 2000 : 120_000);
    ctx.log(`idle: the system used ${later.systemCpu}% of a core once settled; resident ${later.memory?.total ?? '?'} MB`);
    dashboard.client.stop();
    const stats = await dashboard.client.result();
    const memory = later.memory ?? first.memory;
    return {
      ...first,
      dashboardConnected: dashboard.ready.connected === 1 && stats.disconnects === 0,
      settled: { ...later, afterSeconds: afterMs / 1000 },
      goals: [
        goal('idle system CPU, one dashboard open, settled', later.cpu.apps ? later.systemCpu : null, '<=', IDLE_CPU_GOAL, '% of a core'),
        goal('idle system resident memory', memory?.total ?? null, '<=', IDLE_MEMORY_GOAL_MB, 'MB'),
        goal('idle system CPU, one dashboard open, first minute after start', first.cpu.apps ? first.systemCpu : null, '<=', IDLE_CPU_GOAL, '% of a core'),
      ],
    };
  } finally {
    dashboard.client.close();
  }
}
