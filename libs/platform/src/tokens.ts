/** Injection tokens for the shared outside-world handles every app receives. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const KAFKA = Symbol('KAFKA');
export const CLICKHOUSE = Symbol('CLICKHOUSE');
/** `() => boolean`: whether the runtime's topics (and, where it seeds them, the shared state) are ready; see Runtime.kafkaPrepared. */
export const KAFKA_PREPARED = Symbol('KAFKA_PREPARED');
