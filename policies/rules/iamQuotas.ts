// IAM policy size quotas, checked on any plan: what `pulumi up` would otherwise refuse with
// LimitExceeded half-way through (IAM and AWS STS quotas,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). IAM counts every
// character but whitespace, and limits the AGGREGATE of all inline policies of one identity.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isKnown, isUnknown, label, plain } from "./util";

/** Aggregate inline policy characters per identity, and one managed policy's size (not adjustable). */
export const IAM_POLICY_LIMITS = {
    group: 5_120,
    role: 10_240,
    user: 2_048,
    managedPolicy: 6_144,
} as const;

const IDENTITY_TYPES = {
    group: "aws:iam/group:Group",
    role: "aws:iam/role:Role",
    user: "aws:iam/user:User",
} as const;

/** Inline policy resources: type -> the property naming the identity. */
const INLINE_TYPES: Record<string, keyof typeof IDENTITY_TYPES> = {
    "aws:iam/groupPolicy:GroupPolicy": "group",
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/userPolicy:UserPolicy": "user",
};

const MANAGED_POLICY = "aws:iam/policy:Policy";

/** The characters IAM counts: all but whitespace. Undefined when the document is not known. */
export function iamSize(doc: unknown): number | undefined {
    if (isUnknown(doc)) return undefined;
    const text = typeof doc === "string" ? doc : doc === null ? undefined : JSON.stringify(doc);
    if (text === undefined || text.includes("04da6b54-80e4-46f7-96ec-b56ff0331ba9")) {
        return undefined;
    }
    return text.replace(/[ \t\r\n]/g, "").length;
}

interface Tally {
    kind: keyof typeof IDENTITY_TYPES;
    /** How the identity is shown in messages. */
    display: string;
    urn?: string;
    size: number;
    policies: string[];
}

export const iamInlinePolicySize: StackValidationPolicy = {
    name: "iam-inline-policy-size",
    description:
        "The inline policies of each IAM group, role and user must fit IAM's aggregate quotas (5,120, 10,240 and 2,048 characters, whitespace excluded), and each customer managed policy 6,144; IAM refuses more with LimitExceeded.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        // One pass to index identities by URN and by known name; one pass over the policies.
        const byUrn = new Map<string, PolicyResource>();
        const byName = new Map<string, PolicyResource>();
        const kindOf = new Map<string, keyof typeof IDENTITY_TYPES>();
        for (const [kind, type] of Object.entries(IDENTITY_TYPES)) kindOf.set(type, kind as never);
        const tallies = new Map<string, Tally>();
        const tallyFor = (kind: keyof typeof IDENTITY_TYPES, r?: PolicyResource, name?: string) => {
            const key = r ? r.urn : `${kind}:${name}`;
            let t = tallies.get(key);
            if (!t) {
                const shown = r ? (plain(r.props)["name"] as unknown) : name;
                t = {
                    kind,
                    display: typeof shown === "string" && isKnown(shown) ? `"${shown}"` : label(r!),
                    urn: r?.urn,
                    size: 0,
                    policies: [],
                };
                tallies.set(key, t);
            }
            return t;
        };

        for (const r of args.resources) {
            const kind = kindOf.get(r.type);
            if (!kind) continue;
            byUrn.set(r.urn, r);
            const name = plain(r.props)["name"];
            if (typeof name === "string" && isKnown(name)) byName.set(`${kind}:${name}`, r);
        }

        for (const r of args.resources) {
            const props = plain(r.props);
            if (r.type === MANAGED_POLICY) {
                const size = iamSize(props["policy"]);
                if (size !== undefined && size > IAM_POLICY_LIMITS.managedPolicy) {
                    reportViolation(
                        `IAM managed policy ${label(r)} is ${size} characters (whitespace excluded); IAM allows ${IAM_POLICY_LIMITS.managedPolicy} per managed policy.`,
                        r.urn,
                    );
                }
                continue;
            }
            const roleKind = r.type === IDENTITY_TYPES.role ? "role" : undefined;
            if (roleKind) {
                // A role's own `inlinePolicies` count toward the same quota.
                const inline = props["inlinePolicies"];
                if (Array.isArray(inline)) {
                    for (const p of inline) {
                        const size = p && typeof p === "object" ? iamSize(p.policy) : undefined;
                        if (size === undefined) continue;
                        const t = tallyFor("role", r);
                        t.size += size;
                        t.policies.push(`${label(r)} inlinePolicies`);
                    }
                }
                continue;
            }
            const kind = INLINE_TYPES[r.type];
            if (!kind) continue;
            const size = iamSize(props["policy"]);
            if (size === undefined) continue;
            // Which identity: the engine's property dependency, else the name it was given.
            const dep = (r.propertyDependencies?.[kind] ?? []).find(
                (d) => d && d.type === IDENTITY_TYPES[kind],
            );
            const value = props[kind];
            let identity: PolicyResource | undefined = dep
                ? (byUrn.get(dep.urn) ?? dep)
                : undefined;
            if (!identity && typeof value === "string" && isKnown(value)) {
                identity = byName.get(`${kind}:${value}`);
            }
            if (!identity && (typeof value !== "string" || isUnknown(value))) continue;
            const t = tallyFor(kind, identity, value as string);
            t.size += size;
            t.policies.push(label(r));
        }

        for (const t of tallies.values()) {
            const limit = IAM_POLICY_LIMITS[t.kind];
            if (t.size <= limit) continue;
            reportViolation(
                `IAM ${t.kind} ${t.display} would carry ${t.size} characters of inline policies (${t.policies.join(", ")}; whitespace excluded); IAM allows ${limit} for all inline policies of a ${t.kind}. Grant by namespace pattern (repository/<namespace>/*), split into customer managed policies, or grant less.`,
                t.urn,
            );
        }
    },
};

export const iamQuotaPolicies = [iamInlinePolicySize];
