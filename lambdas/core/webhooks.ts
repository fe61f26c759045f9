import { createHmac, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { SecretSealer } from "./credentials";
import { BadRequestError, RetryableError } from "./errors";
import { isLoopbackAddress, isPublicAddress, NonPublicAddressError, publicAddressOf } from "./public-address";

/**
 * How a webhook's events are written: the gateway's own `batch.ended` with every SDK's ids, or OpenAI's batch
 * events (`batch.completed`, `batch.failed`, …), which the OpenAI SDK's `webhooks.unwrap()` verifies and reads.
 */
export const webhookShapes = ["finops", "openai"] as const;
export type WebhookShape = (typeof webhookShapes)[number];

/** Where a credential's batch events go: its URL and its signing secret, sealed. */
export interface Webhook {
  tenant: string;
  url: string;
  sealedSecret: string;
  /** @default "finops" */
  shape?: WebhookShape;
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
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || (isIP(host) !== 0 && isLoopbackAddress(host));
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new BadRequestError(`A webhook URL must be https:// (http:// only to a local receiver); got ${url.origin}.`, {
      param: "url",
    });
  // An address that is plainly not public is refused now; a name is checked each time it is resolved, at delivery.
  if (isIP(host) !== 0 && !isPublicAddress(host) && !loopback)
    throw new BadRequestError(`A webhook URL must reach a public address; ${host} is not one.`, { param: "url" });
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

/** POSTs to `url` connecting to `address` only (the host stays the URL's: TLS checks its name); no redirects. */
const postPinned = (
  url: URL,
  pinned: { address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
): Promise<number> =>
  new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: deliveryTimeoutMs,
        // Every connection goes to the address that was checked, whatever the name answers by then.
        lookup: (_host, options, callback) =>
          (options as { all?: boolean }).all
            ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned])
            : callback(null, pinned.address, pinned.family),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer in ${deliveryTimeoutMs / 1000} s`)));
    request.on("error", reject);
    request.end(body);
  });

/**
 * POSTs one message, signed, to the webhook's URL — resolved now and connected to only if every address it resolves
 * to is public (loopback too where `allowLoopback`, for local receivers), following no redirect. A receiver that does
 * not answer 2xx in time gets it again later (the caller's retry with backoff), so this throws RetryableError
 * naming what the receiver did; a URL that leads to a non-public address is refused the same way, saying so.
 */
export const deliverWebhook = async (
  webhook: Webhook,
  sealer: SecretSealer,
  message: WebhookMessage,
  now: () => number = Date.now,
  options: { allowLoopback?: boolean } = {},
): Promise<void> => {
  const secret = await sealer.unseal(webhook.sealedSecret);
  const timestamp = Math.floor(now() / 1000);
  const url = new URL(webhook.url);
  let status: number;
  try {
    const pinned = await publicAddressOf(url.hostname, options);
    status = await postPinned(
      url,
      pinned,
      {
        "content-type": "application/json",
        "user-agent": "finops-gateway-webhooks",
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, message, timestamp),
      },
      message.body,
    );
  } catch (error) {
    if (error instanceof NonPublicAddressError)
      throw new RetryableError(`The webhook ${url.origin} was not called: ${error.message}.`, { cause: error });
    throw new RetryableError(`The webhook ${url.origin} could not be reached: ${String(error)}`, { cause: error });
  }
  if (status < 200 || status >= 300) throw new RetryableError(`The webhook ${url.origin} answered ${status}.`);
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
  shape: WebhookShape = "finops",
): Promise<string | undefined> => {
  if (url === undefined) {
    await store.remove(tenant);
    return undefined;
  }
  const secret = newWebhookSecret();
  await store.put({
    tenant,
    url: checkWebhookUrl(url),
    sealedSecret: await sealer.seal(secret),
    ...(shape !== "finops" && { shape }),
  });
  return secret;
};
