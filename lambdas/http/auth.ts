import { AuthenticationError } from "../core/errors";
import type { HttpRequest } from "./request";

/** The credential of an `Authorization: Bearer …` request, or undefined. */
export const bearerToken = (request: HttpRequest): string | undefined => {
  const match = /^Bearer\s+(\S.*)$/i.exec(request.headers.authorization ?? "");
  return match?.[1]?.trim() || undefined;
};

/** The first credential found, or a 401 saying where the SDK should have put it. */
export const requireCredential = (credential: string | undefined, where: string): string => {
  if (!credential) throw new AuthenticationError(`Missing API key: send it as ${where}.`);
  return credential;
};
