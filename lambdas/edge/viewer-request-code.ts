import { maxInlineBodyBytes } from "../core/config";
import { frontDoors } from "../dialects/front-doors";
import { stagedRoutes } from "../dialects/staged-routes";
import { apiGatewayBodyLimitBytes, tooLargeEnvelope, tooLargeMessage } from "../http/limits";

/** Where the gateway's CloudFront Function lives, and how its base path is set (at synth, and by the local front). */
export const viewerRequestFile = "lambdas/edge/viewer-request.js";

/** A body the front refuses before it travels: over the limit of what it would reach, answered in its SDK's words. */
export interface TooLargeRule {
  /** Only for this method (a staged route's), else any. */
  method?: string;
  /** The path prefix it applies to (after the base path). */
  prefix: string;
  /** The largest `Content-Length` that passes. */
  limit: number;
  /** Its answer, an index into {@link TooLargeRules.answers} (a CloudFront Function holds 10 KB of code). */
  answer: number;
}

/** The rules and the few distinct answers they give. */
export interface TooLargeRules {
  rules: TooLargeRule[];
  answers: { contentType: string; body: string }[];
}

const s3TooLarge = (limit: number) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>EntityTooLarge</Code><Message>Your proposed upload ' +
  `exceeds the maximum allowed size: the gateway takes ${limit} bytes per request (API Gateway's limit). Upload ` +
  "larger objects with multipart: boto3 upload_file or upload_fileobj, or lib-storage Upload in JS." +
  `</Message><MaxSizeAllowed>${limit}</MaxSizeAllowed></Error>`;

/**
 * The front's size rules, most specific first: a staged route's body goes straight to S3 (API Gateway's 10 MB), any
 * other request's through a Lambda event (6 MB once base64-encoded). API Gateway's own 413s cannot be given an
 * SDK's envelope; the front answers before them, from the `Content-Length` the client sent.
 */
export const tooLargeRules = (): TooLargeRules => {
  const doors = Object.values(frontDoors).sort((a, b) => b.mount.length - a.mount.length);
  const answers: TooLargeRules["answers"] = [];
  const answer = (door: (typeof doors)[number], limit: number): number => {
    const given =
      "xmlErrors" in door && door.xmlErrors
        ? { contentType: "application/xml", body: s3TooLarge(limit) }
        : {
            contentType: "application/json",
            body: JSON.stringify({ ...tooLargeEnvelope(tooLargeMessage), message: tooLargeMessage }),
          };
    const known = answers.findIndex((a) => a.body === given.body);
    return known >= 0 ? known : answers.push(given) - 1;
  };
  const staged = Object.values(stagedRoutes).map((route) => {
    const door = frontDoors[route.frontDoor];
    return {
      method: route.method,
      prefix: `/${door.mount}/${route.path.split("{")[0] ?? ""}`,
      limit: apiGatewayBodyLimitBytes,
      answer: answer(door, apiGatewayBodyLimitBytes),
    };
  });
  const inline = doors.map((door) => ({
    prefix: `/${door.mount}`,
    limit: maxInlineBodyBytes,
    answer: answer(door, maxInlineBodyBytes),
  }));
  return { rules: [...staged, ...inline], answers };
};

/** The function's code for a base path ("" serves at the root). */
export const viewerRequestCode = (source: string, basePath: string): string =>
  source
    // Comments out: a CloudFront Function holds 10 KB of code.
    .replace(/^\s*\/\/.*\n/gm, "")
    .replace('"__FINOPS_BASE_PATH__"', JSON.stringify(basePath))
    .replace('"__FINOPS_TOO_LARGE__"', JSON.stringify(tooLargeRules()));
