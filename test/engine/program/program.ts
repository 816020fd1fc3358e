// The engine tests' program: the three Dataverse resources, run by the real `pulumi` through the Node.js
// language host and its TypeScript loader. Stack config (set by test/engine/engine.ts) picks the variant.
import * as pulumi from "@pulumi/pulumi";
import { ApplicationUser } from "../../../components/dataverse/applicationUser";
import { ChangeTracking } from "../../../components/dataverse/changeTracking";
import { SecurityRole } from "../../../components/dataverse/securityRole";
import type { RoleGrant } from "../../../components/dataverse/privilegeResolution";

const config = new pulumi.Config();
const environmentUrl = config.require("environmentUrl");
const applicationId = config.require("applicationId");
// A release that renamed its resources keeps them through aliases naming the previous release's names.
// (`dropAliases` shows what the same rename does without them.)
const renamed = config.getBoolean("renamed") ?? false;
const keepAliases = !(config.getBoolean("dropAliases") ?? false);
const named = (previous: string, current: string) =>
  renamed ? { name: current, aliases: keepAliases ? [{ name: previous }] : [] } : { name: previous, aliases: [] };
const importUserId = config.get("importUserId");
const retainUser = config.getBoolean("retainUser") ?? false;

const roleName = named("engine-role", "engine-sync-role");
const role = new SecurityRole(
  roleName.name,
  {
    environmentUrl,
    roleName: config.get("roleName") ?? "CRM sync engine test",
    grants: [
      { table: "account", operation: "read", depth: "Global", reason: "declared" },
      { table: "account", operation: "write", depth: "Global", reason: "declared" },
      { table: "contact", operation: "read", depth: "Local", reason: "declared" },
      ...(config.getObject<RoleGrant[]>("extraGrants") ?? []),
    ],
  },
  { aliases: roleName.aliases },
);

const userName = named("engine-app-user", "engine-sync-app-user");
const user = new ApplicationUser(
  userName.name,
  {
    environmentUrl,
    applicationId,
    securityRoles: config.getObject<string[]>("userRoles") ?? role.roleId.apply((id) => ["Basic User", id]),
  },
  {
    aliases: userName.aliases,
    ...(importUserId ? { import: importUserId } : {}),
    ...(retainUser ? { retainOnDelete: true } : {}),
  },
);

const trackingName = named("engine-change-tracking", "engine-sync-change-tracking");
const tracking = new ChangeTracking(
  trackingName.name,
  {
    environmentUrl,
    entities: config.getObject<string[]>("entities") ?? ["account", "contact"],
  },
  { aliases: trackingName.aliases },
);

export const securityRoleId = role.roleId;
export const applicationUserId = user.systemUserId;
export const changeTrackedTables = tracking.enabledEntities;
// A secret handed to the vendor: it must reach state only encrypted, and no output may print it.
export const vendorSecret = config.requireSecret("vendorSecret");
