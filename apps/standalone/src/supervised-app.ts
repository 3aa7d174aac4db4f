import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@clickstream/logger';
import type { ReadyMessage } from '@clickstream/platform';

/** How a supervised app is started: a forked process with an IPC channel (child_process.fork or a cluster worker). */
export type SpawnApp = (env: Record<string, string>) => ChildProcess;

export interface RestartPolicy {
  /** First delay before a restart; it doubles with each restart in the window, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** More restarts than this within windowMs and the supervisor gives up. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTARTS: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 15_000, maxRestarts: 5, windowMs: 60_000 };

/**
 * One app process under the supervisor: started, restarted with back-off when it dies, stopped
 * with SIGTERM (SIGKILL after a grace period). A process that dies before it was ever ready, or
 * too often, makes the supervisor give up with the reason and the app's last lines.
 */
export class SupervisedApp {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private restartsAt: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private wasReady = false;
  private readonly tail: string[] = [];
  private resolveReady!: (details: Record<string, unknown>) => void;
  private rejectReady!: (err: Error) => void;
  /** The details of the first ready message. */
  readonly ready: Promise<Record<string, unknown>>;

  constructor(
    readonly name: string,
    private readonly spawnApp: SpawnApp,
    private env: Record<string, string>,
    private readonly logger: Logger,
    private readonly giveUp: (reason: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTARTS,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Variables for the next starts (a port picked at random the first time is kept). */
  pin(env: Record<string, string>): void {
    this.env = { ...this.env, ...env };
  }

  start(): void {
    const child = this.spawnApp(this.env);
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) if (stream) this.relay(stream, stream === child.stderr);
    child.on('message', (message: unknown) => {
      if (isReady(message)) {
        this.wasReady = true;
        this.resolveReady(message.details);
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        resolve();
        this.onExit(code, signal);
      });
    });
  }

  /** SIGTERM, then SIGKILL once graceMs have passed; resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.logger.warn({ app: this.name, graceMs }, 'did not stop in time: killed');
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(killer);
    if (child.exitCode !== 0) throw new Error(`${this.name} stopped with ${child.exitCode === null ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`}`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const how = code === null ? `signal ${signal}` : `exit code ${code}`;
    if (!this.wasReady) {
      const reason = `${this.name} could not start (${how})${this.tail.length ? `:\n${this.tail.slice(-12).join('\n')}` : ''}`;
      this.rejectReady(new Error(reason));
      this.giveUp(reason);
      return;
    }
    const now = Date.now();
    this.restartsAt = [...this.restartsAt.filter((at) => now - at < this.policy.windowMs), now];
    if (this.restartsAt.length > this.policy.maxRestarts) {
      this.giveUp(`${this.name} died ${this.restartsAt.length} times within ${this.policy.windowMs / 1000} s (last: ${how})`);
      return;
    }
    const delayMs = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** (this.restartsAt.length - 1));
    this.logger.warn({ app: this.name, exit: how, restartInMs: delayMs, restartsInWindow: this.restartsAt.length }, 'app died: restarting it');
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.start();
      this.logger.info({ app: this.name, pid: this.child?.pid }, 'app restarted');
    }, delayMs);
  }

  /** The app's JSON log lines go out as they are (they name their app); anything else gets the app's name in front. */
  private relay(stream: NodeJS.ReadableStream, isStderr: boolean): void {
    const out = isStderr ? process.stderr : process.stdout;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
      out.write(line.startsWith('{') ? `${line}\n` : `[${this.name}] ${line}\n`);
    });
  }
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}
