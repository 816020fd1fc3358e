import { z } from "zod";
import type { VendorProfile } from "../profile";

/** Everything explicit: no defaults; the settings are the generic block's values. */
export const custom: VendorProfile<Record<string, never>> = {
  key: "custom",
  title: "Custom integration",
  settings: z.strictObject({}),
  defaults: () => ({}),
  fields: (ctx) => ({
    tenantId: ctx.tenantId,
    clientId: ctx.clientId,
    clientSecret: ctx.clientSecret,
  }),
  secretFields: ["clientSecret"],
  clientSecretFields: ["clientSecret"],
  nextSteps: () => [
    "Configure the integration with settings.tenantId, settings.clientId and settings.clientSecret (and generic.* as it needs).",
  ],
};
