import type { Deployment, GatewayDeps } from "../core/deps";
import type { BatchRecord, Dialect } from "../core/model";
import type { ResultSink } from "../core/ports";
import type { FrontDoor } from "../http/dialect-handler";
import type { Admitter } from "../http/staged-authorizer";
import type { FrontDoorsOf, frontDoors } from "./front-doors";
import type { StagedRouteId, stagedRoutes } from "./staged-routes";

/** The staged routes of one dialect (those of its front doors). */
export type StagedRoutesOf<D extends Dialect> = {
  [K in StagedRouteId]: (typeof frontDoors)[(typeof stagedRoutes)[K]["frontDoor"]]["dialect"] extends D ? K : never;
}[StagedRouteId];

/**
 * One SDK's dialect, as its folder declares it: a front door for each of its rows in `front-doors.ts` (routes,
 * where its SDK presents credentials, its error envelope) and the result sink that writes a batch's results in
 * its format. Every member is required, so a dialect without a sink or a front door does not compile.
 */
export interface DialectModule<D extends Dialect> {
  readonly dialect: D;
  readonly frontDoors: { readonly [K in FrontDoorsOf<D>]: (deps: GatewayDeps) => FrontDoor };
  /** How each of its staged routes (staged-routes.ts) admits a request before API Gateway stores the body. */
  readonly stagedRoutes: { readonly [K in StagedRoutesOf<D>]: (deps: GatewayDeps) => Admitter };
  readonly resultSink: (deps: GatewayDeps) => (batch: BatchRecord) => ResultSink;
  /** The batch's id as its SDK shows it (any batch, whichever dialect created it), for the batch-ended event. */
  readonly batchId: (batch: BatchRecord, deployment: Deployment) => string;
}

/** Every dialect's module, total over `Dialect` (what `registry.ts` lists). */
export type DialectRegistry = { readonly [D in Dialect]: DialectModule<D> };
