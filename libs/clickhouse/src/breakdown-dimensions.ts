/**
 * The per-event dimensions the breakdown rollups (breakdown_1m, breakdown_1d) count by: page
 * views by page, referrer domain, UTM source, medium and campaign, country, browser, OS and
 * device; custom events by name.
 */
export const DIMENSIONS = ['page', 'referrer', 'utmSource', 'utmMedium', 'utmCampaign', 'country', 'browser', 'os', 'device', 'event'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
