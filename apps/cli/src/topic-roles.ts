import type { KafkaConfig } from '@clickstream/config';

/** The project's topics; on the command line their role stands for the configured name. */
export type TopicRole = 'events' | 'aggregates' | 'dead-letter' | 'sites' | 'salts';

export const TOPIC_ROLES: readonly TopicRole[] = ['events', 'aggregates', 'dead-letter', 'sites', 'salts'];

export function topicOfRole(role: TopicRole, topics: KafkaConfig['topics']): string {
  switch (role) {
    case 'events':
      return topics.events;
    case 'aggregates':
      return topics.aggregates;
    case 'dead-letter':
      return topics.deadLetter;
    case 'sites':
      return topics.sites;
    case 'salts':
      return topics.salts;
    default: {
      const never: never = role;
      throw new Error(`unknown topic role ${String(never)}`);
    }
  }
}

/** A role (`events`, `aggregates`, `dead-letter`, `sites`, `salts`) names the configured topic; any other name is taken as it is. */
export function resolveTopic(name: string, topics: KafkaConfig['topics']): string {
  const role = TOPIC_ROLES.find((r) => r === name);
  return role ? topicOfRole(role, topics) : name;
}

export function roleOf(topic: string, topics: KafkaConfig['topics']): TopicRole | undefined {
  return TOPIC_ROLES.find((r) => topicOfRole(r, topics) === topic);
}
