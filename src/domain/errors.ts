/**
 * The seed's error codes with their HTTP status. Spelled as the seed spells them
 * (`OperationForbbiden` included): clients match on these strings.
 */
export const ERROR_STATUS = {
  InvalidArgs: 400,
  Unauthorized: 401,
  OperationForbbiden: 403,
  /** Not one of the seed's codes: a quota is Wharf's own (issue 8). */
  QuotaExceeded: 403,
  SpaceNotFound: 404,
  AppNotFound: 404,
  ServiceNotFound: 404,
  RevisionNotFound: 404,
  RegionNotFound: 404,
  ConfigMapNotFound: 404,
  VolumeNotFound: 404,
  NotFound: 404,
  AppExists: 409,
  ServiceExists: 409,
  ConfigMapExists: 409,
  ConfigMapInUse: 409,
  VolumeExists: 409,
  VolumeInUse: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  InternalError: 500,
  /** The region's engine cannot do it (pod stats without a metrics API): Wharf's own. */
  NotImplemented: 501,
  RuntimeUnavailable: 503,
  /** The store (PostgreSQL, the SQLite file) does not answer: Wharf's own, retryable. */
  StoreUnavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error the API answers as `{error: code, message}` with the code's HTTP status. */
export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** The field the error is about, as `containers[0].image`, when there is one. */
  readonly key: string | undefined;

  constructor(code: ErrorCode, message: string, key?: string) {
    super(message);
    this.name = 'WharfError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.key = key;
  }
}

export const invalidArgs = (message: string, key?: string): WharfError => new WharfError('InvalidArgs', message, key);
