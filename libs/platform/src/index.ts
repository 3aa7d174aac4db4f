export { APP_CONFIG, LOGGER, KAFKA, CLICKHOUSE, KAFKA_PREPARED } from './tokens.js';
export { createRuntime, prepareDatabase, type Runtime, type RuntimeOptions } from './runtime.js';
export { CoreModule } from './core.module.js';
export { createHttpApp, listen, type HttpAppOptions } from './http-app.js';
export { runAlone, type ReadyMessage, type StartedApp } from './run-alone.js';
export { ApiError, ApiErrorFilter } from './api-error.js';
export { loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';
export { sharedStateTables, seedSharedState, siteRecord } from './shared-state.js';
export { parseSiteAlias, siteAliasKey, isSiteAliasKey, siteAliasOfKey, siteAliasRecord, siteOfAliasRecord, SITE_ALIAS_RULE, type SiteAlias, type SiteAliasKind } from './site-alias.js';
