// Load balancer listeners: HTTPS with a TLS 1.2+ policy, and HTTP only as a redirect to it.
import type {
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { TYPES, configOf, forType, isKnown, isUnknown, ofType, plain } from "./util";

/** A listener's protocol, defaulting as ELB does (HTTPS when a certificate is set, else HTTP); undefined if unknown. */
function listenerProtocol(p: Record<string, any>): string | undefined {
    const proto = p["protocol"];
    if (typeof proto === "string" && isKnown(proto)) return proto.toUpperCase();
    if (proto !== undefined) return undefined;
    const cert = p["certificateArn"];
    if (cert !== undefined && isUnknown(cert)) return "HTTPS";
    return typeof cert === "string" && cert !== "" ? "HTTPS" : "HTTP";
}

export interface HttpRedirectConfig {
    /** Require HTTP listeners to redirect even when the stack has no HTTPS listener. */
    requireHttps: boolean;
}
export const httpRedirectDefaults: HttpRedirectConfig = { requireHttps: false };

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

export const albHttpRedirectsToHttps: StackValidationPolicy = {
    name: "alb-http-redirects-to-https",
    description:
        "When the stack has an HTTPS listener (or requireHttps is set), every HTTP listener must only redirect to HTTPS (Checkov CKV_AWS_2).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireHttps: {
                type: "boolean",
                default: false,
                description: "Require the redirect even when the stack has no HTTPS listener.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const cfg = configOf(args, httpRedirectDefaults);
        const listeners = ofType(args.resources, TYPES.listener);
        const protocols = new Map<PolicyResource, string | undefined>(
            listeners.map((l) => [l, listenerProtocol(plain(l.props))]),
        );
        const hasHttps = [...protocols.values()].includes("HTTPS");
        if (!hasHttps && !cfg.requireHttps) return;
        for (const [listener, proto] of protocols) {
            if (proto !== "HTTP") continue;
            const actions = plain(listener.props)["defaultActions"];
            if (!Array.isArray(actions)) continue;
            // An action is judged by its type and a redirect's protocol; a target group ARN that
            // is unknown during a preview does not change the verdict.
            if (actions.some(undecided)) continue;
            const bad = actions.filter(
                (a) =>
                    !a ||
                    a.type !== "redirect" ||
                    !a.redirect ||
                    String(a.redirect.protocol ?? "").toUpperCase() !== "HTTPS",
            );
            if (bad.length === 0 && actions.length > 0) continue;
            const kinds = bad.map((a) => `"${String(a?.type)}"`).join(", ") || "none";
            reportViolation(
                `HTTP listener "${listener.name}" (port ${String(plain(listener.props)["port"] ?? 80)}) must only redirect to HTTPS, but its default actions are ${kinds} (CKV_AWS_2).`,
                listener.urn,
            );
        }
    },
};

/** ELB security policies that negotiate TLS 1.2 or newer only. */
export const TLS12_POLICY = /^ELBSecurityPolicy-(?:TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

export const albHttpsTls12: ResourceValidationPolicy = {
    name: "alb-https-tls12",
    description:
        "HTTPS and TLS listeners must set an ELB security policy that allows TLS 1.2 or newer only, such as ELBSecurityPolicy-TLS13-1-2-2021-06 (Checkov CKV_AWS_103).",
    enforcementLevel: "mandatory",
    validateResource: forType(TYPES.listener, (props, _args, report) => {
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

export const lbPolicies = [albHttpRedirectsToHttps, albHttpsTls12];
