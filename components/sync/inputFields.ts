import * as pulumi from "@pulumi/pulumi";
import { endpoints, type Endpoints } from "./endpoints";

type Block = Record<string, pulumi.Input<string>>;
const isPlain = (v: pulumi.Input<string> | undefined): v is string | undefined =>
  v === undefined || typeof v === "string";

/**
 * A block of vendor fields (or endpoints) built from the tenant id and environment URL, which a library user may pass
 * as Outputs. Plain strings build it at once, as the profiles expect. Outputs build it field by field: the field names
 * never depend on the values (a stand-in run tells them), and each field is its own Output, so only the fields that
 * hold a secret are secret in the stack outputs.
 */
export function blockFrom<T extends Block | Endpoints>(
  tenantId: pulumi.Input<string>,
  dataverseUrl: pulumi.Input<string> | undefined,
  build: (tenantId: string, urls: Endpoints) => T,
): Block {
  if (isPlain(tenantId) && isPlain(dataverseUrl)) return build(tenantId, endpoints(tenantId, dataverseUrl)) as Block;
  const standIn = dataverseUrl === undefined ? undefined : "https://stand-in.invalid";
  const names = Object.keys(build("stand-in", endpoints("stand-in", standIn)));
  const known = pulumi.all([tenantId, dataverseUrl]);
  return Object.fromEntries(
    names.map((field) => [field, known.apply(([t, u]) => pulumi.output((build(t, endpoints(t, u)) as Block)[field]!))]),
  );
}
