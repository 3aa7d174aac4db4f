import type { LoadReport } from '../../../loadgen/src/load-runner.js';

/**
 * What the bench's client processes are told and tell back over IPC. Clients run in processes
 * of their own so that their CPU and event loop are never counted as the system's.
 */
export type ParentMessage<Job> = { type: 'job'; job: Job } | { type: 'start' } | { type: 'stop' };
export type ChildMessage<Ready, Result> = { type: 'ready'; ready: Ready } | { type: 'result'; result: Result } | { type: 'failed'; error: string };

/** CPU the client process itself used while it worked, to tell the machine's load apart from the system's. */
export interface ClientCpu {
  cpuMs: number;
  wallMs: number;
}

export interface LoadJob {
  collectUrl: string;
  rate: number;
  durationSeconds: number;
  batch: number;
  site: string;
  seed: number;
  malformedShare: number;
  maxInFlight: number;
}

/** The load generator's report without the accepted ids (the stored rows are counted by site instead). */
export type LoadSummary = Omit<LoadReport, 'acceptedIds'> & ClientCpu;

export interface ProbeJob {
  collectUrl: string;
  gatewayUrl: string;
  site: string;
  token: string;
  /** One probe event is due every this many ms, each sent once the previous one was acknowledged. */
  everyMs: number;
  durationMs: number;
  /** After the last probe, how long a probe may still take to show before it counts as unseen. */
  settleMs: number;
}

export interface ProbeResult extends ClientCpu {
  /** Probes answered 202. */
  acknowledged: number;
  /** Probes refused or failed (not counted: the live count only moves for acknowledged ones). */
  failed: Record<string, number>;
  /** Milliseconds from a probe's 202 to the first live update whose count includes it. */
  freshnessMs: number[];
  /** Acknowledged probes no update had shown by the end of the settle time. */
  unseen: number;
  /** Probes whose update arrived before their own 202 (counted as 0 ms). */
  seenBeforeAck: number;
  /** Milliseconds from sending a probe to its 202. */
  ackMs: number[];
  updates: number;
  /** The live count went past the acknowledged probes (a failed probe was stored after all): attribution is off by that much. */
  countAhead: number;
  /** The UTC day changed during the run; probes after that are not attributed. */
  dayChanged: boolean;
}

export interface SocketJob {
  gatewayUrl: string;
  site: string;
  token: string;
  clients: number;
  connectPerSecond: number;
}

export interface SocketReady {
  connected: number;
  connectErrors: Record<string, number>;
  connectMs: number;
}

export interface SocketStats extends ClientCpu {
  connected: number;
  disconnects: number;
  updates: number;
  /** Updates each client received per second, on average, between start and stop. */
  updatesPerClientPerSecond: number;
  bytesPerUpdate: number;
}
