import { createHmac, randomBytes } from "node:crypto";
import type { SecretSealer } from "./credentials";
import { BadRequestError, RetryableError } from "./errors";

/** Where a credential's batch events go: its URL and its signing secret, sealed. */
export interface Webhook {
  tenant: string;
  url: string;
  sealedSecret: string;
}

/** Each tenant's webhook (at most one). */
export interface WebhookStore {
  get(tenant: string): Promise<Webhook | undefined>;
  put(webhook: Webhook): Promise<void>;
  remove(tenant: string): Promise<boolean>;
}

/** A message to deliver: its id (the same on every retry, for the receiver to drop repeats) and its JSON body. */
export interface WebhookMessage {
  id: string;
  body: string;
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64")}`;

/** A webhook URL the gateway will call: https, or http to a loopback address (a local receiver). */
export const checkWebhookUrl = (text: string): string => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadRequestError(`${JSON.stringify(text)} is not a URL.`, { param: "url" });
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new BadRequestError(`A webhook URL must be https:// (http:// only to a local receiver); got ${url.origin}.`, {
      param: "url",
    });
  return url.toString();
};

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com): HMAC-SHA256, keyed by the secret's bytes,
 * over `{id}.{timestamp}.{body}`, as `v1,{base64}`.
 */
export const signWebhook = (secret: string, message: WebhookMessage, timestampSeconds: number): string => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = createHmac("sha256", key).update(`${message.id}.${timestampSeconds}.${message.body}`);
  return `v1,${mac.digest("base64")}`;
};

/** How long a receiver has to answer one delivery. */
const deliveryTimeoutMs = 10_000;

/**
 * POSTs one message, signed; a receiver that does not answer 2xx in time gets it again later (the caller's
 * retry with backoff), so this throws RetryableError naming what the receiver did.
 */
export const deliverWebhook = async (
  webhook: Webhook,
  sealer: SecretSealer,
  message: WebhookMessage,
  now: () => number = Date.now,
): Promise<void> => {
  const secret = await sealer.unseal(webhook.sealedSecret);
  const timestamp = Math.floor(now() / 1000);
  let status: number;
  try {
    const response = await fetch(webhook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "finops-gateway-webhooks",
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, message, timestamp),
      },
      body: message.body,
      signal: AbortSignal.timeout(deliveryTimeoutMs),
      redirect: "manual",
    });
    await response.body?.cancel();
    status = response.status;
  } catch (error) {
    throw new RetryableError(`The webhook ${new URL(webhook.url).origin} could not be reached: ${String(error)}`, {
      cause: error,
    });
  }
  if (status < 200 || status >= 300)
    throw new RetryableError(`The webhook ${new URL(webhook.url).origin} answered ${status}.`);
};

/**
 * Points a tenant's batch events at `url` (or nowhere, for undefined) with a new signing secret, returned to be
 * shown once: only its sealed form is kept.
 */
export const setWebhook = async (
  store: WebhookStore,
  sealer: SecretSealer,
  tenant: string,
  url: string | undefined,
): Promise<string | undefined> => {
  if (url === undefined) {
    await store.remove(tenant);
    return undefined;
  }
  const secret = newWebhookSecret();
  await store.put({ tenant, url: checkWebhookUrl(url), sealedSecret: await sealer.seal(secret) });
  return secret;
};
