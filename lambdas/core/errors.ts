/**
 * The one error family of the gateway. Core, state and providers throw these; each dialect renders them
 * once, in its SDK's envelope. The `kind` is the neutral meaning a dialect maps to its own error type.
 */
export const ErrorKind = {
  invalidRequest: "invalid_request",
  authentication: "authentication",
  permission: "permission",
  notFound: "not_found",
  conflict: "conflict",
  precondition: "precondition",
  payloadTooLarge: "payload_too_large",
  rateLimit: "rate_limit",
  quota: "quota",
  upstream: "upstream",
  internal: "internal",
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/**
 * The request fields core's errors point at (`param`) in neutral words; a dialect renders them in its SDK's
 * terms (OpenAI's `input_file_id` for `input`).
 */
export const Field = { input: "input" } as const;

/** Options every gateway error accepts. */
export interface GatewayErrorOptions {
  /** The request field the error is about (rendered as OpenAI's `param`). */
  param?: string;
  /** The underlying error, kept for logs; never shown to callers. */
  cause?: unknown;
  /** A dialect-specific error code when the kind alone does not say it (e.g. S3's `NoSuchBucket`). */
  code?: string;
}

/** Base class: an HTTP status, a neutral kind, a message safe to show the caller. */
export class GatewayError extends Error {
  readonly param?: string;
  readonly code?: string;
  constructor(
    readonly statusCode: number,
    readonly kind: ErrorKind,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.param = options.param;
    this.code = options.code;
  }
}

/** 400: the request is malformed or names something invalid. */
export class BadRequestError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(400, ErrorKind.invalidRequest, message, options);
  }
}

/** 401: no credential, or one the gateway does not accept. */
export class AuthenticationError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(401, ErrorKind.authentication, message, options);
  }
}

/** 403: the caller is known but may not use what it named (e.g. a bucket its key was not granted). */
export class PermissionDeniedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(403, ErrorKind.permission, message, options);
  }
}

/** 404: no such object for this tenant (also what another tenant's id answers). */
export class NotFoundError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(404, ErrorKind.notFound, message, options);
  }
}

/** 409: the object is in a state that does not allow the operation. */
export class ConflictError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(409, ErrorKind.conflict, message, options);
  }
}

/** 412: a condition the caller set (e.g. `If-Match`) does not hold. */
export class PreconditionFailedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(412, ErrorKind.precondition, message, options);
  }
}

/** 413: the body is larger than the gateway can take in one request. */
export class PayloadTooLargeError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(413, ErrorKind.payloadTooLarge, message, options);
  }
}

/** 429: the caller is over a limit; `retryAfterSeconds` becomes the `retry-after` header every SDK honours. */
export class RateLimitError extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, ErrorKind.rateLimit, message);
  }
}

/**
 * 429: the work would pass what the caller may spend (a credential's monthly budget); each dialect renders it as
 * the quota or billing error its SDK raises.
 */
export class QuotaExceededError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(429, ErrorKind.quota, message, options);
  }
}

/**
 * Names the batch state machine matches on (lib/batch-definition.ts imports them): Step Functions sees a Lambda
 * error's `name` as its error type. Set explicitly, so a minifier that renames classes cannot change them.
 */
export const TaskErrorName = {
  /** A transient failure (throttling, an upstream 5xx, the network): the task is retried with backoff. */
  retryable: "FinOps.Retryable",
  /** A failure that will not pass on retry (an upstream 4xx, bad configuration): the batch fails at once. */
  permanent: "FinOps.Permanent",
} as const;

/** 502: an upstream provider refused the call; its own reason is the message. Retrying cannot help. */
export class UpstreamError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(502, ErrorKind.upstream, message, options);
    this.name = TaskErrorName.permanent;
  }
}

/** 503: a transient failure (throttling, an upstream 5xx, the network) that a later attempt may get past. */
export class RetryableError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(503, ErrorKind.upstream, message, options);
    this.name = TaskErrorName.retryable;
  }
}

/** A gateway fault that no retry fixes (missing or malformed configuration); the batch fails with this reason. */
export class ConfigurationError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(500, ErrorKind.internal, message, options);
    this.name = TaskErrorName.permanent;
  }
}

/** 500: a failure of the gateway itself; details are logged, not shown. */
export class InternalError extends GatewayError {
  constructor(message = "The gateway failed to process the request.", options?: GatewayErrorOptions) {
    super(500, ErrorKind.internal, message, options);
  }
}

/** Any thrown value as a GatewayError: unknown failures become a 500 that hides their details. */
export const toGatewayError = (error: unknown): GatewayError =>
  error instanceof GatewayError ? error : new InternalError(undefined, { cause: error });
