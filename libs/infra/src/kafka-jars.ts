import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@clickstream/logger';

const run = promisify(execFile);

/** Versions of the broker and of JNA the pom fetches; the marker file ties the cache to them. */
export const KAFKA_VERSION = '3.9.2';
export const JNA_VERSION = '5.17.0';
const MARKER = `.jars-kafka-${KAFKA_VERSION}-jna-${JNA_VERSION}`;

export function kafkaPomPath(projectRoot: string): string {
  return join(projectRoot, 'infra', 'kafka', 'pom.xml');
}

/** The JNA jar in a folder filled by ensureKafkaJars. */
export const jnaJar = (libs: string): string => join(libs, `jna-${JNA_VERSION}.jar`);

/**
 * Fetches the broker, its runtime jars and JNA (for the local ClickHouse server) from Maven
 * Central into `<cacheDir>/libs` once.
 * The download lands in a temporary folder that is renamed into place, so two processes
 * fetching at the same time never see half a folder.
 */
export async function ensureKafkaJars(projectRoot: string, cacheDir: string, logger: Logger): Promise<string> {
  const libs = resolve(cacheDir, 'libs');
  const marker = join(libs, MARKER);
  if (existsSync(marker)) return libs;

  await mkdir(cacheDir, { recursive: true });
  const staging = resolve(cacheDir, `libs.${process.pid}.${Date.now()}`);
  logger.info({ kafka: KAFKA_VERSION, jna: JNA_VERSION, cacheDir }, 'fetching the Apache Kafka and JNA jars from Maven Central (first run only)');
  try {
    await run(
      'mvn',
      ['-q', '-B', '-f', kafkaPomPath(projectRoot), 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('mvn not found: install Apache Maven (and Java 17+) or set KAFKA_BROKERS to an existing cluster');
    throw new Error(`mvn could not fetch the Kafka jars: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim());
  }
  const jars = (await readdir(staging)).filter((f) => f.endsWith('.jar'));
  for (const jar of [`kafka_2.13-${KAFKA_VERSION}.jar`, `jna-${JNA_VERSION}.jar`]) {
    if (!jars.includes(jar)) throw new Error(`mvn finished but ${jar} is missing in ${staging}`);
  }
  await writeFile(join(staging, MARKER), `${jars.length} jars\n`);
  try {
    await rm(libs, { recursive: true, force: true });
    await rename(staging, libs);
  } catch (err) {
    // another process won the race and put a complete folder in place
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(marker)) throw err;
  }
  logger.info({ jars: jars.length }, 'Kafka and JNA jars cached');
  return libs;
}
