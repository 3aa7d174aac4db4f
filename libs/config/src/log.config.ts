import { z } from 'zod';

export const logEnv = z.object({
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('Log level of the JSON logs written to stdout.'),
});

export interface LogConfig {
  level: z.infer<typeof logEnv>['LOG_LEVEL'];
}

export const toLogConfig = (env: z.infer<typeof logEnv>): LogConfig => ({ level: env.LOG_LEVEL });
