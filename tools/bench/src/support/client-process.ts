import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from '../clients/messages.js';

export type ClientScript = 'load-client' | 'freshness-probe' | 'socket-clients';

/**
 * The parent side of a client process (tools/bench/src/clients): fork, hand over the job,
 * wait until it is ready, start it, and collect its result. One message of each kind.
 */
export class ClientProcess<Job, Ready, Result> {
  private readonly messages: ChildMessage<Ready, Result>[] = [];
  private waiters: (() => void)[] = [];
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage<Ready, Result>) => {
      this.messages.push(message);
      this.wake();
    });
    child.once('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks the client and resolves once it is set up (connected, subscribed...). */
  static async start<Job, Ready, Result>(script: ClientScript, job: Job): Promise<{ client: ClientProcess<Job, Ready, Result>; ready: Ready }> {
    const child = fork(fileURLToPath(new URL(`../clients/${script}.js`, import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const client = new ClientProcess<Job, Ready, Result>(child);
    client.send({ type: 'job', job });
    try {
      const ready = await client.next('ready');
      return { client, ready };
    } catch (err) {
      client.close();
      throw err;
    }
  }

  begin(): void {
    this.send({ type: 'start' });
  }

  stop(): void {
    this.send({ type: 'stop' });
  }

  async result(): Promise<Result> {
    return this.next('result');
  }

  /** Ends the process if it is still running (it exits by itself when the bench disconnects). */
  close(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }

  private send(message: ParentMessage<Job>): void {
    if (!this.exited) this.child.send(message);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async next(type: 'ready'): Promise<Ready>;
  private async next(type: 'result'): Promise<Result>;
  private async next(type: 'ready' | 'result'): Promise<Ready | Result> {
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type || m.type === 'failed');
      if (index !== -1) {
        const [message] = this.messages.splice(index, 1);
        if (message!.type === 'failed') throw new Error(`client process failed: ${message!.error}`);
        return message!.type === 'ready' ? message!.ready : (message as { type: 'result'; result: Result }).result;
      }
      if (this.exited) throw new Error(`client process exited before sending its ${type}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
