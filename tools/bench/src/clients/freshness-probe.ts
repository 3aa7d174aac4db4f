import { io, type Socket } from 'socket.io-client';
import type { LiveSnapshot, LiveState } from '../../../../apps/gateway/src/live/live.events.js';
import { cpuMsSince, serveClient } from './client-process.js';
import type { ProbeJob, ProbeResult } from './messages.js';

/**
 * Measures freshness: the time from an event's 202 to the first live update that counts it.
 *
 * Probe events go to a site of their own (no other traffic), one at a time: the next is sent
 * only after the previous one was acknowledged, all from one visitor (one IP and browser), so
 * they share one Kafka partition and are counted in the order they were acknowledged. The
 * site's live page-view count then says exactly which probes an update includes: a count of n
 * above the count at connection includes the first n acknowledged probes.
 */

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PROBE_IP = '10.254.0.1';

let socket: Socket | undefined;
let baseline = 0;
let dayStart = 0;
let dayChanged = false;
let updates = 0;
let seenCount = 0;
const seenAt: number[] = [];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function onState(state: LiveState): void {
  updates += 1;
  if (state.dayStart !== dayStart) {
    dayChanged = true;
    return;
  }
  const seen = state.todayPageviews - baseline;
  const now = performance.now();
  for (let k = seenCount; k < seen; k++) seenAt[k] = now;
  seenCount = Math.max(seenCount, seen);
}

serveClient<ProbeJob, { baseline: number }, ProbeResult>({
  prepare: async (job) => {
    const s = io(`${job.gatewayUrl}/live`, { auth: { site: job.site, token: job.token }, transports: ['websocket'], forceNew: true });
    socket = s;
    const snapshot = await new Promise<LiveSnapshot>((resolve, reject) => {
      s.once('connect_error', (err: Error) => reject(new Error(`probe socket refused: ${err.message}`)));
      s.once('snapshot', (snap: LiveSnapshot) => resolve(snap));
    });
    baseline = snapshot.todayPageviews;
    dayStart = snapshot.dayStart;
    s.on('update', onState);
    return { baseline };
  },
  run: async (job, stopped) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let done = false;
    void stopped.then(() => (done = true));
    const ackAt: number[] = [];
    const ackMs: number[] = [];
    const failed: Record<string, number> = {};
    const send = async (n: number): Promise<string> => {
      try {
        const res = await fetch(job.collectUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER, 'X-Forwarded-For': PROBE_IP },
          body: JSON.stringify({ site: job.site, url: `https://${job.site}.example/probe/${n}`, title: 'probe', id: `probe-${job.site}-${n}`.slice(0, 64) }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        return String(res.status);
      } catch {
        return 'error';
      }
    };
    let slot = 0;
    while (!done && performance.now() - started < job.durationMs) {
      const due = started + slot * job.everyMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sentAt = performance.now();
      const status = await send(ackAt.length + 1);
      if (status === '202') {
        ackAt.push(performance.now());
        ackMs.push(performance.now() - sentAt);
      } else failed[status] = (failed[status] ?? 0) + 1;
      // the next free slot: a slow answer skips slots rather than bursting to catch up
      slot = Math.max(slot + 1, Math.ceil((performance.now() - started) / job.everyMs));
    }
    const settleUntil = performance.now() + job.settleMs;
    while (seenCount < ackAt.length && performance.now() < settleUntil && !dayChanged) await sleep(20);
    socket?.close();
    const freshnessMs: number[] = [];
    let unseen = 0;
    let seenBeforeAck = 0;
    for (let k = 0; k < ackAt.length; k++) {
      const seen = seenAt[k];
      if (seen === undefined) unseen += 1;
      else {
        if (seen < ackAt[k]!) seenBeforeAck += 1;
        freshnessMs.push(Math.max(0, Math.round((seen - ackAt[k]!) * 10) / 10));
      }
    }
    return {
      acknowledged: ackAt.length,
      failed,
      freshnessMs,
      unseen,
      seenBeforeAck,
      ackMs: ackMs.map((ms) => Math.round(ms * 10) / 10),
      updates,
      countAhead: Math.max(0, seenCount - ackAt.length),
      dayChanged,
      cpuMs: cpuMsSince(cpu),
      wallMs: Math.round(performance.now() - started),
    };
  },
});
