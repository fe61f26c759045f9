import { type FrontDoorId, frontDoors } from "../../lambdas/dialects/front-doors";
import { dialects } from "../../lambdas/dialects/registry";
import { filesOnlyGateway } from "./memory";

/** One route of a front door: its method (`ANY` as POST) and its path under the gateway, parameters as `{name}`. */
export interface DeclaredRoute {
  method: string;
  /** `/{mount}{route path}`, e.g. `/openai/files/{file_id}`. */
  path: string;
  mount: string;
  door: FrontDoorId;
}

/** Every route of every front door, as its table declares it (the routes are data; the deps are never called). */
export const everyRoute = (): DeclaredRoute[] => {
  const { deps } = filesOnlyGateway();
  return Object.values(dialects).flatMap((dialect) =>
    Object.entries(dialect.frontDoors).flatMap(([id, build]) => {
      const door = (build as (d: typeof deps) => { routes: { method: string; path: string }[] })(deps);
      const mount = frontDoors[id as FrontDoorId].mount;
      return door.routes.map((route) => ({
        method: route.method === "ANY" ? "POST" : route.method,
        path: `/${mount}${route.path}`,
        mount,
        door: id as FrontDoorId,
      }));
    }),
  );
};
