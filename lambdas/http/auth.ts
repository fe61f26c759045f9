import { AuthenticationError } from "../core/errors";
import type { HttpRequest } from "./request";

/** The credential of an `Authorization: Bearer …` request, or undefined. */
export const bearerToken = (request: HttpRequest): string | undefined => {
  const match = /^Bearer\s+(\S.*)$/i.exec(request.headers.authorization ?? "");
  return match?.[1]?.trim() || undefined;
};

/** The tenant the dialect handler authenticated (every route but capability ones runs after authentication). */
export const requireTenant = (request: HttpRequest): string => {
  if (!request.tenant) throw new AuthenticationError("The request is not authenticated.");
  return request.tenant;
};
