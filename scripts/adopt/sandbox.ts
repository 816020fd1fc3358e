import { startEmulator, type Emulator } from "../../emulator/server";
import { addApplicationUser } from "../../emulator/seed";
import { isWrite } from "../../emulator/requestLog";
import { startGraphEmulator, type GraphEmulator } from "../../emulator/graph/server";
import { seedApplication, type HandMadeApp } from "../../emulator/graph/seed";
import { DYNAMICS_CRM_APP_ID, MICROSOFT_GRAPH_APP_ID } from "../../emulator/graph/wellKnown";

/** The sandbox tenant and environment the adopted stack file names (the emulators stand in for them). */
export const SANDBOX_TENANT = "5f3c1a2b-7d4e-4f60-9a8b-0c1d2e3f4a5b";
export const SANDBOX_ENVIRONMENT = { key: "crm", url: "https://contoso.crm4.dynamics.com" };

const DAY = 86_400_000;
/** A secret made in the portal 100 days ago with the longest expiry the portal offers (24 months). */
const portalSecret = (now: Date, displayName: string) => {
  const start = new Date(now.getTime() - 100 * DAY);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 24);
  return {
    displayName,
    startDateTime: start.toISOString().replace(/\.\d+Z$/, "Z"),
    endDateTime: end.toISOString().replace(/\.\d+Z$/, "Z"),
  };
};

interface HandMadeSetup {
  app: (now: Date) => HandMadeApp;
  /** The application user made in Dataverse, with the roles given by hand; undefined when the page makes none. */
  user?: { roles: string[] };
  /** Tables whose change tracking was turned on by hand. */
  tracked?: string[];
}

/**
 * Each vendor's setup as its page leaves it when followed by hand in the portal (the pages behind
 * components/sync/profiles/*.ts): what the portal adds on its own (Microsoft Graph User.Read, delegated, on a new
 * registration) included; a "role" the page leaves open is System Administrator, as it is most often given.
 */
export const HAND_MADE: Record<string, HandMadeSetup> = {
  daktela: {
    app: (now) => ({ displayName: "Integrace Daktela", passwords: [portalSecret(now, "Daktela")] }),
    user: { roles: ["System Administrator"] },
  },
  "bright-pattern": {
    app: (now) => ({
      displayName: "Bright Pattern Dynamics 365",
      delegatedPermissions: { [DYNAMICS_CRM_APP_ID]: ["user_impersonation"], [MICROSOFT_GRAPH_APP_ID]: ["User.Read"] },
      web: ["https://contoso.brightpattern.com/admin/msdynamicscallback.html"],
      passwords: [portalSecret(now, "Bright Pattern")],
    }),
  },
  syncari: {
    app: (now) => ({
      displayName: "Syncari Integration",
      delegatedPermissions: { [DYNAMICS_CRM_APP_ID]: ["user_impersonation"], [MICROSOFT_GRAPH_APP_ID]: ["User.Read"] },
      // The OAuth Redirect URL Syncari generated (an example value; Syncari's own differs per synapse).
      web: ["https://app.syncari.com/oauth/dynamics/callback"],
      passwords: [portalSecret(now, "Syncari")],
    }),
    user: { roles: [] },
    tracked: ["account", "contact", "lead"],
  },
  cdata: {
    app: (now) => ({
      displayName: "CData Dynamics CRM",
      delegatedPermissions: { [DYNAMICS_CRM_APP_ID]: ["user_impersonation"], [MICROSOFT_GRAPH_APP_ID]: ["User.Read"] },
      web: ["http://localhost:33333/"],
      passwords: [portalSecret(now, "CData")],
    }),
  },
  raynet: {
    app: (now) => ({
      displayName: "Raynet Outlook Sync",
      applicationPermissions: {
        [MICROSOFT_GRAPH_APP_ID]: ["User.Read.All", "Calendars.ReadWrite", "Contacts.ReadWrite", "Tasks.ReadWrite.All"],
      },
      delegatedPermissions: { [MICROSOFT_GRAPH_APP_ID]: ["User.Read"] },
      passwords: [portalSecret(now, "Raynet")],
    }),
  },
};

export interface Sandbox {
  graph: GraphEmulator;
  dataverse: Emulator;
  clientId: string;
  /** Whether the vendor works against Dataverse (the stack file then names the environment). */
  usesDataverse: boolean;
  /** The environment the adopt run points at the emulators (same variables a real run would use). */
  env: Record<string, string>;
  writes(): { graph: number; dataverse: number };
  close(): Promise<void>;
}

/** Starts both emulators and lays down the vendor's hand-made setup in them. */
export async function startAdoptSandbox(vendor: string, now: Date): Promise<Sandbox> {
  const setup = HAND_MADE[vendor];
  if (!setup)
    throw new Error(
      `--sandbox: no hand-made setup for "${vendor}"; choose one of ${Object.keys(HAND_MADE).join(", ")}`,
    );
  const [graph, dataverse] = await Promise.all([startGraphEmulator({ tenantId: SANDBOX_TENANT }), startEmulator()]);
  const { application } = seedApplication(graph.data, setup.app(now));
  const root = dataverse.data.businessUnits[0].businessunitid;
  if (setup.user) {
    const roles = setup.user.roles.map(
      (name) => dataverse.data.roles.find((r) => r.name === name && r._businessunitid_value === root)!.roleid,
    );
    addApplicationUser(dataverse.data, {
      applicationid: application.appId,
      _businessunitid_value: root,
      roles: new Set(roles),
    });
  }
  for (const table of setup.tracked ?? []) dataverse.data.entities.get(table)!.ChangeTrackingEnabled = true;
  const usesDataverse = !!setup.user || !!setup.tracked?.length || vendor === "bright-pattern" || vendor === "cdata";
  return {
    graph,
    dataverse,
    clientId: application.appId,
    usesDataverse,
    env: {
      GRAPH_URL: graph.url,
      GRAPH_ACCESS_TOKEN: graph.token,
      DATAVERSE_EMULATOR_URL: dataverse.url,
      DATAVERSE_ACCESS_TOKEN: dataverse.token,
    },
    writes: () => ({ graph: graph.writes().length, dataverse: dataverse.log.filter(isWrite).length }),
    close: async () => {
      await Promise.all([graph.close(), dataverse.close()]);
    },
  };
}
