// Pulumi program entry point (Pulumi.yaml `main`). Stack config lives in stacks/Pulumi.<stack>.yaml.
import { runStack } from "./components/stack";

export = runStack();
