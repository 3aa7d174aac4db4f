/**
 * A failure the operator can act on, told in one line (`clickstream: <message>`) with a
 * non-zero exit code. Anything else that escapes a command is reported the same way.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
