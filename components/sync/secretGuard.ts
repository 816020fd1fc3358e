import * as pulumi from "@pulumi/pulumi";

/** The forbidden characters that occur in the value. */
export function forbiddenCharactersIn(value: string, forbidden: string[]): string[] {
  return forbidden.filter((c) => value.includes(c));
}

/** The message for a secret the vendor would reject: what is wrong and the exact command that fixes it; never the value. */
export function rejectedSecretMessage(
  vendor: string,
  integration: string,
  characters: string[],
  stack: string,
  passwordUrn: string,
): string {
  const listed = characters.map((c) => `"${c}"`).join(", ");
  return (
    `${vendor} rejects client secrets containing ${listed}, and the secret Entra generated for integration "${integration}" has one. ` +
    `Get a new secret with: pulumi up -s ${stack} --replace '${passwordUrn}'`
  );
}

/** Passes the secret through, failing the deployment (without revealing it) when the vendor would reject it. */
export function guardSecret(
  secret: pulumi.Output<string>,
  forbidden: string[] | undefined,
  vendor: string,
  integration: string,
  passwordUrn: pulumi.Output<string>,
): pulumi.Output<string> {
  if (!forbidden?.length) return secret;
  return pulumi.secret(
    pulumi.all([secret, passwordUrn]).apply(([value, urn]) => {
      const found = forbiddenCharactersIn(value, forbidden);
      if (found.length) throw new Error(rejectedSecretMessage(vendor, integration, found, pulumi.getStack(), urn));
      return value;
    }),
  );
}
