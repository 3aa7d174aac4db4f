import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * CPU time of the parts of a run, from /proc (Linux), in percent of one core over a window.
 * The embedded system is one Node process: its main thread runs the JavaScript of ingest,
 * aggregator and gateway on one event loop; threads named "node" are V8 and libuv helpers
 * (GC, compilation, the libuv pool); every other thread belongs to the embedded ClickHouse
 * engine (chDB names its pools: ThreadPool, BgSchPool, MergeMutate...). Threads that ended
 * during the window are counted with ClickHouse, whose pools start and stop threads; the
 * Node helpers live as long as the process.
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
  /** The embedded ClickHouse engine's threads. */
  clickhouse: number;
  /** The Kafka broker JVM, when this run started it (null with an external Kafka). */
  kafka: number | null;
  /** Everything busy on the machine, this run or not (other processes included). */
  machine: number;
  /** Cores of the machine: the ceiling of `machine` is cores × 100. */
  cores: number;
}

interface ThreadTicks {
  total: number;
  main: number;
  helpers: Map<number, number>;
}

export interface CpuSnapshot {
  at: number;
  self: ThreadTicks;
  kafka: number | null;
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
  const helpers = new Map<number, number>();
  let main = 0;
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    const tid = Number(entry);
    const ticks = statTicks(`/proc/${pid}/task/${tid}/stat`);
    if (ticks === undefined) continue;
    if (tid === pid) main = ticks;
    else {
      let comm = '';
      try {
        comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm === 'node') helpers.set(tid, ticks);
    }
  }
  return { total: statTicks(`/proc/${pid}/stat`) ?? 0, main, helpers };
}

function machineTicks(): { busy: number; total: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((s, v) => s + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export const procAvailable = (): boolean => existsSync(`/proc/${process.pid}/task`);

/** Reads the CPU counters of this process's threads, the Kafka broker and the machine. */
export function cpuSnapshot(kafkaPid: number | undefined): CpuSnapshot {
  return {
    at: performance.now(),
    self: selfTicks(),
    kafka: kafkaPid === undefined ? null : (statTicks(`/proc/${kafkaPid}/stat`) ?? null),
    machine: machineTicks(),
  };
}

/** Shares of one core between two snapshots. */
export function cpuShares(from: CpuSnapshot, to: CpuSnapshot): CpuShares {
  const seconds = (to.at - from.at) / 1000;
  const hz = ticksPerSecond();
  const pct = (ticks: number): number => Math.round((ticks / hz / Math.max(seconds, 1e-3)) * 1000) / 10;
  let helpers = 0;
  for (const [tid, ticks] of to.self.helpers) helpers += ticks - (from.self.helpers.get(tid) ?? 0);
  const total = to.self.total - from.self.total;
  const main = to.self.main - from.self.main;
  const cores = cpus().length;
  const machineTotal = to.machine.total - from.machine.total;
  return {
    seconds: Math.round(seconds * 10) / 10,
    node: pct(total),
    nodeMain: pct(main),
    nodeHelpers: pct(helpers),
    clickhouse: pct(Math.max(0, total - main - helpers)),
    kafka: from.kafka === null || to.kafka === null ? null : pct(to.kafka - from.kafka),
    machine: machineTotal > 0 ? Math.round(((to.machine.busy - from.machine.busy) / machineTotal) * cores * 1000) / 10 : 0,
    cores,
  };
}

/** CPU used on the machine by neither the system's process nor the broker (nor `clients`): other work, which makes a figure noisy. */
export function otherCpu(cpu: CpuShares, clients = 0): number {
  return Math.max(0, Math.round((cpu.machine - cpu.node - (cpu.kafka ?? 0) - clients) * 10) / 10);
}

/** Runs `work` and returns its result with the CPU shares over its run. */
export async function withCpu<T>(kafkaPid: number | undefined, work: () => Promise<T>): Promise<{ result: T; cpu: CpuShares }> {
  const from = cpuSnapshot(kafkaPid);
  const result = await work();
  return { result, cpu: cpuShares(from, cpuSnapshot(kafkaPid)) };
}
