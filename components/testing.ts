// `crm-sync-infra/testing`: a Pulumi mocks implementation with the fake cloud this package's own tests and sandbox use
// (Entra ids, the client secret, Dataverse outputs, and the azuread client config that the tenant check reads).
// Use it with `pulumi.runtime.setMocks(new MockCloud(), ...)` before importing your program.
export {
  MockCloud,
  type MockCloudOptions,
  type PlannedInvoke,
  type PlannedResource,
} from "../scripts/sandbox/mockCloud";
