import { type ObjectPlace, placeOf } from "./config";

/**
 * Which of the account's own buckets a credential's Bedrock jobs may read inputs from and write outputs to.
 * The stack's `jobBuckets` is the ceiling; each credential is granted places under it (`npm run keys -- buckets`),
 * because the setting is per stack while tenants are per key: a place every key may use is a place where any key
 * reads another team's prompts through a job.
 */
export interface JobPlaces {
  /** The places this tenant's jobs may use, already narrowed to the ceiling. */
  of(tenant: string): Promise<readonly ObjectPlace[]>;
}

/** Where each credential's grants are kept (one item per tenant in the gateway's table). */
export interface JobGrantStore {
  get(tenant: string): Promise<readonly ObjectPlace[]>;
  /** Replaces the tenant's grants; none removes them. */
  set(tenant: string, places: readonly ObjectPlace[]): Promise<void>;
}

/** The part of `place` that also lies in `within`, if any (prefixes nest or are apart). */
const overlap = (place: ObjectPlace, within: ObjectPlace): ObjectPlace | undefined => {
  if (place.bucket !== within.bucket) return undefined;
  if (place.prefix.startsWith(within.prefix)) return place;
  if (within.prefix.startsWith(place.prefix)) return within;
  return undefined;
};

/** The grants as far as the ceiling lets them reach: a grant beyond it counts only where it meets it. */
export const narrowedTo = (ceiling: readonly ObjectPlace[], grants: readonly ObjectPlace[]): ObjectPlace[] =>
  grants.flatMap((grant) => ceiling.flatMap((limit) => overlap(grant, limit) ?? []));

/** With credentials (FINOPS_AUTH=keys): each tenant's own grants, under the stack's ceiling. */
export const grantedJobPlaces = (store: JobGrantStore, ceiling: readonly ObjectPlace[]): JobPlaces => ({
  of: async (tenant) => (ceiling.length === 0 ? [] : narrowedTo(ceiling, await store.get(tenant))),
});

/**
 * Open mode: there are no credentials to grant to and nothing is verified, so the stack is one trust domain and
 * every caller's jobs may use the whole ceiling. `npm start` says so when it has job buckets.
 */
export const everyJobPlace = (ceiling: readonly ObjectPlace[]): JobPlaces => ({ of: async () => ceiling });

/** Nothing granted: what a gateway given no grants answers, so a missing wiring never opens a bucket. */
export const noJobPlaces: JobPlaces = { of: async () => [] };

/** The place among `places` that holds this key, if any. */
export const placeHolding = (places: readonly ObjectPlace[], bucket: string, key: string): ObjectPlace | undefined =>
  places.find((place) => place.bucket === bucket && key.startsWith(place.prefix));

/** Places as `s3://bucket/prefix`, for messages. */
export const placesShown = (places: readonly ObjectPlace[]): string =>
  places.map((place) => `s3://${place.bucket}/${place.prefix}`).join(", ");

/**
 * A grant as the owner types it (`bucket/prefix/`, `s3://bucket/prefix/` or a whole `bucket`); a prefix that does
 * not end at a `/` would also grant its longer siblings (`team-a` grants `team-ab/`), so it must.
 */
export const parseGrant = (text: string): ObjectPlace => {
  const place = placeOf(text);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(place.bucket))
    throw new Error(`${JSON.stringify(text)} does not start with a bucket name; give bucket/prefix/ or bucket.`);
  if (place.prefix !== "" && !place.prefix.endsWith("/"))
    throw new Error(
      `${JSON.stringify(text)}: a prefix ends with '/' (${place.bucket}/${place.prefix}/), or it would also grant its longer siblings.`,
    );
  return place;
};
