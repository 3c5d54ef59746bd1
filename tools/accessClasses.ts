/**
 * Equivalence classes of the access matrix's columns (tools/access.ts): targets no policy in the
 * evaluation can tell apart share one set of simulations, and a large matrix shows one column per
 * class. Dev tooling, like access.ts.
 *
 * Two targets are in one class only when everything the evaluator is given for them is the same
 * except the resource ARN, and the ARN makes no difference:
 * - the same kind, account, region, existence and note, the same stack (`vendor: ` labels), and
 *   every other field of the target (a field added later splits classes until it is known here);
 * - the same resource policy once each of its Resource/NotResource lists is replaced by whether
 *   it matches the target's own request resources (so a policy naming its own repository groups
 *   with its sibling's naming the sibling);
 * - every Resource/NotResource list of every identity and VPC endpoint policy of every principal
 *   and path (found by walking the principals, so a policy added there later is seen) matches the
 *   request resources of both, or of neither;
 * - the request resources have the same first five ARN segments (partition, service, region,
 *   account): the evaluator compares those case-insensitively and the resource part exactly, and
 *   only the resource part is matched here.
 * Nothing is grouped when a policy uses a resource-tag condition key (`aws:ResourceTag/...`,
 * `ecr:ResourceTag/...`, `s3:ExistingObjectTag/...`) or a policy variable (`${...}`) in a
 * Resource: those depend on more than the ARN.
 *
 * The matching mirrors @cloud-copilot/iam-simulate 0.1.x (dist/cjs/resource/resource.js,
 * `singleResourceMatchesRequest`, and util.js, `getResourceSegments`/`convertIamString`): the
 * resource part splits into a literal product (`repository/`) and an ID where `*` is any run of
 * characters and `?` one character, case-sensitive. A Resource list matches when one of its
 * entries does, a NotResource list when none does; every mismatch of a variable-free entry is
 * invertible there, so that is all the evaluator reads from a list. The property test in
 * tests/iam/classes.spec.ts checks the grouped matrix against the ungrouped one, cell for cell.
 *
 * Cost: each target is matched once against each distinct list: exact ARNs through a hash set,
 * wildcard entries one by one, so O(targets x (lists + wildcard entries)).
 */
import type { Principal, Target, TargetKind } from "./access";

/** Why nothing was grouped, when nothing was. */
export interface TargetClasses {
    /** Every target in exactly one class, classes and members in target order. */
    classes: Target[][];
    ungrouped?: string;
}

const TAG_KEYS = /"[a-z0-9-]+:(?:resourcetag|existingobjecttag)\//i;
const MAX_ARN_PREFIX = 5;

