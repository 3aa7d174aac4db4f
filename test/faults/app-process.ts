import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One built app (`dist/apps/<name>/src/main.js`, or the script given) run as its own process, as a container runs it. */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<Exit> | undefined;
  /** The last lines it printed, for the failure message of a test. */
  private tail: string[] = [];
  starts = 0;

  /** Everything it printed, for reading what it announced (npm start's links). */
  private printed = '';

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly script = `dist/apps/${name}/src/main.js`,
  ) {}

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [this.script], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      if (this.printed.length < 1_000_000) this.printed += chunk.toString();
      this.tail.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.tail.length > 40) this.tail.splice(0, this.tail.length - 40);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
    this.starts += 1;
    this.printed += `--- ${this.name} start ${this.starts}, pid ${child.pid}, at ${new Date().toISOString()}\n`;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends the signal and waits until the process is gone. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    const exit = this.exit;
    if (!this.child || !exit) throw new Error(`${this.name} is not running`);
    this.child.kill(signal);
    return exit;
  }

  output(): string {
    return this.tail.join('\n');
  }

  /** Everything it printed, every start marked (up to 1 MB), for a test to keep beside its results. */
  log(): string {
    return this.printed;
  }

  /** Waits until it has printed a line matching the pattern, and returns the match. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.printed.match(pattern);
      if (match) return match;
      if (!this.child) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Polls an HTTP address until it answers with one of the statuses. */
export async function waitForHttp(url: string, statuses: readonly number[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return res.status;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${statuses.join(' or ')} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
