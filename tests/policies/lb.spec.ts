import { expect } from "chai";
import {
    albAccessLogs,
    albDeletionProtection,
    albHttpRedirectsToHttps,
    albHttpsTls12,
    albPlainHttpAllowed,
    nlbInternal,
    PLAIN_HTTP_TAG,
} from "../../policies/rules/lb";
import { allPolicies } from "../../policies/rules";
import { PLAIN_HTTP_TAG as PROGRAM_PLAIN_HTTP_TAG } from "../../src/nlp/edge";
import {
    StackResource,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    runResource,
} from "../helpers/policyHarness";

const LISTENER = "aws:lb/listener:Listener";
const LB = "aws:lb/loadBalancer:LoadBalancer";
const LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/nlp/abc";
const CERT = "arn:aws:acm:us-east-1:111122223333:certificate/abc";

const redirect = {
    type: "redirect",
    redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
};
const forward = {
    type: "forward",
    targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/nlp/abc",
};

const listener = (name: string, props: Record<string, unknown>): StackResource => ({
    type: LISTENER,
    name,
    props: { loadBalancerArn: LB_ARN, ...props },
});
const https = () =>
    listener("https", {
        port: 443,
        protocol: "HTTPS",
        certificateArn: CERT,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        defaultActions: [forward],
    });

describe("policy alb-http-redirects-to-https", () => {
    const http = (props: Record<string, unknown>, config?: object) =>
        runResource(
            albHttpRedirectsToHttps,
            LISTENER,
            { loadBalancerArn: LB_ARN, port: 80, protocol: "HTTP", ...props },
            { config },
        );
    const FORWARD_MESSAGE =
        'HTTP listener (port 80) must only redirect to HTTPS, but its default actions are "forward": requests and the API key cross the network in clear text. Serve HTTPS (nlp.domain or nlp.certificateArn), or accept plain HTTP explicitly with nlp.allowPlainHttp: true (the "ecr-private-access:allow-plain-http: true" tag). (CKV_AWS_2)';

    it("passes HTTP that only redirects to HTTPS, and HTTPS listeners", () => {
        expect(http({ defaultActions: [redirect] })).to.deep.equal([]);
        expect(runResource(albHttpRedirectsToHttps, LISTENER, https().props)).to.deep.equal([]);
    });
    it("reports plain HTTP forwarding, with or without an HTTPS listener beside it", () => {
        expect(http({ defaultActions: [forward] })).to.deep.equal([FORWARD_MESSAGE]);
    });
    it("the same on the aws:alb/listener alias type", () => {
        expect(
            runResource(albHttpRedirectsToHttps, "aws:alb/listener:Listener", {
                port: 80,
                protocol: "HTTP",
                defaultActions: [forward],
            }),
        ).to.deep.equal([FORWARD_MESSAGE]);
    });
    it("judges actions whose target group or redirect port is unknown (a first preview)", () => {
        expect(
            http({ defaultActions: [{ type: "forward", targetGroupArn: UNKNOWN_STRING }] }),
        ).to.deep.equal([FORWARD_MESSAGE]);
        expect(
            http({
                defaultActions: [
                    { type: "redirect", redirect: { protocol: "HTTPS", port: UNKNOWN_STRING } },
                ],
            }),
        ).to.deep.equal([]);
        // Whether it redirects to HTTPS is itself unknown: no verdict yet.
        expect(
            http({
                defaultActions: [{ type: "redirect", redirect: { protocol: UNKNOWN_STRING } }],
            }),
        ).to.deep.equal([]);
    });
    it("accepts the explicit opt-in tag, unless the pack's config refuses opt-ins", () => {
        const tagged = {
            defaultActions: [forward],
            tags: { Name: "nlp-http", [PLAIN_HTTP_TAG]: "true" },
        };
        expect(http(tagged)).to.deep.equal([]);
        expect(http({ ...tagged, tags: { [PLAIN_HTTP_TAG]: "false" } })).to.deep.equal([
            FORWARD_MESSAGE,
        ]);
        expect(http(tagged, { allowOptInTag: false })).to.deep.equal([
            'HTTP listener (port 80) must only redirect to HTTPS, but its default actions are "forward": requests and the API key cross the network in clear text. It is tagged "ecr-private-access:allow-plain-http", but this pack\'s config refuses that opt-in (allowOptInTag: false). (CKV_AWS_2)',
        ]);
    });
    it("keeps its tag in step with the program's", () => {
        expect(PLAIN_HTTP_TAG).to.equal(PROGRAM_PLAIN_HTTP_TAG);
    });
    it("reports a redirect to plain HTTP (protocol defaults to HTTP without a certificate)", () => {
        expect(
            runResource(albHttpRedirectsToHttps, LISTENER, {
                port: 8080,
                defaultActions: [
                    {
                        type: "redirect",
                        redirect: { protocol: "HTTP", port: "8080", statusCode: "HTTP_302" },
                    },
                ],
            }),
        ).to.deep.equal([
            'HTTP listener (port 8080) must only redirect to HTTPS, but its default actions are "redirect": requests and the API key cross the network in clear text. Serve HTTPS (nlp.domain or nlp.certificateArn), or accept plain HTTP explicitly with nlp.allowPlainHttp: true (the "ecr-private-access:allow-plain-http: true" tag). (CKV_AWS_2)',
        ]);
    });
    it("reports an HTTP listener with no action at all", () => {
        expect(http({ defaultActions: [] })[0]).to.contain('default actions are "none"');
    });
    it("skips unknown values", () => {
        expect(http({ defaultActions: UNKNOWN_ARRAY })).to.deep.equal([]);
        expect(http({ protocol: UNKNOWN_STRING, defaultActions: [forward] })).to.deep.equal([]);
        expect(http({ defaultActions: [{ type: UNKNOWN_STRING }] })).to.deep.equal([]);
        expect(http({ defaultActions: [forward], tags: UNKNOWN_OBJECT })).to.deep.equal([]);
    });
});

