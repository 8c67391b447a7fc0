import { BlockList, isIP } from 'node:net';
import { invalidArgs } from './errors.js';

/** An image reference split as the engines read it (distribution/reference's grammar). */
export interface ImageReference {
  /** `host[:port]` as written, or `docker.io` when the name has no registry part. */
  registry: string;
  /** The host alone, lower case, without brackets or port. */
  host: string;
  repository: string;
}

const DEFAULT_REGISTRY = 'docker.io';

// distribution/reference: a registry component is a host name, an IPv4 address or a bracketed
// IPv6 address with an optional port; path components are lower case, joined by one of . _ __ -+.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])`;
const REGISTRY = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Parses `[registry/]path[:tag][@digest]`, or explains in words what is wrong with it. The first
 * part is a registry only when it looks like a host (a dot, a port or `localhost`), as Docker decides.
 */
export function parseImageReference(reference: string): ImageReference | string {
  let rest = reference;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!DIGEST.test(rest.slice(at + 1))) return 'its digest (after "@") must look like sha256:<hex>';
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  const registry = hasRegistry ? first : DEFAULT_REGISTRY;
  if (hasRegistry && !REGISTRY.test(registry)) return `its registry "${registry}" is not a host name or address with an optional port`;
  let path = hasRegistry ? rest.slice(slash + 1) : rest;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    if (!TAG.test(path.slice(colon + 1))) return 'its tag (after ":") must be letters, digits, "_", "." or "-", at most 128, not starting with "." or "-"';
    path = path.slice(0, colon);
  }
  if (path === '' || !path.split('/').every((component) => PATH_COMPONENT.test(component))) {
    return 'its repository path must be lowercase letters and digits, in parts separated by "/", each part joined by ".", "_", "__" or "-"';
  }
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return { registry, host, repository: path };
}

/** Addresses an image pull must never reach unless the operator names the registry: the engine's host and its private networks. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) INTERNAL.addSubnet(network, prefix, 'ipv6');

/** Why the host is internal (loopback, private or link-local), or undefined for any other host. */
function internalHost(host: string): string | undefined {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  const family = isIP(host);
  if (family === 0) return undefined;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1] : undefined;
  const blocked = mapped ? INTERNAL.check(mapped, 'ipv4') : INTERNAL.check(host, family === 4 ? 'ipv4' : 'ipv6');
  return blocked ? 'a loopback, private or link-local address' : undefined;
}

/** `allowed` entries are registries (`reg.example.com:5000`) or suffixes (`*.example.com`), compared without case. */
function listed(reference: ImageReference, allowed: readonly string[]): boolean {
  const registry = reference.registry.toLowerCase();
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('*.') ? reference.host.endsWith(pattern.slice(1)) : pattern === registry;
  });
}

/**
 * Refuses an image the engine should not fetch: a malformed reference, a registry outside the
 * region's `allowedRegistries`, or, when the region lists none, a registry on a loopback, private
 * or link-local address (the engine's host would send requests there for a tenant). Host names
 * are not resolved: a name that resolves to such an address is refused only by an explicit list.
 */
export function checkImage(image: string, allowedRegistries: readonly string[] | undefined, field: string): void {
  const reference = parseImageReference(image);
  if (typeof reference === 'string') throw invalidArgs(`${field} "${image}" is not a valid image reference: ${reference}`);
  if (allowedRegistries) {
    if (listed(reference, allowedRegistries)) return;
    throw invalidArgs(`${field} "${image}" comes from registry "${reference.registry}", which this region does not allow (allowedRegistries: ${allowedRegistries.join(', ')})`);
  }
  const internal = internalHost(reference.host);
  if (internal) {
    throw invalidArgs(
      `${field} "${image}" comes from registry "${reference.registry}", ${internal}: a region pulls from such registries only when its config names them in allowedRegistries`,
    );
  }
}
