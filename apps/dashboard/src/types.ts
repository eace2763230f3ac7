/**
 * The messages of `/ws` and the stats object, as the server defines them (type-only: nothing of the server is bundled).
 */
export type { DecisionEvent, DecisionName, HelloMessage, Stats, UpdateMessage } from '@fraudstream/server';
