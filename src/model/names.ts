import { Type } from 'typebox';

/** Names as DESIGN.md §3 fixes them. Each pattern is also the message a user sees on a 400. */
export const NAME_PATTERNS = {
  app: '^[a-z][a-z0-9]*$',
  dnsLabel: '^[a-z]([a-z0-9-]*[a-z0-9])?$',
  container: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
  reference: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
} as const;

export const ProjectName = Type.String({ minLength: 1, maxLength: 30, pattern: NAME_PATTERNS.dnsLabel });
export const AppName = Type.String({ minLength: 1, maxLength: 30, pattern: NAME_PATTERNS.app });
export const ServiceName = Type.String({ minLength: 1, maxLength: 30, pattern: NAME_PATTERNS.dnsLabel });
export const RegionName = Type.String({ minLength: 1, maxLength: 63 });
/** A volume's or ConfigMap's name. */
export const ReferenceName = Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERNS.reference });
