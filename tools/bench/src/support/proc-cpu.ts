import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU time of the parts of a run, from /proc (Linux), in percent of one core over a window.
 * The bench runs the system as `npm start` does: ingest (its worker processes), the aggregator
 * and the gateway each a process of its own, each measured whole and by its main thread (the one
 * event loop that runs its JavaScript; the others are V8 and libuv helpers). The bench's own
 * process (the node* figures) hosts what a section starts in process: a bare baseline server, a
 * second gateway or aggregator. The ClickHouse server and the Kafka broker are processes of their
 * own (JVMs), each counted whole when this run started it.
 */
export interface CpuShares {
  /** Length of the window, seconds. */
  seconds: number;
  /**
   * The bench's own Node process (all threads). Reports of earlier versions, which ran ingest,
   * aggregator and gateway in that process, hold the three apps here.
   */
  node: number;
  /** Its main thread. */
  nodeMain: number;
  /** Its V8 and libuv helper threads. */
  nodeHelpers: number;
  /** The system's app processes (absent in reports of earlier versions, whose apps ran in `node`). */
  apps?: AppsCpu;
  /**
   * The ClickHouse server process, when this run started it (null with an external server).
   * Reports of earlier versions, whose ClickHouse ran inside the Node process, hold its threads here.
   */
  clickhouse: number | null;
  /** The Kafka broker JVM, when this run started it (null with an external Kafka). */
  kafka: number | null;
  /** Everything busy on the machine, this run or not (other processes included). */
  machine: number;
  /** Cores of the machine: the ceiling of `machine` is cores × 100. */
  cores: number;
}

/** One app's processes: all their threads, and the busiest main thread (the one event loop whose ceiling is one core). */
export interface AppCpu {
  processes: number;
  total: number;
  main: number;
}

export interface AppsCpu {
  ingest: AppCpu;
  aggregator: AppCpu;
  gateway: AppCpu;
}

export type AppName = keyof AppsCpu;
export const APP_NAMES: readonly AppName[] = ['ingest', 'aggregator', 'gateway'];

/** The processes this run started besides its own (undefined: external, not measured). */
export interface InfraPids {
  kafka: number | undefined;
  clickhouse: number | undefined;
  /** The app processes, read at each snapshot (a restarted app has a new pid). */
  apps?: () => Record<AppName, number[]>;
}

interface ThreadTicks {
  total: number;
  main: number;
}

