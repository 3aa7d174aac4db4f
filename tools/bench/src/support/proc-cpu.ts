import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU time of the parts of a run, from /proc (Linux), in percent of one core over a window.
 * The bench runs ingest, aggregator and gateway in one Node process: its main thread runs
 * their JavaScript on one event loop; its other threads are V8 and libuv helpers (GC,
 * compilation, the libuv pool). The ClickHouse server and the Kafka broker are processes of
 * their own (JVMs), each counted whole when this run started it.
 */
export interface CpuShares {
  /** Length of the window, seconds. */
  seconds: number;
  /** The whole Node process of the system (all threads). */
  node: number;
  /** Its main thread: the JavaScript of the three apps, kafkajs, socket.io, fastify. */
  nodeMain: number;
  /** V8 and libuv helper threads. */
  nodeHelpers: number;
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

/** The processes this run started besides its own (undefined: external, not measured). */
export interface InfraPids {
  kafka: number | undefined;
  clickhouse: number | undefined;
}

interface ThreadTicks {
  total: number;
  main: number;
}

export interface CpuSnapshot {
  at: number;
  self: ThreadTicks;
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

function parentOf(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The Kafka broker this process started (a child running kafka.Kafka), or undefined with an external Kafka. */
export function findKafkaBrokerPid(parent = process.pid): number | undefined {
  if (!existsSync('/proc')) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (parentOf(pid) !== parent) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('kafka.Kafka')) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function selfTicks(): ThreadTicks {
  const pid = process.pid;
  // the process's times include its threads that ended: every thread but the main one is a helper
  return { total: statTicks(`/proc/${pid}/stat`) ?? 0, main: statTicks(`/proc/${pid}/task/${pid}/stat`) ?? 0 };
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
    self: selfTicks(),
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
  const machineTotal = to.machine.total - from.machine.total;
  return {
    seconds: Math.round(seconds * 10) / 10,
    node: pct(total),
    nodeMain: pct(main),
    nodeHelpers: pct(Math.max(0, total - main)),
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

/** The system's own CPU: the Node process, and the ClickHouse server and the broker when measured. */
const systemCpu = (cpu: CpuShares): number => cpu.node + (cpu.clickhouse ?? 0) + (cpu.kafka ?? 0);

/** Runs `work` and returns its result with the CPU shares over its run. */
export async function withCpu<T>(pids: InfraPids, work: () => Promise<T>): Promise<{ result: T; cpu: CpuShares }> {
  const from = cpuSnapshot(pids);
  const result = await work();
  return { result, cpu: cpuShares(from, cpuSnapshot(pids)) };
}
