import * as fs from "node:fs";
import { isMap, isSeq, parseDocument } from "yaml";
import { parseStackConfig, rawConfigFrom } from "../../components/config";
import { stackConfigFromText } from "../sandbox/stackFiles";
import type { GraphWriter } from "../cli/graphClient";
import { writeFileAtomic } from "./writeFileAtomic";

export interface RemovalResult {
  keyId: string;
  removed: boolean;
  alreadyGone: boolean;
  text: string;
}

/** The stack file's text without `existing.vendorSecret` of one integration, every other line and comment kept. */
export function withoutVendorSecret(yamlText: string, integration: string): string {
  const doc = parseDocument(yamlText);
  const list = doc.getIn(["config", "crm-sync:integrations"], true);
  const map = isSeq(list) ? list.items.find((m) => isMap(m) && m.get("name") === integration) : undefined;
  if (!isMap(map)) throw new Error(`the stack file has no integration "${integration}"`);
  map.deleteIn(["existing", "vendorSecret"]);
  return doc.toString();
}

/**
 * Removes the vendor's former, unmanaged secret of an adopted integration from its app registration, only when the
 * stack file asks for it (existing.vendorSecret.remove: true, reviewed and committed) and a managed secret has been
 * handed over; then drops it from the stack file. One Graph write: POST /applications/{id}/removePassword
 * (https://learn.microsoft.com/graph/api/application-removepassword).
 */
export async function removeVendorSecret(
  file: string,
  integration: string,
  graph: GraphWriter,
  dryRun: boolean,
): Promise<RemovalResult> {
  const text = fs.readFileSync(file, "utf8");
  const config = parseStackConfig(rawConfigFrom(stackConfigFromText(text, file)));
  const integ = config.integrations.find((i) => i.name === integration);
  if (!integ)
    throw new Error(
      `no integration "${integration}" in ${file} (there are: ${config.integrations.map((i) => i.name).join(", ")})`,
    );
  const vendor = integ.existing?.vendorSecret;
  if (!vendor)
    throw new Error(
      `integration "${integration}" has no existing.vendorSecret: there is no unmanaged secret to remove`,
    );
  if (!vendor.remove)
    throw new Error(
      `integration "${integration}": set existing.vendorSecret.remove: true in the stack file and commit it first, so the removal is reviewed`,
    );
  if (!integ.secret.handedOver)
    throw new Error(
      `integration "${integration}": no managed secret has been handed over yet; the vendor may still use ${vendor.keyId}`,
    );
  const objectId = integ.existing!.applicationObjectId!;
  const app = await graph.get<{ appId: string; passwordCredentials: { keyId: string }[] }>(
    `/applications/${objectId}?$select=id,appId,passwordCredentials`,
  );
  if (integ.existing?.clientId && app.appId.toLowerCase() !== integ.existing.clientId) {
    throw new Error(
      `application ${objectId} has client id ${app.appId}, not ${integ.existing.clientId} as the stack file says; nothing removed`,
    );
  }
  const present = app.passwordCredentials.some((p) => p.keyId.toLowerCase() === vendor.keyId);
  const edited = withoutVendorSecret(text, integration);
  parseStackConfig(rawConfigFrom(stackConfigFromText(edited, file)));
  if (dryRun) return { keyId: vendor.keyId, removed: false, alreadyGone: !present, text: edited };
  if (present) await graph.post(`/applications/${objectId}/removePassword`, { keyId: vendor.keyId });
  writeFileAtomic(file, edited);
  return { keyId: vendor.keyId, removed: present, alreadyGone: !present, text: edited };
}
