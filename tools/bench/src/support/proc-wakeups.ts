import { readFileSync } from 'node:fs';
import { APP_NAMES, type AppName, type InfraPids } from './proc-cpu.js';

/**
 * How often each app's main thread was woken (Linux: its context switches in /proc), per second:
 * an idle event loop sleeps until its next timer or socket event, so this counts the timers and
 * polls that keep an idle process busy. Per app, the busiest of its processes.
 */
export type WakeupsPerSecond = Record<AppName, number>;

export interface WakeupSnapshot {
  at: number;
  switches: Map<number, number>;
}

function mainThreadSwitches(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const count = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches');
  } catch {
    return undefined;
  }
}

export function wakeupSnapshot(pids: InfraPids): WakeupSnapshot {
  const switches = new Map<number, number>();
  for (const list of Object.values(pids.apps?.() ?? {})) for (const pid of list) {
    const n = mainThreadSwitches(pid);
    if (n !== undefined) switches.set(pid, n);
  }
  return { at: performance.now(), switches };
}

export function wakeupsPerSecond(pids: InfraPids, from: WakeupSnapshot, to: WakeupSnapshot): WakeupsPerSecond | undefined {
  const apps = pids.apps?.();
  if (!apps) return undefined;
  const seconds = Math.max((to.at - from.at) / 1000, 1e-3);
  const result = {} as WakeupsPerSecond;
  for (const name of APP_NAMES) {
    let busiest = 0;
    for (const pid of apps[name]) {
      const start = from.switches.get(pid);
      const end = to.switches.get(pid);
      if (start !== undefined && end !== undefined) busiest = Math.max(busiest, (end - start) / seconds);
    }
    result[name] = Math.round(busiest);
  }
  return result;
}
