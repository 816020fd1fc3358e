import type * as pulumi from "@pulumi/pulumi";
import { randomUUID } from "node:crypto";
import type { DataverseClient } from "../components/dataverse/http/client";
import { makeApplicationUserProvider } from "../components/dataverse/applicationUser";
import { makeChangeTrackingProvider } from "../components/dataverse/changeTracking";
import { makeSecurityRoleProvider } from "../components/dataverse/securityRole";
import { ROLE_TEMPLATES } from "../emulator/seed";
import type { Emulator } from "../emulator/server";
import { naiveApplicationUser, naiveChangeTracking, naiveSecurityRole, type NaiveFlavour } from "./naive";

type Work = (emulator: Emulator, client: () => DataverseClient) => Promise<void>;

export interface BenchCase {
  name: string;
  /** Extra tables the emulator starts with. */
  tables: number;
  /**
   * The fewest sequential round trips any client can need, and why (the assumptions of the lower bound).
   * The floor's wall time is stages x (latency + per-operation server cost): each stage's operations in parallel.
   */
  floor: { stages: number; assumptions: string };
  /** Our provider's first run, alone. */
  ours: Work;
  /** The same inputs again, after `ours`: a no-op run (not timed; its requests and writes are reported). */
  rerun: Work;
  naive: (flavour: NaiveFlavour) => Work;
}

const tableNames = (n: number) => Array.from({ length: n }, (_, i) => `new_table${String(i + 1).padStart(3, "0")}`);
const silent = () => undefined;

/** Our run creates; the rerun refreshes the created resource and updates it only if the diff says so, as `pulumi up` does. */
function createThenRerun(
  provider: (client: () => DataverseClient) => pulumi.dynamic.ResourceProvider,
  inputs: (e: Emulator) => Record<string, unknown>,
): Pick<BenchCase, "ours" | "rerun"> {
  let created: pulumi.dynamic.CreateResult | undefined;
  return {
    ours: async (e, client) => {
      created = await provider(client).create!(inputs(e));
    },
    rerun: async (e, client) => {
      const p = provider(client);
      const read = await p.read!(created!.id, created!.outs);
      if ((await p.diff!(created!.id, read.props, inputs(e))).changes)
        await p.update!(created!.id, read.props, inputs(e));
    },
  };
}

const CHANGE_TRACKING_FLOOR = {
  stages: 3,
  assumptions:
    "a PUT must send the whole definition back, so each table is read first; PublishXml comes after the writes and is not combined with them in one request (whether Dataverse accepts metadata writes in $batch is UNCONFIRMED)",
};

export function changeTrackingCase(n: number): BenchCase {
  const inputs = (e: Emulator) => ({ environmentUrl: e.url, entities: tableNames(n) });
  const provider = (client: () => DataverseClient) =>
    makeChangeTrackingProvider({ clientFactory: client, log: silent });
  return {
    name: `change tracking, ${n} table${n > 1 ? "s" : ""}`,
    tables: n,
    floor: CHANGE_TRACKING_FLOOR,
    ...createThenRerun(provider, inputs),
    naive: (flavour) => (_e, client) => naiveChangeTracking(client(), tableNames(n), flavour),
  };
}

const ROLES = [...Object.keys(ROLE_TEMPLATES), "CRM Sync Integration"];

export function applicationUserCase(r: number): BenchCase {
  const roles = ROLES.slice(0, r);
  const applicationId = randomUUID();
  const inputs = (e: Emulator) => ({ environmentUrl: e.url, applicationId, securityRoles: roles });
  const provider = (client: () => DataverseClient) =>
    makeApplicationUserProvider({ clientFactory: client, log: silent });
  const run = createThenRerun(provider, inputs);
  return {
    name: `application user, ${r} role${r > 1 ? "s" : ""}`,
    tables: 0,
    floor: {
      stages: 3,
      assumptions:
        "the user lookup and the root business unit first; the create (roles looked up beside it); the role assignments in parallel",
    },
    ...run,
    naive: (flavour) => (_e, client) => naiveApplicationUser(client(), randomUUID(), roles, flavour),
  };
}

/** 40 privileges: the eight table operations on five tables, organization-wide. */
const FORTY = ["account", "contact", "lead", "opportunity", "incident"].flatMap((t) =>
  ["Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share"].map((op) => ({
    name: `prv${op}${t}`,
    depth: "Global" as const,
  })),
);

export function securityRoleCase(): BenchCase {
  const inputs = (e: Emulator) => ({ environmentUrl: e.url, roleName: "bench role", privileges: FORTY });
  const provider = (client: () => DataverseClient) => makeSecurityRoleProvider({ clientFactory: client, log: silent });
  const run = createThenRerun(provider, inputs);
  return {
    name: "security role, 40 privileges",
    tables: 0,
    floor: {
      stages: 3,
      assumptions:
        "the root business unit and the privilege ids; the role (privileges cannot be given in its create: UNCONFIRMED); its privileges in one ReplacePrivilegesRole",
    },
    ...run,
    naive: (flavour) => (_e, client) => naiveSecurityRole(client(), "bench role", FORTY, flavour),
  };
}