/** `arn:aws:ecr:us-east-1:123:repository/a/b` -> prefix segments and the resource part. */
function splitArn(arn: string): { segments: string[]; resource: string } | undefined {
    const parts = arn.split(":");
    if (parts.length <= MAX_ARN_PREFIX) return undefined;
    return {
        segments: parts.slice(0, MAX_ARN_PREFIX),
        resource: parts.slice(MAX_ARN_PREFIX).join(":"),
    };
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An IAM string to a regular expression: `*` any run, `?` one character, the rest literal. */
function iamRegex(value: string, flags = ""): RegExp {
    let out = "";
    for (const ch of value) {
        out += ch === "*" ? ".*?" : ch === "?" ? "." : escapeRegex(ch);
    }
    return new RegExp(`^${out}$`, flags);
}

/** One entry of a Resource/NotResource list, compiled. */
type Entry = { exact: string } | { test: (arn: string) => boolean };

function compileEntry(pattern: string): Entry {
    if (pattern === "*") return { test: () => true };
    let parsed = splitArn(pattern);
    if (!parsed && pattern.startsWith("arn:")) {
        // A short ARN: the evaluator pads it with `*` segments (or, for resource and endpoint
        // policies, matches nothing when it has no wildcard: a difference in the first five
        // segments only, which are the same within a class).
        const segments = pattern.split(":");
        while (segments.length <= MAX_ARN_PREFIX) segments.push("*");
        parsed = splitArn(segments.join(":"));
    }
    if (!parsed) return { test: () => false };
    const { segments, resource } = parsed;
    if (!/[*?]/.test(pattern)) return { exact: `${segments.join(":").toLowerCase()}:${resource}` };
    const prefix = segments.map((s) => iamRegex(s, "i"));
    // The product (`repository/`, `log-group:`) is literal: what precedes the first `/` or `:`
    // (an S3 bucket ARN has none).
    let product = "";
    if (!(segments[2] === "s3" && segments[3] === "" && segments[4] === "")) {
        const slash = resource.indexOf("/");
        const colon = resource.indexOf(":");
        const cut = slash === -1 ? colon : colon === -1 ? slash : Math.min(slash, colon);
        product = resource.slice(0, cut + 1);
    }
    const id = iamRegex(resource.slice(product.length));
    return {
        test: (arn) => {
            const r = splitArn(arn);
            return (
                !!r &&
                r.segments.every((s, i) => prefix[i].test(s)) &&
                r.resource.startsWith(product) &&
                id.test(r.resource.slice(product.length))
            );
        },
    };
}

/** A Resource or NotResource list: does one of its entries match? */
class EntryList {
    private readonly exact = new Set<string>();
    private readonly tests: ((arn: string) => boolean)[] = [];

    constructor(patterns: string[]) {
        for (const p of patterns) {
            const e = compileEntry(p);
            if ("exact" in e) this.exact.add(e.exact);
            else this.tests.push(e.test);
        }
    }

    matches(arn: string): boolean {
        const r = splitArn(arn);
        if (r && this.exact.has(`${r.segments.join(":").toLowerCase()}:${r.resource}`)) return true;
        return this.tests.some((t) => t(arn));
    }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

const patternsOf = (v: unknown): string[] | undefined =>
    typeof v === "string"
        ? [v]
        : Array.isArray(v) && v.every((x) => typeof x === "string")
          ? (v as string[])
          : undefined;

/** Every policy document (an object with a Statement) reachable from `value`. */
function documents(value: unknown, out: Record<string, unknown>[], seen: Set<unknown>): void {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (isRecord(value) && "Statement" in value) out.push(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) documents(v, out, seen);
}

/** Every Resource/NotResource list of the documents. */
function resourceLists(docs: Record<string, unknown>[]): string[][] {
    const lists: string[][] = [];
    for (const doc of docs) {
        const st = doc.Statement;
        for (const s of Array.isArray(st) ? st : [st]) {
            if (!isRecord(s)) continue;
            for (const key of ["Resource", "NotResource"]) {
                const list = patternsOf(s[key]);
                if (list) lists.push(list);
            }
        }
    }
    return lists;
}

const usesVariables = (lists: string[][]) => lists.some((l) => l.some((p) => p.includes("${")));

/**
 * The classes of `targets` for the `principals` (their identity policies, and the endpoint
 * policies on their paths). `requests(t)` are the resource strings the evaluator is asked about
 * for `t` (its ARN, `<bucket ARN>/access-matrix`, ...).
 */
export function targetClasses(
    targets: Target[],
    principals: Principal[],
    requests: (t: Target) => string[],
): TargetClasses {
    const single = (ungrouped: string): TargetClasses => ({
        classes: targets.map((t) => [t]),
        ungrouped,
    });
    const globalDocs: Record<string, unknown>[] = [];
    documents(principals, globalDocs, new Set());
    const targetDocs: Record<string, unknown>[] = [];
    const seen = new Set<unknown>();
    for (const t of targets) documents(t, targetDocs, seen);
    if ([...globalDocs, ...targetDocs].some((d) => TAG_KEYS.test(JSON.stringify(d)))) {
        return single("a policy tests resource tags, which the ARN does not tell");
    }
    const distinct = new Map<string, string[]>();
    for (const l of resourceLists(globalDocs)) distinct.set(JSON.stringify(l), l);
    if (usesVariables([...distinct.values()])) {
        return single("a policy names resources with a policy variable (${...})");
    }
    const lists = [...distinct.values()].map((l) => new EntryList(l));
    const compiled = new Map<string, EntryList>();
    const listOf = (patterns: string[]) => {
        const key = JSON.stringify(patterns);
        let list = compiled.get(key);
        if (!list) {
            list = new EntryList(patterns);
            compiled.set(key, list);
        }
        return list;
    };

    const byKey = new Map<string, Target[]>();
    const classes: Target[][] = [];
    for (const t of targets) {
        const arns = requests(t);
        let unique = arns.some((a) => /[*?]/.test(a) || !splitArn(a));
        // The target's own documents, each Resource/NotResource list read as what it matches.
        const canonical = (v: unknown): unknown => {
            if (Array.isArray(v)) return v.map(canonical);
            if (!isRecord(v)) return v;
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v)) {
                const patterns =
                    k === "Resource" || k === "NotResource" ? patternsOf(x) : undefined;
                if (patterns && patterns.some((p) => p.includes("${"))) unique = true;
                out[k] = patterns ? arns.map((a) => listOf(patterns).matches(a)) : canonical(x);
            }
            return out;
        };
        const rest: Record<string, unknown> = { ...t };
        delete rest.label;
        delete rest.arn;
        // Where the policy comes from is shown, not evaluated (`creation template team-3`).
        delete rest.policySource;
        const own = canonical(rest);
        const key = JSON.stringify([
            // A target the ARN alone does not decide is a class of its own.
            unique ? [t.label, t.arn] : "",
            /^(.+?): /.exec(t.label)?.[1] ?? "",
            arns.map((a) => splitArn(a)?.segments.join(":")),
            arns.map((a) => lists.map((l) => (l.matches(a) ? 1 : 0)).join("")),
            own,
        ]);
        const members = byKey.get(key);
        if (members) members.push(t);
        else {
            const c = [t];
            byKey.set(key, c);
            classes.push(c);
        }
    }
    return { classes };
}

