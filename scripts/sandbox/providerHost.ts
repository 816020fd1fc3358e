/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's generated gRPC response classes carry no types */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";

// The gRPC and protobuf modules the SDK's generated code uses, resolved from the SDK so that instances match.
const requireFromSdk = createRequire(createRequire(__filename).resolve("@pulumi/pulumi/package.json"));
const grpc = requireFromSdk("@grpc/grpc-js");
const provrpc = requireFromSdk("./proto/provider_grpc_pb");
const provproto = requireFromSdk("./proto/provider_pb");
const { Struct } = requireFromSdk("google-protobuf/google/protobuf/struct_pb.js");

export type Props = Record<string, unknown>;

/** The SDK's dynamic-provider host (what the Pulumi CLI runs), spoken to over gRPC. */
export interface ProviderHost {
  process: ChildProcess;
  /** Everything the host wrote to stderr (the provider's log lines). */
  stderr: () => string;
  /** Waits (up to `ms`) until stderr matches: log lines arrive on their own pipe, after the call that wrote them returned. */
  waitForStderr(pattern: RegExp, ms?: number): Promise<string>;
  check(
    urn: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: number; replaces: string[] }>;
  create(urn: string, props: Props): Promise<{ id: string; props: Props }>;
  read(urn: string, id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<Props>;
  delete(urn: string, id: string, props: Props): Promise<void>;
  close(): Promise<void>;
}

/** The provider's own message, without the gRPC status text ("2 UNKNOWN: ") that means nothing to a user. */
function userLevel(err: Error & { details?: string }): Error {
  const message = (err.details || err.message).replace(/^(?:\d+ [A-Z_]+: )+/, "");
  return Object.assign(new Error(message), { grpcCode: (err as { code?: number }).code });
}

export const urnFor = (type: string, name: string) => `urn:pulumi:test::crm-sync::${type}::${name}`;
export const DIFF_NONE = provproto.DiffResponse.DiffChanges.DIFF_NONE as number;
export const DIFF_SOME = provproto.DiffResponse.DiffChanges.DIFF_SOME as number;

/**
 * Starts `@pulumi/pulumi/cmd/dynamic-provider`, the process the Pulumi CLI runs for dynamic resources, with only
 * the given environment (plus PATH), and connects to it. `cwd` is the program's folder (the CLI starts the host there);
 * `hostScript` the host of another installation of the SDK (a consumer project's).
 */
export async function startProviderHost(
  env: Record<string, string>,
  cwd = process.cwd(),
  hostScript = requireFromSdk.resolve("./cmd/dynamic-provider"),
): Promise<ProviderHost> {
  // Strict: a promise rejection nobody handles ends the host at once, so tests see what `pulumi up` would.
  const child = spawn(process.execPath, ["--unhandled-rejections=strict", hostScript, "127.0.0.1:1"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += String(d);
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`the dynamic-provider host exited with ${code}: ${stderr}`)));
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](req, (err: (Error & { details?: string }) | null, resp: T) =>
        err ? reject(userLevel(err)) : resolve(resp),
      ),
    );
  const struct = (o: Props) => Struct.fromJavaScript(o);

  const configure = new provproto.ConfigureRequest();
  configure.setArgs(struct({}));
  await call("configure", configure);

  return {
    process: child,
    stderr: () => stderr,
    async waitForStderr(pattern, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return stderr;
    },
    async check(urn, olds, news) {
      const req = new provproto.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp = await call<any>("check", req);
      return {
        inputs: resp.getInputs().toJavaScript(),
        failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(urn, id, olds, news) {
      const req = new provproto.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp = await call<any>("diff", req);
      return { changes: resp.getChanges(), replaces: resp.getReplacesList() };
    },
    async create(urn, props) {
      const req = new provproto.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(props));
      const resp = await call<any>("create", req);
      return { id: resp.getId(), props: resp.getProperties().toJavaScript() };
    },
    async read(urn, id, props) {
      const req = new provproto.ReadRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      const resp = await call<any>("read", req);
      return { id: resp.getId(), props: resp.getProperties()?.toJavaScript() ?? {} };
    },
    async update(urn, id, olds, news) {
      const req = new provproto.UpdateRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp = await call<any>("update", req);
      return resp.getProperties().toJavaScript();
    },
    async delete(urn, id, props) {
      const req = new provproto.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(props));
      await call("delete", req);
    },
    close: () =>
      new Promise<void>((resolve) => {
        client.close();
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}
