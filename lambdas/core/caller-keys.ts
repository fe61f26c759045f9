import { BadRequestError } from "./errors";

/**
 * Names that reach an object's prototype machinery when a parser uses them as keys (`obj[name] = …`): with
 * `__proto__`, a query field `__proto__[limit]=x` would set `Object.prototype.limit` for every request of a warm
 * Lambda. Every parser that turns a caller's names into keys refuses them and builds {@link callerKeyed} objects.
 */
export const reservedKeyNames: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** An object for names a caller chose: no prototype, so no name can reach or read `Object.prototype`. */
export const callerKeyed = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** A caller's name, refused (400 naming it, as `where` calls it) when it is one of {@link reservedKeyNames}. */
export const callerKey = (name: string, where: string): string => {
  if (reservedKeyNames.has(name)) {
    throw new BadRequestError(`${where} '${name}' is not accepted: the gateway takes no field by that name.`, {
      param: name,
    });
  }
  return name;
};
