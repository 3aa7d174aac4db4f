import type { Migration } from './migration.js';
import { RAW_EVENTS_MIGRATION } from './migrations/0001-raw-events.js';
import { EVENT_DETAILS_MIGRATION } from './migrations/0002-event-details.js';
import { MINUTE_ROLLUPS_MIGRATION } from './migrations/0003-minute-rollups.js';
import { DASHBOARD_TOKENS_MIGRATION } from './migrations/0004-dashboard-tokens.js';
import { INSERT_TOKENS_MIGRATION } from './migrations/0005-insert-tokens.js';
import { HOURLY_DAILY_ROLLUPS_MIGRATION } from './migrations/0006-hourly-daily-rollups.js';
import { SESSION_FIGURES_MIGRATION } from './migrations/0007-session-figures.js';
import { DROP_SESSION_TABLES_MIGRATION } from './migrations/0008-drop-session-tables.js';
import { SMALLER_VISITOR_SKETCHES_MIGRATION } from './migrations/0009-smaller-visitor-sketches.js';
import { GOALS_MIGRATION } from './migrations/0010-goals.js';
import { FILTERED_READS_MIGRATION } from './migrations/0011-raw-events-for-filters.js';
import { REVENUE_ENGAGEMENT_TAGS_MIGRATION } from './migrations/0012-revenue-engagement-tags.js';
import { ENGAGEMENT_REVENUE_SUMMARIES_MIGRATION } from './migrations/0013-engagement-revenue-summaries.js';
import { GROUPING_KEYS_MIGRATION } from './migrations/0014-grouping-keys.js';
import { TIME_COLUMN_CODECS_MIGRATION } from './migrations/0015-time-column-codecs.js';

/** Every ClickHouse migration, in version order: one per file under migrations/, applied by migrate(). */
export const MIGRATIONS: readonly Migration[] = [
  RAW_EVENTS_MIGRATION,
  EVENT_DETAILS_MIGRATION,
  MINUTE_ROLLUPS_MIGRATION,
  DASHBOARD_TOKENS_MIGRATION,
  INSERT_TOKENS_MIGRATION,
  HOURLY_DAILY_ROLLUPS_MIGRATION,
  SESSION_FIGURES_MIGRATION,
  DROP_SESSION_TABLES_MIGRATION,
  SMALLER_VISITOR_SKETCHES_MIGRATION,
  GOALS_MIGRATION,
  FILTERED_READS_MIGRATION,
  REVENUE_ENGAGEMENT_TAGS_MIGRATION,
  ENGAGEMENT_REVENUE_SUMMARIES_MIGRATION,
  GROUPING_KEYS_MIGRATION,
  TIME_COLUMN_CODECS_MIGRATION,
];
