import { z } from "zod";
import { MAX_SECRET_LIFETIME_MONTHS } from "../entra/secretExpiry";
import { defaultExpiryWarningDays, defaultRotateEveryDays, lifetimeDays } from "../entra/secretSchedule";
import { generationNumber, guid, isoInstant } from "./fields";

/** The `secret:` block of an integration: lifetime, rotation windows and the recorded handover. */
export const handedOver = z.strictObject({
  /** Rotation number of the secret now in the vendor's settings (stack output `generic.secrets[].rotation`). */
  rotation: z
    .number({ error: "must be a rotation number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be 1 or more" }),
  /** When that secret was created (stack output `generic.secrets[].createdAt`). */
  createdAt: isoInstant,
  /** The on-demand generation this secret served; `secret.generation` above it asks for a new one. */
  generation: generationNumber,
  /** Its end date, fixed when it was created (stack output `generic.secrets[].endDate`); a later lifetime does not move it. */
  endDate: isoInstant.optional(),
  /** Its key id and its app's client id: record-handover refuses outputs of another app or deployment. */
  keyId: z
    .string({ error: "must be the key id the outputs list" })
    .regex(/^[\w-]{1,64}$/, { error: "must be the key id the outputs list (a GUID)" })
    .optional(),
  clientId: guid.optional(),
});

export const secretKeys = z.strictObject({
  /** Lifetime of each client secret, in months, from the moment it is created. */
  lifetimeMonths: z
    .number({ error: "must be a number of months" })
    .int({ error: "must be a whole number of months" })
    .min(1, { error: "must be at least 1 month" })
    .max(MAX_SECRET_LIFETIME_MONTHS, { error: `must be at most ${MAX_SECRET_LIFETIME_MONTHS} months` })
    .default(MAX_SECRET_LIFETIME_MONTHS),
  /** Days after the held secret's creation when the next one is created for handover; default half the lifetime. */
  rotateEveryDays: z
    .number({ error: "must be a number of days" })
    .int({ error: "must be a whole number of days" })
    .min(1, { error: "must be at least 1 day" })
    .optional(),
  /** On-demand rotations asked for so far; scripts/rotate-secret bumps it. */
  generation: generationNumber,
  /** Warn, and let CI fail, when the secret the vendor holds ends within this many days. Default: 30 days, or a third of a shorter lifetime (a 1-month secret warns 10 days ahead). */
  expiryWarningDays: z
    .number({ error: "must be a number of days" })
    .int({ error: "must be a whole number of days" })
    .min(1, { error: "must be at least 1 day" })
    .optional(),
  /** Which secret the vendor holds; written by scripts/record-handover after the secret is pasted. */
  handedOver: handedOver.optional(),
});

export const secretPolicy = secretKeys
  .default({ lifetimeMonths: MAX_SECRET_LIFETIME_MONTHS, generation: 0 })
  .transform((given, ctx) => {
    // Defaults follow the user's own values: they never conflict with a lifetime the user chose.
    const s = {
      ...given,
      expiryWarningDays: given.expiryWarningDays ?? defaultExpiryWarningDays(given.lifetimeMonths),
    };
    const rotateEveryDays = s.rotateEveryDays ?? defaultRotateEveryDays(s.lifetimeMonths);
    const days = lifetimeDays(s.lifetimeMonths);
    if (rotateEveryDays >= days) {
      ctx.addIssue({
        code: "custom",
        path: ["rotateEveryDays"],
        message: `must be shorter than the secret's lifetime (${days} days for ${s.lifetimeMonths} months), or secrets end before the next one exists`,
      });
    }
    if (s.expiryWarningDays >= days) {
      ctx.addIssue({
        code: "custom",
        path: ["expiryWarningDays"],
        message: `must be shorter than the secret's lifetime (${days} days for ${s.lifetimeMonths} months), or every secret is reported as ending`,
      });
    }
    // generation > 0 without a handover: checked in parse.ts, where an adopted integration (existing.vendorSecret) may.
    if (s.handedOver && s.handedOver.generation > s.generation) {
      ctx.addIssue({
        code: "custom",
        path: ["handedOver", "generation"],
        message: `is ${s.handedOver.generation}, above secret.generation (${s.generation}): the two are written by the scripts; restore them`,
      });
    }
    return { ...s, rotateEveryDays };
  });
