// Load balancers: HTTPS with a TLS 1.2+ policy and HTTP only as a redirect to it (unless a stack
// explicitly allows plain HTTP), access logs, deletion protection; Network Load Balancers internal.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, configOf, containsUnknown, forTypes, isKnown, isUnknown } from "./util";

/** A listener's protocol, defaulting as ELB does (HTTPS when a certificate is set, else HTTP); undefined if unknown. */
function listenerProtocol(p: Record<string, any>): string | undefined {
    const proto = p["protocol"];
    if (typeof proto === "string" && isKnown(proto)) return proto.toUpperCase();
    if (proto !== undefined) return undefined;
    const cert = p["certificateArn"];
    if (cert !== undefined && isUnknown(cert)) return "HTTPS";
    return typeof cert === "string" && cert !== "" ? "HTTPS" : "HTTP";
}

/**
 * Tag with which a stack marks a listener that serves plain HTTP on purpose
 * (src/nlp/edge.ts sets it for `nlp.allowPlainHttp: true`). Kept in step by a test.
 */
export const PLAIN_HTTP_TAG = "ecr-private-access:allow-plain-http";

/** Listener and load balancer type tokens: @pulumi/aws v7 keeps the `aws:alb/*` aliases of `aws:lb/*`. */
export const LISTENER_TYPES: readonly string[] = [TYPES.listener, TYPES.albListener];
export const LOAD_BALANCER_TYPES: readonly string[] = [TYPES.loadBalancer, TYPES.albLoadBalancer];

/** True when a preview-unknown value hides whether an action redirects to HTTPS. */
function undecided(action: unknown): boolean {
    const pending = (v: unknown) => v !== undefined && isUnknown(v);
    if (pending(action)) return true;
    if (!action || typeof action !== "object") return false;
    const a = action as Record<string, any>;
    if (pending(a.type)) return true;
    if (a.type !== "redirect") return false;
    if (pending(a.redirect)) return true;
    return !!a.redirect && typeof a.redirect === "object" && pending(a.redirect.protocol);
}

/**
 * For an HTTP listener whose actions are known: the kinds of its default
 * actions that are not a redirect to HTTPS ("none" when it has no action),
 * empty when it only redirects. Undefined when the listener is not HTTP or
 * something needed is unknown.
 */
function plainHttpActions(props: Record<string, any>): string[] | undefined {
    if (listenerProtocol(props) !== "HTTP") return undefined;
    const actions = props["defaultActions"];
    // An action is judged by its type and a redirect's protocol: a target group ARN still
    // unknown during a first preview does not change the verdict.
    if (!Array.isArray(actions) || actions.some(undecided)) return undefined;
    const bad = actions.filter(
        (a) =>
            !a ||
            a.type !== "redirect" ||
            !a.redirect ||
            String(a.redirect.protocol ?? "").toUpperCase() !== "HTTPS",
    );
    if (actions.length === 0) return ["none"];
    return bad.map((a) => String(a?.type));
}

/** Whether the listener's tags carry the plain-HTTP opt-in; undefined while the tags are unknown. */
function optedIntoPlainHttp(props: Record<string, any>): boolean | undefined {
    const tags = props["tags"];
    if (tags !== undefined && (isUnknown(tags) || containsUnknown(tags))) return undefined;
    if (!tags || typeof tags !== "object") return false;
    return String((tags as Record<string, unknown>)[PLAIN_HTTP_TAG]).toLowerCase() === "true";
}

export interface HttpRedirectConfig {
    /** Honour the plain-HTTP opt-in tag (a stack's explicit choice turns this rule's violation into the advisory `alb-plain-http-allowed`). */
    allowOptInTag: boolean;
}
export const httpRedirectDefaults: HttpRedirectConfig = { allowOptInTag: true };

export const albHttpRedirectsToHttps: ResourceValidationPolicy = {
    name: "alb-http-redirects-to-https",
    description:
        "Every HTTP listener must only redirect to HTTPS, unless the stack tagged it as an explicit plain-HTTP choice (Checkov CKV_AWS_2).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowOptInTag: {
                type: "boolean",
                default: true,
                description: `Accept the "${PLAIN_HTTP_TAG}: true" listener tag as an explicit opt-in (reported by alb-plain-http-allowed instead).`,
            },
        },
    },
    validateResource: forTypes(LISTENER_TYPES, (props, args, report) => {
        const bad = plainHttpActions(props);
        if (!bad || bad.length === 0) return;
        const cfg = configOf(args, httpRedirectDefaults);
        const tagged = optedIntoPlainHttp(props);
        if (tagged === undefined || (tagged && cfg.allowOptInTag)) return;
        const port = String(props["port"] ?? 80);
        const kinds = bad.map((k) => `"${k}"`).join(", ");
        report(
            `HTTP listener (port ${port}) must only redirect to HTTPS, but its default actions are ${kinds}: requests and the API key cross the network in clear text. ` +
                (tagged
                    ? `It is tagged "${PLAIN_HTTP_TAG}", but this pack's config refuses that opt-in (allowOptInTag: false). `
                    : `Serve HTTPS (nlp.domain or nlp.certificateArn), or accept plain HTTP explicitly with nlp.allowPlainHttp: true (the "${PLAIN_HTTP_TAG}: true" tag). `) +
                "(CKV_AWS_2)",
        );
    }),
};

