// The engines a region can run on.
import { type Static } from 'typebox';
import { StringEnum } from './schema-helpers.js';

export const RuntimeKind = StringEnum(['docker', 'kubernetes', 'simulated']);
export type RuntimeKind = Static<typeof RuntimeKind>;
