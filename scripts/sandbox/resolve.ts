import * as pulumi from "@pulumi/pulumi";

/** A value the program marked secret, kept apart so renderers can mask it and tests can check the flag. */
export class Secret {
  constructor(readonly value: unknown) {}
  toJSON(): string {
    return "[secret]";
  }
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Like Promise.all, but waits for every promise so that no later rejection goes unhandled. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Resolves Outputs anywhere in a value; secret Outputs become `Secret`, unknowns become undefined. */
export async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown> & { promise(): Promise<unknown> };
    const [inner, secret] = await settleAll<unknown>([output.promise(), pulumi.isSecret(output)]);
    const resolved = await resolveDeep(inner);
    return secret ? new Secret(resolved) : resolved;
  }
  if (value instanceof Promise) return resolveDeep(await value);
  if (Array.isArray(value)) return settleAll(value.map(resolveDeep));
  if (value && typeof value === "object" && !(value instanceof Secret)) {
    const entries = await settleAll(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** Turns the runtime's wire form of secrets (as seen by mocks) into `Secret`. */
export function wrapWireSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wrapWireSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return new Secret(wrapWireSecrets(obj.value));
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, wrapWireSecrets(v)]));
  }
  return value;
}

/** Values as `pulumi stack output --show-secrets` prints them: every `Secret` replaced by its value. */
export function revealSecrets(value: unknown): unknown {
  if (value instanceof Secret) return revealSecrets(value.value);
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  return value;
}

/** The plain value of something the runtime may have wrapped as a secret on the wire. */
export function unwrapWire(value: unknown): unknown {
  const wrapped = wrapWireSecrets(value);
  return wrapped instanceof Secret ? wrapped.value : wrapped;
}