export const albPlainHttpAllowed: ResourceValidationPolicy = {
    name: "alb-plain-http-allowed",
    description:
        "Reports HTTP listeners that forward plain HTTP because the stack explicitly allowed it, a choice to revisit before real traffic.",
    enforcementLevel: "advisory",
    validateResource: forTypes(LISTENER_TYPES, (props, _args, report) => {
        const bad = plainHttpActions(props);
        if (!bad || bad.length === 0 || optedIntoPlainHttp(props) !== true) return;
        report(
            `HTTP listener (port ${String(props["port"] ?? 80)}) serves plain HTTP by explicit choice ("${PLAIN_HTTP_TAG}: true"): the API key travels in clear text on every network between the clients and the load balancer; set nlp.domain or nlp.certificateArn for HTTPS.`,
        );
    }),
};

/** The load balancer's type, defaulting as ELB does; undefined if unknown. */
function loadBalancerType(props: Record<string, any>): string | undefined {
    const t = props["loadBalancerType"];
    if (t === undefined) return "application";
    return typeof t === "string" && isKnown(t) ? t : undefined;
}

export const albAccessLogs: ResourceValidationPolicy = {
    name: "alb-access-logs",
    description:
        "Application Load Balancers must write access logs to S3 (Checkov CKV_AWS_91, AWS Config elb-logging-enabled).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(LOAD_BALANCER_TYPES, (props, _args, report) => {
        if (loadBalancerType(props) !== "application") return;
        const logs = props["accessLogs"];
        if (logs !== undefined && (isUnknown(logs) || containsUnknown(logs))) return;
        const enabled = logs && typeof logs === "object" && logs.enabled === true;
        const bucket = logs && typeof logs === "object" ? logs.bucket : undefined;
        if (enabled && typeof bucket === "string" && bucket !== "") return;
        report(
            `Application Load Balancer keeps no access logs (accessLogs ${logs === undefined ? "unset" : enabled ? "without a bucket" : "disabled"}): requests leave no record for an investigation. Keep nlp.accessLogs on (the default) (CKV_AWS_91).`,
        );
    }),
};

export const albDeletionProtection: ResourceValidationPolicy = {
    name: "alb-deletion-protection",
    description:
        "Load balancers should have deletion protection, off only in throwaway stacks (Checkov CKV_AWS_150, AWS Config elb-deletion-protection-enabled).",
    enforcementLevel: "advisory",
    validateResource: forTypes(LOAD_BALANCER_TYPES, (props, _args, report) => {
        const v = props["enableDeletionProtection"];
        if (v !== undefined && isUnknown(v)) return;
        if (v === true) return;
        report(
            "Load balancer has no deletion protection: one mistaken `pulumi destroy` or console click removes the service's entry point and its DNS name. Leave nlp.deletionProtection on except in throwaway stacks (CKV_AWS_150).",
        );
    }),
};

/** ELB security policies that negotiate TLS 1.2 or newer only. */
export const TLS12_POLICY = /^ELBSecurityPolicy-(?:TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

export const albHttpsTls12: ResourceValidationPolicy = {
    name: "alb-https-tls12",
    description:
        "HTTPS and TLS listeners must set an ELB security policy that allows TLS 1.2 or newer only, such as ELBSecurityPolicy-TLS13-1-2-2021-06 (Checkov CKV_AWS_103).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(LISTENER_TYPES, (props, _args, report) => {
        const proto = listenerProtocol(props);
        if (proto !== "HTTPS" && proto !== "TLS") return;
        const policy = props["sslPolicy"];
        if (policy !== undefined && isUnknown(policy)) return;
        if (typeof policy === "string" && TLS12_POLICY.test(policy)) return;
        report(
            `${proto} listener must use a TLS 1.2+ sslPolicy such as "ELBSecurityPolicy-TLS13-1-2-2021-06" (is ${typeof policy === "string" ? `"${policy}"` : 'unset, which means "ELBSecurityPolicy-2016-08"'}) (CKV_AWS_103).`,
        );
    }),
};

export interface NlbInternalConfig {
    /** Load balancer names (Pulumi resource name or `name` input) allowed to face the internet. */
    allowedNames: string[];
}
const nlbInternalDefaults: NlbInternalConfig = { allowedNames: [] };

export const nlbInternal: ResourceValidationPolicy = {
    name: "nlb-internal",
    description:
        "Network Load Balancers must be internal (internal = true): the self-hosted registry and other TCP services are reached from the VPC and connected networks, not from the internet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedNames: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Network Load Balancers allowed to be internet-facing.",
            },
        },
    },
    validateResource: forTypes(LOAD_BALANCER_TYPES, (props, args, report) => {
        const cfg = configOf(args, nlbInternalDefaults);
        const type = props["loadBalancerType"];
        if (type === undefined || isUnknown(type) || type !== "network") return;
        const internal = props["internal"];
        if (internal !== undefined && isUnknown(internal)) return;
        if (internal === true) return;
        const names = [args.name, props["name"]].filter((n) => typeof n === "string");
        if (names.some((n) => cfg.allowedNames.includes(n))) return;
        report(
            `Network Load Balancer is internet-facing (internal is ${internal === undefined ? "unset, which means internet-facing" : String(internal)}); set internal: true.`,
        );
    }),
};

export const lbPolicies = [
    albHttpRedirectsToHttps,
    albPlainHttpAllowed,
    albHttpsTls12,
    albAccessLogs,
    albDeletionProtection,
    nlbInternal,
];
