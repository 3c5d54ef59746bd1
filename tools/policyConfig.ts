import * as fs from "fs";
import type { Policies } from "@pulumi/policy";
import { didYouMean } from "../src/validation/suggest";
import { displayPath, UserError } from "./cli";

/**
 * Reads and checks a CrossGuard policy config file
 * (`{"<policy>": "<level>" | {"enforcementLevel": "<level>", "<property>": ...}, "all": "<level>"}`),
 * the format `pulumi preview --policy-pack-config` takes. Every problem names
 * the file and the key: a typo in a policy name would otherwise leave the
 * policy at its default level without a word.
 */

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

export type PolicyConfigValue =
    | (typeof ENFORCEMENT_LEVELS)[number]
    | ({ enforcementLevel?: (typeof ENFORCEMENT_LEVELS)[number] } & Record<string, unknown>);

/** Validates a parsed policy config against the pack's policies; returns the problems found. */
export function policyConfigProblems(value: unknown, policies: Policies): string[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return ['must be a JSON object such as {"all": "mandatory", "<policy name>": "advisory"}'];
    }
    const problems: string[] = [];
    const byName = new Map(policies.map((p) => [p.name, p]));
    const names = [...byName.keys(), "all"];
    const level = (key: string, v: unknown) => {
        if (!(ENFORCEMENT_LEVELS as readonly unknown[]).includes(v)) {
            problems.push(
                `${key}: ${JSON.stringify(v)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})${typeof v === "string" ? didYouMean(v, ENFORCEMENT_LEVELS) : ""}`,
            );
        }
    };
    for (const [name, entry] of Object.entries(value as Record<string, unknown>)) {
        const policy = byName.get(name);
        if (!policy && name !== "all") {
            problems.push(`${name}: not a policy of the pack${didYouMean(name, names)}`);
            continue;
        }
        if (typeof entry === "string") {
            level(name, entry);
            continue;
        }
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push(
                `${name}: must be an enforcement level (${ENFORCEMENT_LEVELS.join(", ")}) or an object with "enforcementLevel" and the policy's settings`,
            );
            continue;
        }
        const properties = policy?.configSchema?.properties ?? {};
        for (const [property, v] of Object.entries(entry as Record<string, unknown>)) {
            if (property === "enforcementLevel") {
                level(`${name}.enforcementLevel`, v);
                continue;
            }
            const schema = properties[property];
            if (!schema) {
                const known = Object.keys(properties);
                problems.push(
                    `${name}.${property}: not a setting of ${name} (settings: ${[...known, "enforcementLevel"].join(", ")})${didYouMean(property, [...known, "enforcementLevel"])}`,
                );
                continue;
            }
            const expected = schema.type as string | string[] | undefined;
            const types = expected === undefined ? [] : [expected].flat();
            if (types.length > 0 && !types.some((t) => hasType(v, t))) {
                const shown = types.join(" or ");
                problems.push(
                    `${name}.${property}: ${JSON.stringify(v)} is not a${/^[aeiou]/.test(shown) ? "n" : ""} ${shown}`,
                );
            }
        }
    }
    return problems;
}

function hasType(v: unknown, type: string): boolean {
    switch (type) {
        case "array":
            return Array.isArray(v);
        case "integer":
            return Number.isInteger(v);
        case "object":
            return v !== null && typeof v === "object" && !Array.isArray(v);
        case "null":
            return v === null;
        default:
            return typeof v === type;
    }
}

/**
 * Reads a policy config file. A missing file is `{}` unless `required` (a
 * file named on the command line); anything unreadable or invalid is a
 * UserError naming the file and the key.
 */
export function loadPolicyConfig(
    file: string,
    required: boolean,
    policies?: Policies,
): Record<string, PolicyConfigValue> {
    if (!fs.existsSync(file)) {
        if (required) throw new UserError(`${displayPath(file)}: no such policy config file`);
        return {};
    }
    let value: unknown;
    try {
        value = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UserError(
            `${displayPath(file)}: not a valid policy config file: ${(e as Error).message.replace(/^Unexpected/, "unexpected")} (it must be JSON such as {"<policy name>": "mandatory"})`,
        );
    }
    const pack =
        policies ?? (require("../policies/rules") as { allPolicies: Policies }).allPolicies;
    const problems = policyConfigProblems(value, pack);
    if (problems.length > 0) {
        throw new UserError(
            `${displayPath(file)}: invalid policy config:\n${problems.map((p) => `  ${displayPath(file)}: ${p}`).join("\n")}`,
        );
    }
    return value as Record<string, PolicyConfigValue>;
}
