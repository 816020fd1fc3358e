/** Microsoft identity platform and Dataverse URLs an integration is configured with (https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth). */
export interface Endpoints {
  authorizeUrlV1: string;
  tokenUrlV1: string;
  authorizeUrlV2: string;
  tokenUrlV2: string;
  /** Issuer base used by connectors that ask for an "endpoint" or authority URL. */
  authorityUrl: string;
  organizationUrl?: string;
  /** Web API root, current version. */
  webApiUrl?: string;
  /** Client-credentials scope of the environment. */
  scope?: string;
}

const LOGIN = "https://login.microsoftonline.com";

export function endpoints(tenantId: string, organizationUrl?: string): Endpoints {
  return {
    authorizeUrlV1: `${LOGIN}/${tenantId}/oauth2/authorize`,
    tokenUrlV1: `${LOGIN}/${tenantId}/oauth2/token`,
    authorizeUrlV2: `${LOGIN}/${tenantId}/oauth2/v2.0/authorize`,
    tokenUrlV2: `${LOGIN}/${tenantId}/oauth2/v2.0/token`,
    authorityUrl: `${LOGIN}/${tenantId}`,
    ...(organizationUrl
      ? { organizationUrl, webApiUrl: `${organizationUrl}/api/data/v9.2`, scope: `${organizationUrl}/.default` }
      : {}),
  };
}
