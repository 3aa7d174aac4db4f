import { readFileSync } from 'node:fs';
import { APP_NAMES, type AppName, type InfraPids } from './proc-cpu.js';

/** Resident memory of the system's processes, MB (VmRSS from /proc): each app (its processes together), the broker, the ClickHouse server. */
export interface MemoryShares {
  apps: Record<AppName, number>;
  kafka: number | null;
  clickhouse: number | null;
  /** Every process of the system together (the bench's own process and its clients left out). */
  total: number;
}

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const round = (mb: number): number => Math.round(mb);

/** The resident memory of every process of the system now; undefined when the app processes are not known (an external system). */
export function memorySnapshot(pids: InfraPids): MemoryShares | undefined {
  if (!pids.apps) return undefined;
  const current = pids.apps();
  const apps = Object.fromEntries(APP_NAMES.map((name) => [name, round(current[name].reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0))])) as Record<AppName, number>;
  const kafka = rssMb(pids.kafka);
  const clickhouse = rssMb(pids.clickhouse);
  const total = APP_NAMES.reduce((sum, name) => sum + apps[name], 0) + (kafka ?? 0) + (clickhouse ?? 0);
  return { apps, kafka: kafka === null ? null : round(kafka), clickhouse: clickhouse === null ? null : round(clickhouse), total: round(total) };
}

/** The larger of two readings, part by part (the peak over samples). */
export function peakMemory(a: MemoryShares | undefined, b: MemoryShares | undefined): MemoryShares | undefined {
  if (!a || !b) return a ?? b;
  const max = (x: number | null, y: number | null): number | null => (x === null ? y : y === null ? x : Math.max(x, y));
  return {
    apps: Object.fromEntries(APP_NAMES.map((name) => [name, Math.max(a.apps[name], b.apps[name])])) as Record<AppName, number>,
    kafka: max(a.kafka, b.kafka),
    clickhouse: max(a.clickhouse, b.clickhouse),
    total: Math.max(a.total, b.total),
  };
}

export function memoryLine(m: MemoryShares): string {
  return `${APP_NAMES.map((name) => `${name} ${m.apps[name]} MB`).join(', ')}, Kafka ${m.kafka ?? 'n/a'} MB, ClickHouse ${m.clickhouse ?? 'n/a'} MB; together ${m.total} MB`;
}
