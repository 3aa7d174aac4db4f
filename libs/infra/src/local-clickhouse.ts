import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inheritedEnvironment } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { endProcess } from './end-process.js';
import { ensureKafkaJars, jnaJar } from './kafka-jars.js';
import { claimPort } from './ports.js';

export interface LocalClickHouseOptions {
  projectRoot: string;
  port: number;
  dataDir: string;
  /** Where the Maven step keeps its jars (JNA among them). */
  cacheDir: string;
  logger: Logger;
  /**
   * The data folder of the engine that older versions ran inside the app process (CHDB_PATH):
   * when dataDir does not exist yet and this folder does, it becomes dataDir, so nothing is lost.
   */
  adoptFolder?: string;
  startTimeoutMs?: number;
}

export interface RunningClickHouse {
  /** The HTTP interface, loopback only. */
  url: string;
  pid: number;
  /** Settles when the server process ends, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Ends the server's input (it stops cleanly and says "Bye."), then signals it if it lingers. */
  stop(): Promise<void>;
}

/** The chdb npm package's ClickHouse engine, a shared library its platform package ships. */
function libchdbPath(): string {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(`@chdb/lib-${process.platform}-${process.arch}-gnu/package.json`));
  } catch {
    throw new Error(
      `the ClickHouse engine is not installed (npm package @chdb/lib-${process.platform}-${process.arch}-gnu, a dependency of chdb): ` +
        'run npm install, or set CLICKHOUSE_URL to a ClickHouse server',
    );
  }
  const lib = join(dir, 'libchdb.so');
  if (!existsSync(lib)) throw new Error(`the ClickHouse engine ${lib} is missing: run npm install again (its install must not be skipped), or set CLICKHOUSE_URL to a ClickHouse server`);
  return lib;
}

/**
 * Starts a ClickHouse server on 127.0.0.1 from the chdb package's engine, run through JNA by
 * infra/clickhouse/ClickHouseServer.java. It reads nothing from its standard input but stops at
 * its end, so it dies with the process that started it, whatever way that process ends.
 * The engine's user configuration cannot require a password in this mode (see README): it
 * listens on the loopback address only.
 */
export async function startLocalClickHouse(options: LocalClickHouseOptions): Promise<RunningClickHouse> {
  const { logger } = options;
  const port = await claimPort(options.port, 'CLICKHOUSE_LOCAL_PORT');
  const lib = libchdbPath();
  const libs = await ensureKafkaJars(options.projectRoot, options.cacheDir, logger);
  const dataDir = resolve(options.dataDir);
  if (options.adoptFolder !== undefined) await adoptOldFolder(resolve(options.adoptFolder), dataDir, logger);
  await mkdir(dataDir, { recursive: true });

  const serverLog = join(dataDir, 'server.log');
  const out = createWriteStream(serverLog, { flags: 'a' });
  const launcher = join(options.projectRoot, 'infra', 'clickhouse', 'ClickHouseServer.java');
  const args = [
    '-cp', jnaJar(libs), launcher, lib, `--path=${dataDir}`, `--http_port=${port}`, '--listen_host=127.0.0.1', '--query', 'SYSTEM START LISTEN HTTP', '--interactive',
    // server settings follow the `--`. The memory worker re-reads the process's memory from
    // jemalloc every 100 ms by default to correct the memory tracker: on an idle server it was
    // most of the CPU (0.61% of a core against 0.31% with a 1 s tick, side by side on this machine)
    '--', '--memory_worker_period_ms=1000',
  ];
  // its own process group: Ctrl-C reaches the app, which stops the server after the apps
  // the interactive engine wants a history file: $HOME may be unset (a service, a test's process)
  const env = { ...inheritedEnvironment(), CLICKHOUSE_HISTORY_FILE: join(dataDir, '.clickhouse-history') };
  const server = spawn('java', args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env });
  server.stdout.pipe(out);
  server.stderr.pipe(out);
  server.stdin.on('error', () => undefined);
  const spawnError = new Promise<Error>((res) => server.once('error', (err: NodeJS.ErrnoException) => res(err)));
  const exited = new Promise<number | null>((res) => {
    server.once('exit', (code) => res(code));
    void spawnError.then(() => res(-1));
  });
  // the pipe and the child keep no event loop alive: the parent decides when to stop
  server.unref();
  for (const stream of [server.stdin, server.stdout, server.stderr]) (stream as unknown as { unref?: () => void }).unref?.();

  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await endProcess(server, exited, () => server.stdin.end(), 15_000);
    out.end();
    logger.info({ url }, 'local ClickHouse stopped');
  };

  try {
    await waitForPing(url, exited, spawnError, options.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    const tail = (await readFile(serverLog, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    throw new Error(`${(err as Error).message}\n--- last lines of ${serverLog} ---\n${tail}`);
  }
  logger.info({ url, dataDir }, 'local ClickHouse started');
  return { url, pid: server.pid!, exited, stop };
}

/** Moves the old in-process engine's folder into place, once, and says so. */
async function adoptOldFolder(old: string, dataDir: string, logger: Logger): Promise<void> {
  if (old === dataDir || existsSync(dataDir) || !existsSync(old) || readdirSync(old).length === 0) return;
  await mkdir(dirname(dataDir), { recursive: true });
  await rename(old, dataDir);
  logger.warn({ from: old, to: dataDir }, 'moved the data of the embedded ClickHouse of earlier versions to the local ClickHouse server');
}

async function waitForPing(url: string, exited: Promise<number | null>, spawnError: Promise<Error>, timeoutMs: number): Promise<void> {
  let failure: Error | undefined;
  void spawnError.then((err) => {
    failure = (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('java not found: install Java 17+ or set CLICKHOUSE_URL to a ClickHouse server') : err;
  });
  void exited.then((code) => (failure ??= new Error(`the ClickHouse server exited with code ${code} during start-up`)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failure) throw failure;
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (await res.text()).startsWith('Ok')) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw failure ?? new Error(`the ClickHouse server did not answer ${url}/ping within ${timeoutMs} ms`);
}
