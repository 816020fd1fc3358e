// The Dataverse providers' implementation, exported as `crm-sync-infra/dataverse-providers` (package.json `exports`).
// Pulumi state holds only small stubs (components/dataverse/providerStub.ts) that require this entry by the package's
// own name: Pulumi's dynamic-provider host resolves it from the program's folder, through node_modules, as it
// resolves axios, so it loads from inside crm-sync-infra itself in every install mode (tarball, file:, workspaces).
import type * as pulumi from "@pulumi/pulumi";

type Implementation = () => pulumi.dynamic.ResourceProvider;

/** Each loads its module on first use, so a host serving one kind never loads the others. */
export const applicationUser: Implementation = () =>
  require("../components/dataverse/applicationUser").applicationUserImplementation;
export const changeTracking: Implementation = () =>
  require("../components/dataverse/changeTracking").changeTrackingImplementation;
export const securityRole: Implementation = () =>
  require("../components/dataverse/securityRole").securityRoleImplementation;
