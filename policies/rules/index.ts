// Every rule of the pack. Tests and the offline policy runner import this module; only
// ../index.ts constructs the PolicyPack (constructing one starts the analyzer's gRPC server).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { accountPolicies } from "./accounts";
import { dnsPolicies } from "./dns";
import { ecrPolicies } from "./ecr";
import { ecsPolicies } from "./ecs";
import { iamPolicies } from "./iam";
import { iamQuotaPolicies } from "./iamQuotas";
import { lbPolicies } from "./lb";
import { networkPolicies } from "./network";
import { pullThroughCachePolicies } from "./pullThroughCache";
import { s3Policies } from "./s3";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

export const policyPackName = "ecr-private-access";

/** Every policy, each carrying its default enforcement level. */
export const allPolicies: Policy[] = [
    ...dnsPolicies,
    ...ecrPolicies,
    ...networkPolicies,
    ...ecsPolicies,
    ...lbPolicies,
    ...accountPolicies,
    ...s3Policies,
    ...iamQuotaPolicies,
    ...iamPolicies,
    ...pullThroughCachePolicies,
];
