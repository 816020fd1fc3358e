import { describe, expect, it } from "vitest";
import {
  checkApplicationUser,
  diffApplicationUser,
  type ApplicationUserState,
} from "../components/dataverse/applicationUserPlan";
import { UNKNOWN_DURING_PREVIEW } from "../components/dataverse/inputs";

// Found by the engine tests (test/engine): on a first `pulumi preview` the real engine sends securityRoles as the
// unknown placeholder when the list holds a generated role's id, and check rejected it.
describe("ApplicationUser inputs unknown during preview", () => {
  const base = {
    environmentUrl: "https://contoso.crm4.dynamics.com",
    applicationId: "5891de5a-4f9c-4a72-88ac-40c1c8fa300d",
  };

  it("check passes an unknown role list through, unchanged, and still rejects a list that is not one", () => {
    const unknown = checkApplicationUser({ ...base, securityRoles: UNKNOWN_DURING_PREVIEW });
    expect(unknown.failures).toEqual([]);
    expect(unknown.inputs.securityRoles).toBe(UNKNOWN_DURING_PREVIEW);
    expect(checkApplicationUser({ ...base, securityRoles: "Basic User" }).failures).toEqual([
      { property: "securityRoles", reason: "must be a list of role names or role template ids" },
    ]);
  });

  it("diff reports that the roles may change when the new list is unknown", () => {
    const olds = {
      ...base,
      securityRoles: ["Basic User"],
      systemUserId: "u",
      businessUnitId: "bu",
      rootBusinessUnitId: "bu",
      roleIds: ["r"],
      assignedRoleIds: ["r"],
      isDisabled: false,
      adopted: false,
    } as ApplicationUserState;
    const news = checkApplicationUser({ ...base, securityRoles: UNKNOWN_DURING_PREVIEW }).inputs;
    expect(diffApplicationUser(olds, news)).toEqual({
      changes: true,
      replaces: [],
      detailedDiff: { securityRoles: { kind: "update", inputDiff: true } },
    });
  });
});
