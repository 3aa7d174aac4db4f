export {
  collectPayloadV1,
  checkCollectPayload,
  siteId,
  MAX_PROPS,
  PROPERTY_KEY,
  PROPERTY_VALUE_MAX,
  EVENT_NAME_MAX,
  TAG_MAX,
  ENGAGED_MS_MAX,
  CURRENCY,
  REVENUE_DECIMAL,
  type CollectPayload, type PayloadCheck } from './collect.schema.js';
export { trackedEventV2, trackedEventV3, encodeEvent, decodeEvent, EventDecodeError, EVENT_SCHEMA_VERSION, type TrackedEvent, type EventRevenue } from './event.js';
export {
  aggregateUpdate,
  windowUpdate,
  presenceUpdate,
  windowMetricsSchema,
  encodeAggregateUpdate,
  decodeAggregateUpdate,
  type AggregateUpdate,
  type WindowUpdate,
  type PresenceUpdate,
} from './window-update.js';
export { toTrackedEvent, eventIdOf, eventTimeOf, uuidOf, type RequestFacts } from './to-tracked-event.js';
