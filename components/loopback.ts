// An array, not a Set: Pulumi's closure serialization (dynamic providers import this) cannot serialize Sets.
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** Loopback host names as URL.hostname reports them; the only hosts allowed over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.includes(hostname.toLowerCase());
}
