// Policy pack: `pulumi preview --policy-pack policy` (configure with --policy-pack-config policy/config.example.json).
import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./policies";

new PolicyPack("crm-sync", { policies: [...resourcePolicies, ...stackPolicies] });
