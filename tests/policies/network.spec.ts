import { expect } from "chai";
import {
    endpointSgIngressHttpsOnly,
    noWorldIngressExceptLb,
    s3GatewayEndpointAllowsEcrLayers,
    vpcEndpointPolicyHasAllow,
} from "../../policies/rules/network";
import {
    StackResource,
    UNKNOWN_ARRAY,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    runResource,
    runStack,
    stackMessages,
    urnOf,
} from "../helpers/policyHarness";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SGRULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const LB = "aws:lb/loadBalancer:LoadBalancer";

const sg = (name: string, id: string, props: Record<string, unknown> = {}): StackResource => ({
    type: SG,
    name,
    props: {
        id,
        arn: `arn:aws:ec2:us-east-1:444455556666:security-group/${id}`,
        vpcId: "vpc-1",
        ...props,
    },
});
const ingress = (
    name: string,
    sgId: string,
    props: Record<string, unknown>,
    deps?: Record<string, string[]>,
): StackResource => ({
    type: INGRESS,
    name,
    props: { securityGroupId: sgId, ipProtocol: "tcp", fromPort: 443, toPort: 443, ...props },
    deps,
});
const endpoint = (
    name: string,
    props: Record<string, unknown>,
    deps?: Record<string, string[]>,
): StackResource => ({
    type: ENDPOINT,
    name,
    props: {
        vpcId: "vpc-1",
        vpcEndpointType: "Interface",
        serviceName: "com.amazonaws.us-east-1.ecr.dkr",
        privateDnsEnabled: true,
        ...props,
    },
    deps,
});

