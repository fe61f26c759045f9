import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Addresses that are not the public internet (IANA special-purpose registries): what a webhook, set by a key's
 * owner, must never reach from inside the account — the instance metadata service, the Lambda runtime API on
 * loopback, private networks. IPv4-mapped IPv6 addresses are checked as their IPv4 address.
 */
const notPublic = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  notPublic.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  notPublic.addSubnet(network, prefix, "ipv6");

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const familyOf = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

/** Whether an IP address is on the public internet. */
export const isPublicAddress = (address: string): boolean => !notPublic.check(address, familyOf(address));

/** Whether an IP address is this machine's own (a local receiver in local mode). */
export const isLoopbackAddress = (address: string): boolean => loopback.check(address, familyOf(address));

/**
 * The address a request to `host` may go to: resolved now (a name's answer can change between a check and a
 * connection, so the caller connects to this very address), every answer public — or loopback, where allowed.
 * Throws naming the address when one is not.
 */
export const publicAddressOf = async (
  host: string,
  options: { allowLoopback?: boolean } = {},
): Promise<{ address: string; family: 4 | 6 }> => {
  const bare = host.replace(/^\[|\]$/g, "");
  const answers = isIP(bare)
    ? [{ address: bare, family: isIP(bare) }]
    : await lookup(bare, { all: true, verbatim: true });
  for (const { address } of answers) {
    if (isPublicAddress(address) || (options.allowLoopback && isLoopbackAddress(address))) continue;
    throw new NonPublicAddressError(`${host} resolves to ${address}, which is not a public address`);
  }
  const [first] = answers;
  if (!first) throw new NonPublicAddressError(`${host} resolves to no address`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
};

/** A destination the gateway refuses to connect to. */
export class NonPublicAddressError extends Error {
  override readonly name = "NonPublicAddressError";
}
