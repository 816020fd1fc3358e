import { DataverseClient } from "../../components/dataverse/http/client";
import { isDataverseError } from "../../components/dataverse/http/errors";
import { withQuery } from "../../components/dataverse/http/odata";
import type { DataverseSettings } from "../../components/dataverse/http/settings";
import type { TokenSource } from "../../components/dataverse/http/token";

export type VerifyFailure =
  | "bad-secret"
  | "app-not-found"
  | "consent-missing"
  | "token"
  | "token-rejected"
  | "no-app-user"
  | "disabled"
  | "no-role";

export class VerifyError extends Error {
  constructor(
    readonly reason: VerifyFailure,
    message: string,
  ) {
    super(message);
    this.name = "VerifyError";
  }
}

export interface VerifyTarget {
  environmentUrl: string;
  clientId: string;
  /** False for delegated integrations, which sign users in and have no application user. */
  expectApplicationUser: boolean;
}

export type VerifyResult =
  | { kind: "application-user"; userId: string; businessUnitId: string; fullName: string; roles: string[] }
  | { kind: "token-only" };

/** What Entra's AADSTS codes mean for the person running the check. */
export function explainTokenError(err: unknown, clientId: string): VerifyError {
  const text = err instanceof Error ? err.message : String(err);
  if (/AADSTS7000215|AADSTS7000222|invalid client secret|secret keys are expired/i.test(text)) {
    return new VerifyError(
      "bad-secret",
      `the client secret of ${clientId} is wrong or expired; use the current value from the stack outputs or rotate it`,
    );
  }
  if (/AADSTS700016|AADSTS90002/.test(text)) {
    return new VerifyError(
      "app-not-found",
      `Entra does not know application ${clientId} in this tenant (wrong tenant, or the app was deleted)`,
    );
  }
  if (/AADSTS65001|consent/i.test(text)) {
    return new VerifyError(
      "consent-missing",
      `admin consent for ${clientId} is missing; run pulumi up with grantAdminConsent: true, or ask a tenant admin to consent`,
    );
  }
  return new VerifyError("token", `could not get a token for ${clientId}: ${text.split("\n")[0]}`);
}

interface OwnUser {
  fullname?: string;
  isdisabled?: boolean;
  _businessunitid_value: string;
  systemuserroles_association?: { name: string }[];
}

const disabled = (target: VerifyTarget) =>
  new VerifyError(
    "disabled",
    `the application user of ${target.clientId} in ${target.environmentUrl} is disabled: enable it again with pulumi up (or in the Power Platform admin center); the vendor's connection fails until then`,
  );

/**
 * The vendor's "Test connection": a client-credentials token for the environment, WhoAmI, then the
 * application user's roles. Each failure says what is wrong and what fixes it; nothing secret is printed.
 */
export async function verifyConnection(
  target: VerifyTarget,
  tokenSource: TokenSource,
  settings?: DataverseSettings,
): Promise<VerifyResult> {
  let token: string;
  try {
    token = await tokenSource();
  } catch (err) {
    throw explainTokenError(err, target.clientId);
  }
  if (!target.expectApplicationUser) return { kind: "token-only" };
  const client = new DataverseClient(target.environmentUrl, {
    tokenSource: async () => token,
    settings,
    log: () => {},
  });
  let who: { UserId: string; BusinessUnitId: string };
  try {
    who = await client.get("/WhoAmI");
  } catch (err) {
    // How Dataverse answers a disabled application user (401 or 403, which words) is UNCONFIRMED: any refusal that
    // speaks of a disabled user is reported as such, before the generic token and membership explanations.
    if (isDataverseError(err) && (err.status === 401 || err.status === 403) && /disabled/i.test(err.detail))
      throw disabled(target);
    if (isDataverseError(err) && err.status === 401)
      throw new VerifyError("token-rejected", `${target.environmentUrl} rejected the token: ${err.detail}`);
    if (isDataverseError(err) && err.status === 403) {
      throw new VerifyError(
        "no-app-user",
        `${target.environmentUrl} has no application user for ${target.clientId}; give the integration a dataverse part and run pulumi up`,
      );
    }
    throw err;
  }
  let user: OwnUser;
  try {
    user = await client.get(
      withQuery(`/systemusers(${who.UserId})`, {
        $select: "fullname,isdisabled,_businessunitid_value",
        $expand: "systemuserroles_association($select=name)",
      }),
    );
  } catch (err) {
    if (isDataverseError(err) && err.status === 403) {
      throw new VerifyError(
        "no-role",
        `the application user of ${target.clientId} has no security role that lets it read; add dataverse.securityRoles and run pulumi up`,
      );
    }
    throw err;
  }
  if (user.isdisabled) throw disabled(target);
  const roles = (user.systemuserroles_association ?? []).map((r) => r.name).sort();
  if (roles.length === 0)
    throw new VerifyError(
      "no-role",
      `the application user of ${target.clientId} has no security role; add dataverse.securityRoles and run pulumi up`,
    );
  return {
    kind: "application-user",
    userId: who.UserId,
    businessUnitId: who.BusinessUnitId,
    fullName: user.fullname ?? "",
    roles,
  };
}
