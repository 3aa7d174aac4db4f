import type { AppConfig } from '@clickstream/config';

/** Where a command writes: process.stdout and process.stderr, or a test's buffers. */
export interface Output {
  write(text: string): unknown;
}

export interface CliContext {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The apps' configuration (the same environment variables), read on first use so --help works without it. */
  config(): AppConfig;
  /** Settles when the operator presses Ctrl-C (or SIGTERM comes); without a caller, Ctrl-C ends the process at once. */
  untilInterrupted(): Promise<void>;
}

/** One `clickstream <command>`: its --help text and what it does; resolves with the exit code. */
export interface Command {
  usage: string;
  run(args: string[], context: CliContext): Promise<number>;
}
