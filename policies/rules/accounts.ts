// Accounts: the shipped stack files use AWS's documentation account IDs; a real deployment needs real ones.
import type { StackValidationPolicy } from "@pulumi/policy";
import { configOf, plain } from "./util";

export interface ExampleAccountsConfig {
    /** Account IDs that only ever appear in documentation. */
    exampleAccountIds: string[];
}

/**
 * Account IDs AWS uses in its documentation and examples (IAM user guide, ECR and
 * Organizations guides): no real account is meant to carry them.
 */
export const exampleAccountsDefaults: ExampleAccountsConfig = {
    exampleAccountIds: [
        "123456789012",
        "111122223333",
        "444455556666",
        "777788889999",
        "555555555555",
        "111111111111",
        "222222222222",
        "333333333333",
        "999999999999",
        "012345678901",
    ],
};

/** Every 12-digit account ID in a value (ARNs, principals, plain IDs), walked once. */
function collectAccountIds(value: unknown, into: Set<string>): void {
    if (typeof value === "string") {
        for (const m of value.matchAll(/(?<!\d)\d{12}(?!\d)/g)) into.add(m[0]);
    } else if (Array.isArray(value)) {
        for (const v of value) collectAccountIds(v, into);
    } else if (value && typeof value === "object") {
        for (const v of Object.values(value)) collectAccountIds(v, into);
    }
}

export const exampleAccountIds: StackValidationPolicy = {
    name: "example-account-ids",
    description:
        "Reports AWS documentation account IDs (123456789012, 111122223333, ...) in the stack: the shipped stack files are examples, and every stack needs the real account IDs before `pulumi up`.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            exampleAccountIds: {
                type: "array",
                items: { type: "string" },
                default: exampleAccountsDefaults.exampleAccountIds,
                description: "Account IDs that only appear in documentation.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf(args, exampleAccountsDefaults);
        const examples = new Set(cfg.exampleAccountIds);
        // Account -> the first resource that names it, for the message.
        const found = new Map<string, string>();
        for (const r of args.resources) {
            const ids = new Set<string>();
            collectAccountIds(plain(r.props), ids);
            for (const id of ids) if (examples.has(id) && !found.has(id)) found.set(id, r.urn);
        }
        for (const [id, urn] of [...found.entries()].sort()) {
            report(
                `Account ${id} is an AWS documentation example: replace it with the real account ID in the stack files (accountId, aws:allowedAccountIds, consumers, registryAccounts) before \`pulumi up\`.`,
                urn,
            );
        }
    },
};

export const accountPolicies = [exampleAccountIds];