export interface CpuSnapshot {
  at: number;
  self: ThreadTicks;
  apps: Record<AppName, Map<number, ThreadTicks>> | undefined;
  kafka: number | null;
  clickhouse: number | null;
  machine: { busy: number; total: number };
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc times (USER_HZ, 100 on common kernels). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a /proc/<pid>/stat or task stat line; the command name may hold spaces, so fields count from its closing parenthesis. */
function statTicks(path: string): number | undefined {
  try {
    const line = readFileSync(path, 'utf8');
    const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function threadTicks(pid: number): ThreadTicks | undefined {
  // the process's times include its threads that ended: every thread but the main one is a helper
  const total = statTicks(`/proc/${pid}/stat`);
  return total === undefined ? undefined : { total, main: statTicks(`/proc/${pid}/task/${pid}/stat`) ?? 0 };
}

function appTicks(pids: InfraPids['apps']): CpuSnapshot['apps'] {
  if (!pids) return undefined;
  const current = pids();
  const read = (list: number[]): Map<number, ThreadTicks> => new Map(list.flatMap((pid) => { const t = threadTicks(pid); return t ? [[pid, t] as const] : []; }));
  return { ingest: read(current.ingest), aggregator: read(current.aggregator), gateway: read(current.gateway) };
}

function machineTicks(): { busy: number; total: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((s, v) => s + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export const procAvailable = (): boolean => existsSync(`/proc/${process.pid}/task`);

const processTicks = (pid: number | undefined): number | null => (pid === undefined ? null : (statTicks(`/proc/${pid}/stat`) ?? null));

/** Reads the CPU counters of this process, its main thread, the ClickHouse server, the Kafka broker and the machine. */
export function cpuSnapshot(pids: InfraPids): CpuSnapshot {
  return {
    at: performance.now(),
    self: threadTicks(process.pid) ?? { total: 0, main: 0 },
    apps: appTicks(pids.apps),
    kafka: processTicks(pids.kafka),
    clickhouse: processTicks(pids.clickhouse),
    machine: machineTicks(),
  };
}

/** Shares of one core between two snapshots. */
export function cpuShares(from: CpuSnapshot, to: CpuSnapshot): CpuShares {
  const seconds = (to.at - from.at) / 1000;
  const hz = ticksPerSecond();
  const pct = (ticks: number): number => Math.round((ticks / hz / Math.max(seconds, 1e-3)) * 1000) / 10;
  const pctOf = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : pct(b - a));
  const total = to.self.total - from.self.total;
  const main = to.self.main - from.self.main;
  const cores = cpus().length;
  const app = (name: AppName): AppCpu => {
    // a process that is in both snapshots (one restarted meanwhile counts from its start)
    let total = 0;
    let main = 0;
    for (const [pid, end] of to.apps![name]) {
      const start = from.apps![name].get(pid) ?? { total: 0, main: 0 };
      total += end.total - start.total;
      main = Math.max(main, end.main - start.main);
    }
    return { processes: to.apps![name].size, total: pct(total), main: pct(main) };
  };
  const apps = from.apps && to.apps ? { ingest: app('ingest'), aggregator: app('aggregator'), gateway: app('gateway') } : undefined;
  const machineTotal = to.machine.total - from.machine.total;
  return {
    seconds: Math.round(seconds * 10) / 10,
    node: pct(total),
    nodeMain: pct(main),
    nodeHelpers: pct(Math.max(0, total - main)),
    ...(apps ? { apps } : {}),
    clickhouse: pctOf(from.clickhouse, to.clickhouse),
    kafka: pctOf(from.kafka, to.kafka),
    machine: machineTotal > 0 ? Math.round(((to.machine.busy - from.machine.busy) / machineTotal) * cores * 1000) / 10 : 0,
    cores,
  };
}

/** CPU used on the machine by none of the system's processes (Node, ClickHouse server, broker) nor `clients`: other work, which makes a figure noisy. */
export function otherCpu(cpu: CpuShares, clients = 0): number {
  return Math.max(0, Math.round((cpu.machine - systemCpu(cpu) - clients) * 10) / 10);
}

/** The system's own CPU: the bench's Node process, the app processes, and the ClickHouse server and the broker when measured. */
const systemCpu = (cpu: CpuShares): number => cpu.node + appsTotal(cpu) + (cpu.clickhouse ?? 0) + (cpu.kafka ?? 0);

/** The app processes together (0 in reports of earlier versions, whose apps ran in the Node process). */
export const appsTotal = (cpu: CpuShares): number => (cpu.apps ? APP_NAMES.reduce((sum, name) => sum + cpu.apps![name].total, 0) : 0);

/** Runs `work` and returns its result with the CPU shares over its run. */
export async function withCpu<T>(pids: InfraPids, work: () => Promise<T>): Promise<{ result: T; cpu: CpuShares }> {
  const from = cpuSnapshot(pids);
  const result = await work();
  return { result, cpu: cpuShares(from, cpuSnapshot(pids)) };
}

/** One measured part of the system in a window: its share of one core, and the ceiling of its busiest single thread where it has one that matters. */
export interface CpuPart {
  /** Short label for tables. */
  label: string;
  /** Name for sentences. */
  name: string;
  share: number;
  /** The part's own ceiling in % of one core: its cores for a set of processes, 100 for one event loop, the machine's for a JVM. */
  ceiling: number;
}

/**
 * The system's parts in a window, app processes first: each app whole, and the busiest main
 * thread of ingest and the aggregator (one event loop each, so one core is their ceiling);
 * reports of earlier versions give the one Node process's main thread and helpers instead.
 */
export function cpuParts(cpu: CpuShares): CpuPart[] {
  const machine = cpu.cores * 100;
  const infra: CpuPart[] = [
    { label: 'CH', name: 'the ClickHouse server', share: cpu.clickhouse ?? 0, ceiling: machine },
    { label: 'Kafka', name: 'the Kafka broker', share: cpu.kafka ?? 0, ceiling: machine },
  ];
  if (!cpu.apps) {
    return [
      { label: 'main', name: 'the Node main thread (the JavaScript of ingest, aggregator and gateway shares its one event loop)', share: cpu.nodeMain, ceiling: 100 },
      { label: 'helpers', name: 'the Node helper threads', share: cpu.nodeHelpers, ceiling: machine },
      ...infra,
    ];
  }
  const { ingest, aggregator, gateway } = cpu.apps;
  return [
    { label: `ingest x${ingest.processes}`, name: `ingest (${ingest.processes} processes)`, share: ingest.total, ceiling: Math.min(machine, ingest.processes * 100) },
    { label: 'ingest main', name: "ingest's busiest main thread (one event loop per process)", share: ingest.main, ceiling: 100 },
    { label: 'aggregator', name: 'the aggregator process', share: aggregator.total, ceiling: machine },
    { label: 'aggregator main', name: "the aggregator's main thread (its one event loop)", share: aggregator.main, ceiling: 100 },
    { label: 'gateway', name: 'the gateway process', share: gateway.total, ceiling: machine },
    ...infra,
  ];
}

/** µs of one core per event: a share of one core (%) spent while `eventsPerSecond` went through. */
export const usPerEvent = (share: number | null, eventsPerSecond: number): number => Math.round(((share ?? 0) * 10_000) / eventsPerSecond);

/** Each part's CPU per event and the load generator's, e.g. 'ingest x2 754, ..., Kafka 614, load gen 229'. */
export function partsPerEvent(cpu: CpuShares, loadClientCpu: number, eventsPerSecond: number): string {
  return `${cpuParts(cpu).map((p) => `${p.label} ${usPerEvent(p.share, eventsPerSecond)}`).join(', ')}, load gen ${usPerEvent(loadClientCpu, eventsPerSecond)}`;
}
