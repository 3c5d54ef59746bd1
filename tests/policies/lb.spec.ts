import { expect } from "chai";
import { albHttpRedirectsToHttps, albHttpsTls12 } from "../../policies/rules/lb";
import {
    StackResource,
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    runResource,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const LISTENER = "aws:lb/listener:Listener";
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
    it("passes HTTP that redirects next to HTTPS", () => {
        const r = [
            https(),
            listener("http", { port: 80, protocol: "HTTP", defaultActions: [redirect] }),
        ];
        expect(stackMessages(albHttpRedirectsToHttps, r)).to.deep.equal([]);
    });
    it("passes an HTTP-only stack unless requireHttps", () => {
        const r = [listener("http", { port: 80, protocol: "HTTP", defaultActions: [forward] })];
        expect(stackMessages(albHttpRedirectsToHttps, r)).to.deep.equal([]);
        expect(
            stackMessages(albHttpRedirectsToHttps, r, { config: { requireHttps: true } }),
        ).to.deep.equal([
            'HTTP listener "http" (port 80) must only redirect to HTTPS, but its default actions are "forward" (CKV_AWS_2).',
        ]);
    });
    it("reports HTTP forwarding when an HTTPS listener exists", () => {
        const r = [
            https(),
            listener("http", { port: 80, protocol: "HTTP", defaultActions: [forward] }),
        ];
        expect(runStack(albHttpRedirectsToHttps, r)).to.deep.equal([
            {
                message:
                    'HTTP listener "http" (port 80) must only redirect to HTTPS, but its default actions are "forward" (CKV_AWS_2).',
                urn: urnOf(LISTENER, "http"),
            },
        ]);
    });
    it("reports a redirect to plain HTTP (protocol defaults to HTTP without a certificate)", () => {
        const r = [
            https(),
            listener("http", {
                port: 80,
                defaultActions: [
                    {
                        type: "redirect",
                        redirect: { protocol: "HTTP", port: "8080", statusCode: "HTTP_302" },
                    },
                ],
            }),
        ];
        expect(stackMessages(albHttpRedirectsToHttps, r)).to.deep.equal([
            'HTTP listener "http" (port 80) must only redirect to HTTPS, but its default actions are "redirect" (CKV_AWS_2).',
        ]);
    });
    it("skips unknown values", () => {
        const r = [
            https(),
            listener("a", { port: 80, protocol: "HTTP", defaultActions: UNKNOWN_ARRAY }),
            listener("b", { port: 80, protocol: UNKNOWN_STRING, defaultActions: [forward] }),
            listener("c", {
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: UNKNOWN_STRING }],
            }),
        ];
        expect(stackMessages(albHttpRedirectsToHttps, r)).to.deep.equal([]);
    });
    it("judges actions whose target group or redirect port is unknown (a first preview)", () => {
        const r = [
            https(),
            listener("fwd", {
                port: 80,
                protocol: "HTTP",
                defaultActions: [{ type: "forward", targetGroupArn: UNKNOWN_STRING }],
            }),
            listener("redir", {
                port: 81,
                protocol: "HTTP",
                defaultActions: [
                    { type: "redirect", redirect: { protocol: "HTTPS", port: UNKNOWN_STRING } },
                ],
            }),
            listener("redir-unknown", {
                port: 82,
                protocol: "HTTP",
                defaultActions: [{ type: "redirect", redirect: { protocol: UNKNOWN_STRING } }],
            }),
        ];
        expect(stackMessages(albHttpRedirectsToHttps, r)).to.deep.equal([
            'HTTP listener "fwd" (port 80) must only redirect to HTTPS, but its default actions are "forward" (CKV_AWS_2).',
        ]);
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
