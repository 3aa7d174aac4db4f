import { z } from 'zod';
import { int } from './env.js';

export const streamEnv = z.object({
  WINDOW_LATENESS_MS: int(0, 3_600_000)
    .default(5000)
    .describe('Allowed lateness: a window closes when the partition watermark passes its end by this much.'),
});

export interface StreamConfig {
  allowedLatenessMs: number;
}

export const toStreamConfig = (env: z.infer<typeof streamEnv>): StreamConfig => ({ allowedLatenessMs: env.WINDOW_LATENESS_MS });
