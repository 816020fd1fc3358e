import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../scripts/sync/stackOutputs";

const integration = { profile: "custom", settings: { clientId: "c" }, secretFields: [], generic: { stack: "dev" } };

describe("the stack outputs the commands read from stdin", () => {
  it("are `pulumi stack output --json`, or the sandbox's `npm start -s -- --json` document with them under outputs", () => {
    expect(Object.keys(parseStackOutputs(JSON.stringify({ integrations: { crm: integration } })))).toEqual(["crm"]);
    const sandbox = { stack: "dev", resources: [], outputs: { integrations: { crm: integration } } };
    expect(parseStackOutputs(JSON.stringify(sandbox)).crm?.generic.stack).toBe("dev");
  });

  it("anything else is refused naming what it has", () => {
    expect(() => parseStackOutputs(JSON.stringify({ outputs: { integrations: {} } }))).toThrow(
      /has no `integrations` output \(top-level keys: outputs\)/,
    );
  });
});
