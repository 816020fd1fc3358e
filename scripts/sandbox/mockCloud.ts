import type * as pulumi from "@pulumi/pulumi";
import { RESOURCE_APIS } from "../../components/entra/permissionCatalog";
import { TYPES } from "../../components/resourceTypes";
import { fakeGuid, fakeSecret } from "./fakeIds";
import { unwrapWire, wrapWireSecrets } from "./resolve";

export interface PlannedResource {
  type: string;
  name: string;
  /** Inputs as the program passed them; secret inputs are `Secret`. */
  inputs: Record<string, unknown>;
  /** Whether this is a component (a grouping) rather than a cloud resource. */
  component: boolean;
  /** Reference (`urn::id`) of the explicit provider the resource was registered with, if any. */
  provider?: string;
  /** The id Pulumi's `import` option takes the existing object over by (azuread import id), when adopted. */
  import?: string;
}

/** A provider function the program called, with the provider it went through. */
export interface PlannedInvoke {
  token: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

type State = Record<string, unknown>;
type StateMaker = (name: string, inputs: State) => State;

const SECRET_START = "2026-01-01T00:00:00Z";

/** Fake cloud-side outputs, derived from resource names so every run agrees. */
const CLOUD_STATE: Record<string, StateMaker> = {
  [TYPES.application]: (name) => {
    const objectId = fakeGuid(`application:${name}`);
    return { objectId, clientId: fakeGuid(`client:${name}`), id: `/applications/${objectId}` };
  },
  [TYPES.servicePrincipal]: (name) => ({ objectId: fakeGuid(`sp:${name}`) }),
  [TYPES.applicationUser]: (name, inputs) => {
    const root = fakeGuid(`root-business-unit:${inputs.environmentUrl}`);
    const roles = (inputs.securityRoles as string[] | undefined) ?? [];
    const roleIds = roles.map((r) => fakeGuid(`role:${inputs.businessUnitId ?? root}:${r}`));
    return {
      id: fakeGuid(`systemuser:${name}`),
      systemUserId: fakeGuid(`systemuser:${name}`),
      businessUnitId: inputs.businessUnitId ?? root,
      rootBusinessUnitId: root,
      roleIds,
      assignedRoleIds: roleIds,
      isDisabled: false,
      adopted: false,
    };
  },
  [TYPES.keyVaultSecret]: (_name, inputs) => {
    const uri = `https://${inputs.vaultName}.vault.azure.net/secrets/${inputs.secretName}`;
    return {
      properties: {
        ...(unwrapWire(inputs.properties) as State),
        secretUri: uri,
        secretUriWithVersion: `${uri}/0123456789abcdef`,
      },
    };
  },
  [TYPES.securityRole]: (name, inputs) => ({
    id: fakeGuid(`securityrole:${name}`),
    roleId: fakeGuid(`securityrole:${name}`),
    businessUnitId: fakeGuid(`root-business-unit:${inputs.environmentUrl}`),
    privileges: [],
    heldPrivileges: [],
    platformKept: [],
  }),
  [TYPES.changeTracking]: (_name, inputs) => ({
    id: `${inputs.environmentUrl}|changetracking`,
    enabledEntities: inputs.entities,
    retainedEntities: [],
  }),
  [TYPES.password]: (name, inputs) => ({
    keyId: fakeGuid(`key:${name}`),
    value: fakeSecret(name),
    startDate: SECRET_START,
    endDate: inputs.endDate,
  }),
};

/** A resource a Dataverse run really created: its id and the outputs its provider returned. */
export interface CreatedResource {
  type: string;
  name: string;
  id: string;
  outs: Record<string, unknown>;
}

/** A security role the stack generates, for showing it by name where the program holds its id. */
export interface GeneratedRole {
  roleName: string;
  resource: string;
  placeholder: boolean;
}

export interface MockCloudOptions {
  /** Client secret values Entra "generates", by ApplicationPassword resource name (for tests). */
  secretValues?: Record<string, string>;
  /** The tenant the simulated azuread provider reports it is signed in to (default: the one it is bound to). */
  signedInTenantId?: string;
  /** The clock: a `time.Static` created in this run records this moment. */
  now?: () => Date;
  /** Creation moments already in state, by `time.Static` resource name (a later run of the same stack). */
  createdAt?: Record<string, string>;
  /** Client ids of app registrations the stack imports, by object id (from its `existing:` blocks). */
  importedClientIds?: Record<string, string>;
  /** Resources a run really created: they answer with their real id and outputs instead of placeholders. */
  created?: CreatedResource[];
}

/**
 * Pulumi mocks that stand in for Entra: deterministic ids, first-party service principals from the
 * permission catalog, and a record of every resource the program registers, in order.
 */
export class MockCloud implements pulumi.runtime.Mocks {
  readonly resources: PlannedResource[] = [];

  readonly invokes: PlannedInvoke[] = [];

