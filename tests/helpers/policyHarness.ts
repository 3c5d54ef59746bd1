/**
 * Runs CrossGuard rules outside the engine: builds ResourceValidationArgs / StackValidationArgs by
 * hand and collects the violations. Props are wrapped in the analyzer's own unknown-checking proxy
 * (as `pulumi preview` does), so a rule that reads an unknown value the unsafe way throws here.
 */
import type {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: (o: object) => Record<string, any>;
};

/** The analyzer's markers for values unknown during preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
export const UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";
export const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

class NotApplicable extends Error {}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::ecr-private-access::${type}::${name}`;
}

const opts = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function noTypedAccess(): never {
    throw new Error("rules must not use isType/asType: the pack does not depend on @pulumi/aws");
}

function resourceArgs(
    type: string,
    props: Record<string, unknown>,
    options: { config?: object; name?: string },
): ResourceValidationArgs {
    const name = options.name ?? "res";
    return {
        type,
        props: proxy.unknownCheckingProxy(props),
        urn: urnOf(type, name),
        name,
        opts,
        stackTags: new Map(),
        isType: noTypedAccess,
        asType: noTypedAccess,
        getConfig: <T extends object>() => (options.config ?? {}) as T,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
}

function validationsOf(policy: ResourceValidationPolicy) {
    return policy.validateResource
        ? Array.isArray(policy.validateResource)
            ? policy.validateResource
            : [policy.validateResource]
        : [];
}

/** Runs a resource policy on one resource; returns the violation messages. */
export function runResource(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: { config?: object; name?: string } = {},
): string[] {
    const messages: string[] = [];
    const args = resourceArgs(type, props, options);
    for (const v of validationsOf(policy)) {
        try {
            const r = v(args, (m) => messages.push(m));
            if (r instanceof Promise) {
                throw new Error(`${policy.name} is asynchronous: use runResourceAsync`);
            }
        } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
        }
    }
    return messages;
}

/** `runResource` for rules that return a promise (the engine awaits them), awaited. */
export async function runResourceAsync(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    options: { config?: object; name?: string } = {},
): Promise<string[]> {
    const messages: string[] = [];
    const args = resourceArgs(type, props, options);
    for (const v of validationsOf(policy)) {
        try {
            await v(args, (m) => messages.push(m));
        } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
        }
    }
    return messages;
}

/** A resource as a stack policy sees it; `deps` names other resources per property. */
export interface StackResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    deps?: Record<string, string[]>;
    parent?: string;
}

export interface Violation {
    message: string;
    urn?: string;
}

/** Runs a stack policy over resources; returns each violation with the URN it names. */
export function runStack(
    policy: StackValidationPolicy,
    resources: StackResource[],
    options: { config?: object } = {},
): Violation[] {
    const byName = new Map<string, PolicyResource>();
    const built: PolicyResource[] = resources.map((r) => {
        const pr: PolicyResource = {
            type: r.type,
            props: proxy.unknownCheckingProxy(r.props),
            urn: urnOf(r.type, r.name),
            name: r.name,
            opts,
            dependencies: [],
            propertyDependencies: {},
            isType: noTypedAccess,
            asType: noTypedAccess,
        };
        if (byName.has(r.name)) throw new Error(`duplicate resource name ${r.name} in test`);
        byName.set(r.name, pr);
        return pr;
    });
    resources.forEach((r, i) => {
        const pr = built[i];
        for (const [prop, names] of Object.entries(r.deps ?? {})) {
            pr.propertyDependencies[prop] = names.map((n) => {
                const d = byName.get(n);
                if (!d) throw new Error(`unknown dependency ${n}`);
                return d;
            });
            pr.dependencies.push(...pr.propertyDependencies[prop]);
        }
        if (r.parent) pr.parent = byName.get(r.parent);
    });
    const violations: Violation[] = [];
    const args: StackValidationArgs = {
        resources: built,
        stackTags: new Map(),
        getConfig: <T extends object>() => (options.config ?? {}) as T,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
    try {
        const r = policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
        if (r instanceof Promise) throw new Error("the harness runs synchronous rules only");
    } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
    }
    return violations;
}

/** Messages only. */
export function stackMessages(
    policy: StackValidationPolicy,
    resources: StackResource[],
    options: { config?: object } = {},
): string[] {
    return runStack(policy, resources, options).map((v) => v.message);
}