describe("policy alb-plain-http-allowed (advisory)", () => {
    const run = (props: Record<string, unknown>) =>
        runResource(albPlainHttpAllowed, LISTENER, { port: 80, protocol: "HTTP", ...props });
    it("reports a forwarding HTTP listener that carries the opt-in tag", () => {
        expect(albPlainHttpAllowed.enforcementLevel).to.equal("advisory");
        expect(
            run({ defaultActions: [forward], tags: { [PLAIN_HTTP_TAG]: "true" } }),
        ).to.deep.equal([
            'HTTP listener (port 80) serves plain HTTP by explicit choice ("ecr-private-access:allow-plain-http: true"): the API key travels in clear text on every network between the clients and the load balancer; set nlp.domain or nlp.certificateArn for HTTPS.',
        ]);
    });
    it("is silent without the tag (the mandatory rule speaks) and for redirects", () => {
        expect(run({ defaultActions: [forward] })).to.deep.equal([]);
        expect(
            run({ defaultActions: [redirect], tags: { [PLAIN_HTTP_TAG]: "true" } }),
        ).to.deep.equal([]);
    });
});

describe("policy alb-access-logs", () => {
    const LOGS = { bucket: "nlp-access-logs-1a2b3c4", prefix: "alb", enabled: true };
    const lb = (props: Record<string, unknown>, type = LB) =>
        runResource(albAccessLogs, type, { loadBalancerType: "application", ...props });
    it("passes an ALB that logs to a bucket, on both type tokens", () => {
        expect(lb({ accessLogs: LOGS })).to.deep.equal([]);
        expect(lb({ accessLogs: LOGS }, "aws:alb/loadBalancer:LoadBalancer")).to.deep.equal([]);
    });
    it("reports an ALB without logs, with logs disabled, or without a bucket", () => {
        const msg = (why: string) =>
            `Application Load Balancer keeps no access logs (accessLogs ${why}): requests leave no record for an investigation. Keep nlp.accessLogs on (the default) (CKV_AWS_91).`;
        expect(lb({})).to.deep.equal([msg("unset")]);
        expect(lb({ loadBalancerType: undefined })).to.deep.equal([msg("unset")]);
        expect(lb({ accessLogs: { ...LOGS, enabled: false } })).to.deep.equal([msg("disabled")]);
        expect(lb({ accessLogs: { enabled: true, bucket: "" } })).to.deep.equal([
            msg("without a bucket"),
        ]);
        expect(lb({}, "aws:alb/loadBalancer:LoadBalancer")).to.deep.equal([msg("unset")]);
    });
    it("ignores network load balancers and unknown values", () => {
        expect(lb({ loadBalancerType: "network" })).to.deep.equal([]);
        expect(lb({ accessLogs: UNKNOWN_OBJECT })).to.deep.equal([]);
        expect(lb({ accessLogs: { ...LOGS, bucket: UNKNOWN_STRING } })).to.deep.equal([]);
        expect(lb({ loadBalancerType: UNKNOWN_STRING })).to.deep.equal([]);
    });
});

describe("policy alb-deletion-protection (advisory)", () => {
    const MESSAGE =
        "Load balancer has no deletion protection: one mistaken `pulumi destroy` or console click removes the service's entry point and its DNS name. Leave nlp.deletionProtection on except in throwaway stacks (CKV_AWS_150).";
    it("passes protected load balancers, reports unprotected ones", () => {
        expect(albDeletionProtection.enforcementLevel).to.equal("advisory");
        expect(
            runResource(albDeletionProtection, LB, { enableDeletionProtection: true }),
        ).to.deep.equal([]);
        expect(
            runResource(albDeletionProtection, LB, { enableDeletionProtection: false }),
        ).to.deep.equal([MESSAGE]);
        expect(runResource(albDeletionProtection, LB, {})).to.deep.equal([MESSAGE]);
        expect(
            runResource(albDeletionProtection, "aws:alb/loadBalancer:LoadBalancer", {
                enableDeletionProtection: false,
            }),
        ).to.deep.equal([MESSAGE]);
    });
    it("skips an unknown value", () => {
        expect(
            runResource(albDeletionProtection, LB, { enableDeletionProtection: UNKNOWN_BOOL }),
        ).to.deep.equal([]);
    });
});