  private readonly secretValues: Record<string, string>;
  private readonly signedInTenantId?: string;
  private readonly now: () => Date;
  private readonly createdAt: Record<string, string>;

  constructor(options: MockCloudOptions = {}) {
    this.secretValues = options.secretValues ?? {};
    this.signedInTenantId = options.signedInTenantId;
    this.now = options.now ?? (() => new Date());
    this.createdAt = options.createdAt ?? {};
    this.importedClientIds = options.importedClientIds ?? {};
    this.created = options.created ?? [];
  }

  private readonly created: CreatedResource[];

  /** The generated security roles, by the role id the program was given. */
  readonly generatedRoles = new Map<string, GeneratedRole>();

  private readonly importedClientIds: Record<string, string>;

  /** An imported object keeps the ids it has: its object id is the import id's last segment. */
  private importedState(type: string, importId: string): State {
    const objectId = importId.split("/").pop()!;
    if (type === TYPES.application)
      return {
        id: importId,
        objectId,
        ...(this.importedClientIds[objectId] ? { clientId: this.importedClientIds[objectId] } : {}),
      };
    if (type === TYPES.servicePrincipal) return { id: objectId, objectId };
    return { id: importId };
  }

  private stateMaker(type: string): StateMaker | undefined {
    // time.Static keeps the moment it was created (pulumiverse/pulumi-time, upstream hashicorp/terraform-provider-time
    // time_static: rfc3339 defaults to the creation time, whole seconds, UTC).
    if (type === TYPES.timeStatic) {
      return (name) => ({
        rfc3339:
          this.createdAt[name] ??
          this.now()
            .toISOString()
            .replace(/\.\d{3}Z$/, "Z"),
      });
    }
    const make = CLOUD_STATE[type];
    if (type !== TYPES.password || !make) return make;
    return (name, inputs) => ({
      ...make(name, inputs),
      ...(this.secretValues[name] ? { value: this.secretValues[name] } : {}),
    });
  }
  /** Human labels for the fake object ids this cloud handed out, for readable plans. */
  readonly labels = new Map<string, string>();

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const inputs = args.inputs as State;
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs: wrapWireSecrets(inputs) as State,
      component: !args.custom,
      ...(args.provider ? { provider: args.provider } : {}),
      ...(args.id ? { import: args.id } : {}),
    });
    if (!args.custom) return { id: "", state: {} };
    const real = this.created.find((c) => c.type === args.type && c.name === args.name);
    const made = real ? { ...real.outs, id: real.id } : (this.stateMaker(args.type)?.(args.name, inputs) ?? {});
    const extra = args.id ? { ...made, ...this.importedState(args.type, args.id) } : made;
    const id =
      (extra.id as string | undefined) ??
      (extra.objectId as string | undefined) ??
      fakeGuid(`${args.type}:${args.name}`);
    for (const key of ["objectId", "clientId"]) {
      if (typeof extra[key] === "string") this.labels.set(extra[key] as string, `${args.name} ${key}`);
    }
    if (args.type === TYPES.securityRole)
      this.generatedRoles.set(String(made.roleId ?? id), {
        roleName: String(inputs.roleName),
        resource: args.name,
        placeholder: !real,
      });
    return { id, state: { ...inputs, ...extra } };
  }

  call(args: pulumi.runtime.MockCallArgs): State {
    this.invokes.push({
      token: args.token,
      inputs: args.inputs as State,
      ...(args.provider ? { provider: args.provider } : {}),
    });
    if (args.token === "azuread:index/getClientConfig:getClientConfig") {
      // The provider reports the tenant it authenticated to (see components/entra/tenant.ts for the source).
      const tenantId = this.signedInTenantId ?? this.providerTenant(args.provider);
      return {
        id: `clientConfigs/tenantId=${tenantId}`,
        tenantId,
        clientId: fakeGuid("deploying-client"),
        objectId: fakeGuid("deploying-principal"),
      };
    }
    if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal") {
      const clientId = String(args.inputs.clientId);
      const api = RESOURCE_APIS.find((a) => a.appId === clientId);
      if (!api) throw new Error(`the sandbox tenant has no service principal for application ${clientId}`);
      const objectId = fakeGuid(`first-party-sp:${clientId}`);
      this.labels.set(objectId, `${api.name} service principal`);
      return {
        id: objectId,
        objectId,
        clientId,
        displayName: api.name,
        appRoleIds: api.application,
        oauth2PermissionScopeIds: api.delegated,
      };
    }
    throw new Error(`the sandbox does not implement ${args.token}`);
  }

  /** The tenantId input of the explicit provider a call went through. */
  private providerTenant(ref: string | undefined): string | undefined {
    const urn = ref?.split("::").slice(0, -1).join("::");
    const provider = this.resources.find((r) => r.type.startsWith("pulumi:providers:") && urn?.endsWith(`::${r.name}`));
    return provider?.inputs.tenantId as string | undefined;
  }
}