// ---------------------------------------------------------------------------------------------
// Columns of a large matrix

/** A column of the rendered matrix: one class. */
export interface Column {
    label: string;
    /** The target whose cells the column shows (every member has the same). */
    representative: Target;
    members: Target[];
}

const NOUNS: Record<TargetKind, string> = {
    repository: "repositories",
    secret: "secrets",
    "log group": "log groups",
    bucket: "buckets",
};

/** The repository name of a repository target (its ARN's resource after `repository/`). */
export function memberName(t: Target): string {
    const m = /:repository\/(.+)$/.exec(t.arn);
    return t.kind === "repository" && m ? m[1] : t.label;
}

/**
 * A column per class. A class of one keeps its target's label; a larger one is named by what its
 * members share: `team-3/* (25 repositories)`, `1000 repositories in 40 namespaces (us-west-2
 * replica)`, the stack prefix (`vendor: `) kept. Labels are unique.
 */
export function classColumns(classes: Target[][]): Column[] {
    const used = new Map<string, number>();
    return classes.map((members) => {
        const [first] = members;
        let label = first.label;
        if (members.length > 1) {
            const origin = /^(.+?): /.exec(first.label)?.[1];
            // What the label says besides the name: `(us-west-2 replica, outside the stack)`.
            const detail = / \(([^()]*)\)$/.exec(first.label)?.[1];
            const n = members.length;
            const noun = NOUNS[first.kind];
            let what: string;
            if (first.kind === "repository") {
                const namespaces = new Set(
                    members.map((t) => {
                        const name = memberName(t);
                        return name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : "";
                    }),
                );
                const [only] = namespaces;
                const nested = [...namespaces].filter((s) => s !== "").length;
                what =
                    namespaces.size === 1 && only !== ""
                        ? `${only}/* (${n} ${noun}${detail ? `, ${detail}` : ""})`
                        : `${n} ${namespaces.size === 1 ? "top-level " : ""}${noun}${nested > 0 ? ` in ${nested} namespace${nested === 1 ? "" : "s"}${namespaces.has("") ? " and the top level" : ""}` : ""}${detail ? ` (${detail})` : ""}`;
            } else {
                what = `${n} ${noun}${detail ? ` (${detail})` : ""}`;
            }
            label = `${origin ? `${origin}: ` : ""}${what}`;
        }
        const seen = used.get(label) ?? 0;
        used.set(label, seen + 1);
        return {
            label: seen === 0 ? label : `${label} [${seen + 1}]`,
            representative: first,
            members,
        };
    });
}

/** `a/x, a/y, b` -> `a/: x, y` and `b`: the members of a class, grouped by namespace. */
export function memberLines(members: Target[]): string[] {
    const byNamespace = new Map<string, string[]>();
    for (const t of members) {
        const name = memberName(t);
        const cut = t.kind === "repository" ? name.lastIndexOf("/") : -1;
        const ns = cut >= 0 ? name.slice(0, cut + 1) : "";
        const list = byNamespace.get(ns) ?? [];
        list.push(cut >= 0 ? name.slice(cut + 1) : name);
        byNamespace.set(ns, list);
    }
    return [...byNamespace].map(([ns, names]) =>
        ns === "" ? names.join(", ") : `${ns}: ${names.join(", ")}`,
    );
}