describe("policy alb-https-tls12", () => {
    it("passes TLS 1.2+ policies and ignores HTTP listeners", () => {
        for (const sslPolicy of [
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "ELBSecurityPolicy-TLS13-1-3-2021-06",
            "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
            "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        ]) {
            expect(
                runResource(albHttpsTls12, LISTENER, {
                    port: 443,
                    protocol: "HTTPS",
                    certificateArn: CERT,
                    sslPolicy,
                }),
            ).to.deep.equal([]);
        }
        expect(runResource(albHttpsTls12, LISTENER, { port: 80, protocol: "HTTP" })).to.deep.equal(
            [],
        );
    });
    it("reports an older policy", () => {
        expect(
            runResource(albHttpsTls12, LISTENER, {
                port: 443,
                protocol: "HTTPS",
                certificateArn: CERT,
                sslPolicy: "ELBSecurityPolicy-TLS13-1-1-2021-06",
            }),
        ).to.deep.equal([
            'HTTPS listener must use a TLS 1.2+ sslPolicy such as "ELBSecurityPolicy-TLS13-1-2-2021-06" (is "ELBSecurityPolicy-TLS13-1-1-2021-06") (CKV_AWS_103).',
        ]);
    });
    it("reports an unset policy (the default allows TLS 1.0), also on TLS listeners", () => {
        expect(
            runResource(albHttpsTls12, LISTENER, { port: 443, certificateArn: CERT }),
        ).to.deep.equal([
            'HTTPS listener must use a TLS 1.2+ sslPolicy such as "ELBSecurityPolicy-TLS13-1-2-2021-06" (is unset, which means "ELBSecurityPolicy-2016-08") (CKV_AWS_103).',
        ]);
        expect(
            runResource(albHttpsTls12, LISTENER, {
                port: 443,
                protocol: "TLS",
                certificateArn: CERT,
                sslPolicy: "ELBSecurityPolicy-2016-08",
            }),
        ).to.deep.equal([
            'TLS listener must use a TLS 1.2+ sslPolicy such as "ELBSecurityPolicy-TLS13-1-2-2021-06" (is "ELBSecurityPolicy-2016-08") (CKV_AWS_103).',
        ]);
    });
    it("skips unknown values", () => {
        expect(
            runResource(albHttpsTls12, LISTENER, {
                port: 443,
                protocol: "HTTPS",
                certificateArn: CERT,
                sslPolicy: UNKNOWN_STRING,
            }),
        ).to.deep.equal([]);
        expect(
            runResource(albHttpsTls12, LISTENER, {
                port: 443,
                protocol: UNKNOWN_STRING,
                sslPolicy: "x",
            }),
        ).to.deep.equal([]);
    });
});

describe("policy nlb-internal", () => {
    const lb = (props: Record<string, unknown>, name = "registry", type = LB) =>
        runResource(nlbInternal, type, props, { name });
    it("passes an internal NLB and ignores ALBs (the NLP service's is internet-facing by design)", () => {
        expect(lb({ loadBalancerType: "network", internal: true })).to.deep.equal([]);
        expect(lb({ loadBalancerType: "application", internal: false })).to.deep.equal([]);
    });
    it("reports an internet-facing NLB, also when internal is unset, under either type token", () => {
        for (const type of [LB, "aws:alb/loadBalancer:LoadBalancer"]) {
            expect(
                lb({ loadBalancerType: "network", internal: false }, "registry", type),
            ).to.deep.equal([
                "Network Load Balancer is internet-facing (internal is false); set internal: true.",
            ]);
        }
        expect(lb({ loadBalancerType: "network" })).to.deep.equal([
            "Network Load Balancer is internet-facing (internal is unset, which means internet-facing); set internal: true.",
        ]);
    });
    it("accepts an NLB named in allowedNames, and skips an unknown flag", () => {
        expect(
            runResource(
                nlbInternal,
                LB,
                { loadBalancerType: "network", internal: false },
                {
                    name: "public-nlb",
                    config: { allowedNames: ["public-nlb"] },
                },
            ),
        ).to.deep.equal([]);
        expect(lb({ loadBalancerType: "network", internal: UNKNOWN_STRING })).to.deep.equal([]);
    });
    it("is registered once, mandatory", () => {
        expect(
            allPolicies.filter((p) => p.name === "nlb-internal").map((p) => p.enforcementLevel),
        ).to.deep.equal(["mandatory"]);
    });
});
