import type { APIGatewayProxyEvent } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reservedKeyNames } from "../../lambdas/core/caller-keys";
import { BadRequestError } from "../../lambdas/core/errors";
import { toHttpRequest, unflattenBrackets } from "../../lambdas/http/request";

/** Names a caller may send: ordinary ones, the reserved ones, and bracketed paths mixing both. */
const segment = fc.oneof(
  fc.constantFrom(...reservedKeyNames, "toString", "valueOf", "hasOwnProperty", ""),
  fc.string(),
);
const fieldName = fc
  .tuple(segment, fc.array(segment, { maxLength: 3 }))
  .map(([head, rest]) => `${head}${rest.map((s) => `[${s}]`).join("")}`);
const fields = fc.array(fc.tuple(fieldName, fc.string()), { maxLength: 8 });

const prototypeUntouched = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(untouched);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};
const untouched = Object.getOwnPropertyNames(Object.prototype).sort();

/** Every object in a parsed value has no prototype (or is an array of them): nothing is read through one. */
const prototypeFree = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.every(prototypeFree);
  if (typeof value !== "object" || value === null) return true;
  return Object.getPrototypeOf(value) === null && Object.values(value).every(prototypeFree);
};

/** A parser either refuses a reserved name with a 400, or builds prototype-free objects; never pollutes. */
const holds = (parse: () => unknown[]): boolean => {
  try {
    const parsed = parse();
    prototypeUntouched();
    return parsed.every(prototypeFree);
  } catch (error) {
    prototypeUntouched();
    return error instanceof BadRequestError && error.statusCode === 400;
  }
};

describe("parsers of names a caller chooses (property: any names, reserved ones among them)", () => {
  it("unflattenBrackets (query and form fields of the OpenAI dialect)", () => {
    fc.assert(
      fc.property(fields, (entries) => holds(() => [unflattenBrackets(entries)])),
      { numRuns: 2000 },
    );
    expect(() => unflattenBrackets([["__proto__[limit]", "x"]])).toThrow(/'__proto__' is not accepted/);
  });

  it("toHttpRequest (query fields and headers of every dialect)", () => {
    const event = (query: [string, string][], headers: [string, string][]) =>
      ({
        httpMethod: "GET",
        path: "/openai/files",
        resource: "/openai/{proxy+}",
        pathParameters: { proxy: "files" },
        headers: Object.fromEntries(headers),
        queryStringParameters: Object.fromEntries(query),
        requestContext: { path: "/v1/openai/files", stage: "v1" },
        body: null,
        isBase64Encoded: false,
      }) as unknown as APIGatewayProxyEvent;
    fc.assert(
      fc.property(fields, fields, (query, headers) =>
        holds(() => {
          const request = toHttpRequest(event(query, headers));
          return [request.query, request.headers];
        }),
      ),
      { numRuns: 2000 },
    );
  });
});
