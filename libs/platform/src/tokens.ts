/** Injection tokens for the shared outside-world handles every app receives. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const KAFKA = Symbol('KAFKA');
export const CLICKHOUSE = Symbol('CLICKHOUSE');
