import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { toGatewayError } from "../core/errors";
import { logger } from "../logger";
import type { Authenticator } from "./authenticator";
import type { FrontDoor } from "./dialect-handler";
import { type HttpRequest, toHttpRequest } from "./request";
import type { HttpResponse } from "./response";
import { headerContextKey, stagedStatuses } from "./staged-contract";

/** Where an admitted request's body goes, and what the caller is answered once it is stored. */
export interface Admission {
  /** The body is stored at `staged/uploads/{session}/chunks/{chunk}`. */
  session: string;
  chunk: string;
  /** Stored with the body as its `x-amz-meta-finops` metadata (core/chunk-encoding.ts). */
  meta?: string;
  response: HttpResponse;
}

/** Decides, from a staged route's headers alone, whether its body may be stored and where. */
export type Admitter = (request: HttpRequest) => Promise<Admission>;

export type StagedAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const policy = (effect: "Allow" | "Deny", resource: string) => ({
  Version: "2012-10-17",
  Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
});

/**
 * The Lambda authorizer of a staged route (lambdas/dialects/staged-routes.ts, contract in staged-contract.ts). A caller that fails authentication
 * is denied (API Gateway answers 403 with the error the context carries). Any other refusal is allowed through to
 * a throw-away key with the error's own status and envelope as the response — so the SDK sees the 400 or 404 its
 * provider would send, not a 403 — and the bucket expires what was stored there. A fault of the authorizer itself
 * is thrown: API Gateway answers 500 and the SDK retries.
 */
export const createStagedAuthorizer =
  (
    route: { responseHeaders: readonly string[] },
    door: FrontDoor,
    admit: Admitter,
    authenticator: Authenticator,
  ): StagedAuthorizer =>
  async (event) => {
    // The path as the route's resource names it (with its parameters), whatever base path preceded the API.
    const path = (event.resource ?? event.path).replace(
      /\{(\w+)\+?\}/g,
      (_, name: string) => event.pathParameters?.[name] ?? "",
    );
    let request: HttpRequest;
    try {
      request = toHttpRequest({
        ...event,
        path,
        body: null,
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEvent);
    } catch (error) {
      const refused = toGatewayError(error);
      if (refused.statusCode >= 500) throw error;
      return {
        principalId: "refused",
        policyDocument: policy("Deny", event.methodArn),
        context: { body: door.renderError(refused).body },
      };
    }
    request.bodyUnseen = true;
    const answer = (response: HttpResponse) => {
      if (!(stagedStatuses as readonly number[]).includes(response.statusCode))
        throw new Error(`A staged route cannot answer ${response.statusCode} (staged-contract.ts stagedStatuses).`);
      return Object.fromEntries([
        ["status", response.statusCode],
        ["body", response.body],
        ...route.responseHeaders.map((name) => [headerContextKey(name), String(response.headers?.[name] ?? "")]),
      ]) as Record<string, string | number>;
    };
    try {
      request.tenant = await authenticator.tenantFor(request, door.presented(request));
    } catch (error) {
      const refused = toGatewayError(error);
      if (refused.statusCode >= 500) throw error;
      return {
        principalId: "refused",
        policyDocument: policy("Deny", event.methodArn),
        context: answer(door.renderError(refused)),
      };
    }
    try {
      const admission = await admit(request);
      return {
        principalId: request.tenant || "capability",
        policyDocument: policy("Allow", event.methodArn),
        context: {
          ...answer(admission.response),
          session: admission.session,
          chunk: admission.chunk,
          meta: admission.meta ?? "",
        },
      };
    } catch (error) {
      const refused = toGatewayError(error);
      if (refused.statusCode >= 500) {
        logger.error("staged route admission failed", { frontDoor: door.name, error: error as Error });
        throw error;
      }
      return {
        principalId: request.tenant || "capability",
        policyDocument: policy("Allow", event.methodArn),
        context: {
          ...answer(door.renderError(refused)),
          session: "refused",
          chunk: event.requestContext.requestId,
          meta: "",
        },
      };
    }
  };