describe("policy endpoint-sg-ingress-https-only", () => {
    const base = (): StackResource[] => [
        sg("endpoints", "sg-0e1"),
        endpoint("dkr", { securityGroupIds: ["sg-0e1"] }),
        ingress("from-vpc", "sg-0e1", { cidrIpv4: "10.0.0.0/16" }),
        ingress("from-idc", "sg-0e1", { cidrIpv4: "192.168.0.0/16" }),
    ];

    it("passes TCP 443 from the VPC and on-premises CIDRs", () => {
        expect(stackMessages(endpointSgIngressHttpsOnly, base())).to.deep.equal([]);
    });

    it("reports another port", () => {
        const r = [
            ...base(),
            ingress("ssh", "sg-0e1", { fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/16" }),
        ];
        expect(runStack(endpointSgIngressHttpsOnly, r)).to.deep.equal([
            {
                message:
                    'Ingress rule "ssh" on endpoint security group "endpoints" opens ports 22-22; interface endpoints need TCP 443 only.',
                urn: urnOf(INGRESS, "ssh"),
            },
        ]);
    });

    it("reports another protocol", () => {
        const r = [
            ...base(),
            ingress("all", "sg-0e1", {
                ipProtocol: "-1",
                fromPort: undefined,
                toPort: undefined,
                cidrIpv4: "10.0.0.0/16",
            }),
        ];
        expect(stackMessages(endpointSgIngressHttpsOnly, r)).to.deep.equal([
            'Ingress rule "all" on endpoint security group "endpoints" allows protocol "-1"; interface endpoints need TCP 443 only.',
        ]);
    });

    it("reports 0.0.0.0/0 and ::/0", () => {
        const r = [
            ...base(),
            ingress("w4", "sg-0e1", { cidrIpv4: "0.0.0.0/0" }),
            ingress("w6", "sg-0e1", { cidrIpv6: "::/0" }),
        ];
        expect(stackMessages(endpointSgIngressHttpsOnly, r)).to.deep.equal([
            'Ingress rule "w4" on endpoint security group "endpoints" is open to 0.0.0.0/0; allow the VPC and on-premises CIDRs only (CKV_AWS_260, CKV_AWS_277).',
            'Ingress rule "w6" on endpoint security group "endpoints" is open to ::/0; allow the VPC and on-premises CIDRs only (CKV_AWS_260, CKV_AWS_277).',
        ]);
    });

    it("checks inline ingress and SecurityGroupRule too", () => {
        const r: StackResource[] = [
            sg("endpoints", "sg-0e1", {
                ingress: [
                    { protocol: "tcp", fromPort: 80, toPort: 443, cidrBlocks: ["10.0.0.0/16"] },
                ],
            }),
            endpoint("dkr", { securityGroupIds: ["sg-0e1"] }),
            {
                type: SGRULE,
                name: "legacy",
                props: {
                    type: "ingress",
                    securityGroupId: "sg-0e1",
                    protocol: "udp",
                    fromPort: 443,
                    toPort: 443,
                    cidrBlocks: ["0.0.0.0/0"],
                },
            },
        ];
        expect(stackMessages(endpointSgIngressHttpsOnly, r)).to.deep.equal([
            'Ingress rule "endpoints" ingress[0] on endpoint security group "endpoints" opens ports 80-443; interface endpoints need TCP 443 only.',
            'Ingress rule "legacy" on endpoint security group "endpoints" allows protocol "udp"; interface endpoints need TCP 443 only.',
            'Ingress rule "legacy" on endpoint security group "endpoints" is open to 0.0.0.0/0; allow the VPC and on-premises CIDRs only (CKV_AWS_260, CKV_AWS_277).',
        ]);
    });

    it("ignores security groups no interface endpoint uses (gateway endpoints have none)", () => {
        const r = [
            sg("app", "sg-0a1"),
            endpoint("s3", {
                vpcEndpointType: "Gateway",
                serviceName: "com.amazonaws.us-east-1.s3",
                securityGroupIds: ["sg-0a1"],
            }),
            ingress("ssh", "sg-0a1", { fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/16" }),
        ];
        expect(stackMessages(endpointSgIngressHttpsOnly, r)).to.deep.equal([]);
    });

    it("joins through property dependencies while ids are unknown, and skips unknown values", () => {
        const r: StackResource[] = [
            sg("endpoints", UNKNOWN_STRING, { arn: UNKNOWN_STRING }),
            endpoint(
                "dkr",
                { securityGroupIds: UNKNOWN_ARRAY },
                { securityGroupIds: ["endpoints"] },
            ),
            ingress(
                "bad",
                UNKNOWN_STRING,
                { fromPort: 22, toPort: 22 },
                { securityGroupId: ["endpoints"] },
            ),
            ingress(
                "p",
                UNKNOWN_STRING,
                {
                    ipProtocol: UNKNOWN_STRING,
                    fromPort: UNKNOWN_NUMBER,
                    toPort: UNKNOWN_NUMBER,
                    cidrIpv4: UNKNOWN_STRING,
                },
                { securityGroupId: ["endpoints"] },
            ),
            ingress("orphan", UNKNOWN_STRING, { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
        ];
        expect(stackMessages(endpointSgIngressHttpsOnly, r)).to.deep.equal([
            'Ingress rule "bad" on endpoint security group "endpoints" opens ports 22-22; interface endpoints need TCP 443 only.',
        ]);
    });
});

describe("policy no-world-ingress-except-lb", () => {
    const lb = (sgs: unknown, deps?: Record<string, string[]>): StackResource => ({
        type: LB,
        name: "alb",
        props: {
            loadBalancerType: "application",
            securityGroups: sgs,
            subnets: ["subnet-1", "subnet-2"],
        },
        deps,
    });

    it("passes TCP 80/443 from the world on the load balancer's security group", () => {
        const r = [
            sg("alb-sg", "sg-0b1"),
            lb(["sg-0b1"]),
            ingress("https", "sg-0b1", { cidrIpv4: "0.0.0.0/0" }),
            ingress("http", "sg-0b1", { fromPort: 80, toPort: 80, cidrIpv6: "::/0" }),
            sg("app", "sg-0a1"),
            ingress("from-alb", "sg-0a1", {
                fromPort: 8080,
                toPort: 8080,
                referencedSecurityGroupId: "sg-0b1",
            }),
        ];
        expect(stackMessages(noWorldIngressExceptLb, r)).to.deep.equal([]);
    });

    it("reports world ingress on 443 to a group no load balancer uses", () => {
        const r = [
            sg("app", "sg-0a1"),
            lb(["sg-0b1"]),
            ingress("https", "sg-0a1", { cidrIpv4: "0.0.0.0/0" }),
        ];
        expect(runStack(noWorldIngressExceptLb, r)).to.deep.equal([
            {
                message:
                    'Ingress rule "https" opens TCP 443 to 0.0.0.0/0 on a security group that no load balancer uses (CKV_AWS_260, CKV_AWS_277).',
                urn: urnOf(INGRESS, "https"),
            },
        ]);
    });

    it("reports other ports and all traffic from the world, even on the load balancer's group", () => {
        const r: StackResource[] = [
            sg("alb-sg", "sg-0b1", {
                ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            }),
            lb(["sg-0b1"]),
            ingress("ssh", "sg-0b1", { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
            ingress("all", "sg-0b1", {
                ipProtocol: "-1",
                fromPort: undefined,
                toPort: undefined,
                cidrIpv6: "::/0",
            }),
        ];
        expect(stackMessages(noWorldIngressExceptLb, r)).to.deep.equal([
            'Ingress rule "alb-sg" ingress[0] opens all traffic to 0.0.0.0/0; only a load balancer\'s security group may accept the world, on TCP 80 or 443 (CKV_AWS_260, CKV_AWS_277).',
            'Ingress rule "ssh" opens TCP 22-22 to 0.0.0.0/0; only a load balancer\'s security group may accept the world, on TCP 80 or 443 (CKV_AWS_260, CKV_AWS_277).',
            'Ingress rule "all" opens all traffic to ::/0; only a load balancer\'s security group may accept the world, on TCP 80 or 443 (CKV_AWS_260, CKV_AWS_277).',
        ]);
    });

    it("honours loadBalancerPorts", () => {
        const r = [
            sg("alb-sg", "sg-0b1"),
            lb(["sg-0b1"]),
            ingress("http", "sg-0b1", { fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }),
        ];
        expect(
            stackMessages(noWorldIngressExceptLb, r, { config: { loadBalancerPorts: [443] } }),
        ).to.have.length(1);
    });

    it("skips values unknown during preview", () => {
        const r: StackResource[] = [
            sg("alb-sg", UNKNOWN_STRING, { arn: UNKNOWN_STRING }),
            lb(UNKNOWN_ARRAY),
            ingress("https", UNKNOWN_STRING, { cidrIpv4: "0.0.0.0/0" }),
            ingress("p", "sg-0a1", { ipProtocol: UNKNOWN_STRING, cidrIpv4: "0.0.0.0/0" }),
            ingress("q", "sg-0a1", { fromPort: UNKNOWN_NUMBER, cidrIpv4: "0.0.0.0/0" }),
            ingress("c", "sg-0a1", { fromPort: 22, toPort: 22, cidrIpv4: UNKNOWN_STRING }),
        ];
        expect(stackMessages(noWorldIngressExceptLb, r)).to.deep.equal([]);
    });
});

const S3_ENDPOINT = {
    vpcId: "vpc-1",
    vpcEndpointType: "Gateway",
    serviceName: "com.amazonaws.us-east-1.s3",
    routeTableIds: ["rtb-1"],
};
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const LAYERS = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*";

describe("policy s3-gateway-endpoint-allows-ecr-layers", () => {
    const missing =
        "S3 gateway endpoint policy must allow s3:GetObject on arn:aws:s3:::prod-us-east-1-starport-layer-bucket/* to every principal without aws:PrincipalAccount/aws:PrincipalOrgID conditions; ECR image layers are downloaded from that bucket.";
    /** An S3 gateway endpoint next to an ecr.dkr interface endpoint in vpc-1. */
    const stack = (
        s3: Record<string, unknown>,
        dkr: Record<string, unknown> = {},
    ): StackResource[] => [
        endpoint("dkr", { securityGroupIds: ["sg-0e1"], ...dkr }),
        { type: ENDPOINT, name: "s3", props: { ...S3_ENDPOINT, ...s3 } },
    ];
    const check = (s3: Record<string, unknown>, dkr?: Record<string, unknown>) =>
        stackMessages(s3GatewayEndpointAllowsEcrLayers, stack(s3, dkr));

    it("passes the layer-bucket statement, no policy, and s3:* on *", () => {
        const policy = doc({
            Sid: "Layers",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: [LAYERS],
        });
        expect(check({ policy })).to.deep.equal([]);
        expect(check({})).to.deep.equal([]);
        const broad = doc({
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "s3:*",
            Resource: "*",
        });
        expect(check({ policy: broad })).to.deep.equal([]);
    });

    it("reports a policy without the layer bucket, naming the endpoint", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::my-bucket/*",
        });
        expect(runStack(s3GatewayEndpointAllowsEcrLayers, stack({ policy }))).to.deep.equal([
            { message: missing, urn: urnOf(ENDPOINT, "s3") },
        ]);
    });

    it("reports the wrong region's bucket", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*",
        });
        expect(check({ policy })).to.deep.equal([missing]);
    });

    it("reports a statement without s3:GetObject", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:ListBucket",
            Resource: LAYERS,
        });
        expect(check({ policy })).to.deep.equal([missing]);
    });

    it("reports an aws:PrincipalAccount condition and a restricted principal", () => {
        const cond = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: LAYERS,
            Condition: { StringEquals: { "aws:PrincipalAccount": "444455556666" } },
        });
        expect(check({ policy: cond })).to.deep.equal([missing]);
        const princ = doc({
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "s3:GetObject",
            Resource: LAYERS,
        });
        expect(check({ policy: princ })).to.deep.equal([missing]);
    });

    it("reports a Deny on the layer bucket", () => {
        const policy = doc(
            { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: LAYERS },
            { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::prod-*" },
        );
        expect(check({ policy })).to.deep.equal([
            "S3 gateway endpoint policy denies s3:GetObject on arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*, which blocks ECR image layer downloads.",
        ]);
    });

    it("ignores S3 endpoints in VPCs without an ecr.dkr endpoint, interface endpoints and other services", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
        });
        expect(check({ policy, vpcId: "vpc-idc" })).to.deep.equal([]);
        expect(check({ policy }, { serviceName: "com.amazonaws.us-east-1.logs" })).to.deep.equal(
            [],
        );
        expect(check({ policy, vpcEndpointType: "Interface" })).to.deep.equal([]);
        expect(check({ policy, serviceName: "com.amazonaws.us-east-1.dynamodb" })).to.deep.equal(
            [],
        );
    });

    it("matches the VPC through property dependencies while its id is unknown", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:ListBucket",
            Resource: "*",
        });
        const r: StackResource[] = [
            { type: "aws:ec2/vpc:Vpc", name: "vpc", props: { cidrBlock: "10.0.0.0/16" } },
            endpoint("dkr", { vpcId: UNKNOWN_STRING }, { vpcId: ["vpc"] }),
            {
                type: ENDPOINT,
                name: "s3",
                props: { ...S3_ENDPOINT, vpcId: UNKNOWN_STRING, policy },
                deps: { vpcId: ["vpc"] },
            },
        ];
        expect(stackMessages(s3GatewayEndpointAllowsEcrLayers, r)).to.deep.equal([missing]);
    });

    it("skips values unknown during preview", () => {
        expect(check({ policy: UNKNOWN_STRING })).to.deep.equal([]);
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: "s3:ListBucket",
            Resource: "*",
        });
        expect(check({ serviceName: UNKNOWN_STRING, policy })).to.deep.equal([]);
        expect(check({ vpcEndpointType: UNKNOWN_STRING, policy })).to.deep.equal([]);
        expect(check({ vpcId: UNKNOWN_STRING, policy })).to.deep.equal([]);
    });
});

describe("policy vpc-endpoint-policy-has-allow", () => {
    const dkr = {
        vpcId: "vpc-1",
        vpcEndpointType: "Interface",
        serviceName: "com.amazonaws.us-east-1.ecr.dkr",
    };
    it("passes a policy with an Allow statement, and no policy", () => {
        const policy = doc({
            Effect: "Allow",
            Principal: "*",
            Action: ["ecr:BatchGetImage"],
            Resource: "arn:aws:ecr:us-east-1:444455556666:repository/*",
        });
        expect(runResource(vpcEndpointPolicyHasAllow, ENDPOINT, { ...dkr, policy })).to.deep.equal(
            [],
        );
        expect(runResource(vpcEndpointPolicyHasAllow, ENDPOINT, dkr)).to.deep.equal([]);
    });
    it("reports a policy with only Deny statements", () => {
        const policy = doc({ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" });
        expect(runResource(vpcEndpointPolicyHasAllow, ENDPOINT, { ...dkr, policy })).to.deep.equal([
            "VPC endpoint policy has no Allow statement, so it denies every request through the endpoint.",
        ]);
    });
    it("reports an empty statement list", () => {
        expect(
            runResource(vpcEndpointPolicyHasAllow, ENDPOINT, { ...dkr, policy: doc() }),
        ).to.deep.equal([
            "VPC endpoint policy has no Allow statement, so it denies every request through the endpoint.",
        ]);
    });
    it("reports a document that is not JSON", () => {
        expect(
            runResource(vpcEndpointPolicyHasAllow, ENDPOINT, { ...dkr, policy: "Statement: []" }),
        ).to.deep.equal(["VPC endpoint policy is not a valid JSON policy document."]);
    });
    it("skips an unknown policy", () => {
        expect(
            runResource(vpcEndpointPolicyHasAllow, ENDPOINT, { ...dkr, policy: UNKNOWN_STRING }),
        ).to.deep.equal([]);
    });
});
