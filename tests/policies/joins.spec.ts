import { expect } from "chai";
import fc from "fast-check";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies/rules";
import {
    StackIndex,
    TYPES,
    UNKNOWN,
    identifiersOf,
    resolveRef,
    resolveRefList,
} from "../../policies/rules/util";

const isStackPolicy = (p: (typeof allPolicies)[number]): p is StackValidationPolicy =>
    "validateStack" in p;

const opts = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function resource(type: string, name: string, props: Record<string, unknown>): PolicyResource {
    return {
        type,
        name,
        props,
        urn: `urn:pulumi:test::ecr-private-access::${type}::${name}`,
        opts,
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    } as unknown as PolicyResource;
}

describe("policy joins (StackIndex)", () => {
    // Identifiers drawn from a small pool, so resources share them; the unknown marker and "" too.
    const ident = fc.constantFrom("a", "b", "c", "sg-1", UNKNOWN, "", undefined);
    const arb = fc.array(
        fc.record({
            type: fc.constantFrom(TYPES.zone, TYPES.securityGroup, TYPES.repository),
            id: ident,
            zoneId: ident,
            arn: fc.constantFrom(
                undefined,
                "a",
                "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
            ),
            name: ident,
        }),
        { maxLength: 12 },
    );

    it("finds exactly what a scan of every resource finds, in stack order", () => {
        fc.assert(
            fc.property(arb, fc.constantFrom("a", "b", "sg-1", "zz", UNKNOWN), (specs, value) => {
                const resources = specs.map((s, i) => resource(s.type, `r${i}`, { ...s }));
                const index = new StackIndex(resources);
                for (const type of [TYPES.zone, TYPES.securityGroup, TYPES.repository]) {
                    const scan = resources.filter(
                        (r) => r.type === type && identifiersOf(r).includes(value),
                    );
                    expect(index.withKey(type, identifiersOf, value)).to.deep.equal(scan);
                    expect(index.ofType(type)).to.deep.equal(
                        resources.filter((r) => r.type === type),
                    );
                    const from = resource("x", "from", { ref: value, refs: [value, "zz"] });
                    expect(resolveRef(index, from, "ref", type)).to.deep.equal(
                        resolveRef(resources, from, "ref", type),
                    );
                    expect(resolveRefList(index, from, "refs", type)).to.deep.equal(
                        resolveRefList(resources, from, "refs", type),
                    );
                }
            }),
        );
    });

    /**
     * A stack with `n` of everything the stack policies join: zones with records and
     * associations, security groups with rules used by endpoints and load balancers, repositories
     * with policies. Every resource's props count how often they are read.
     */
    function joinedStack(n: number, reads: Map<string, number>): PolicyResource[] {
        const out: PolicyResource[] = [];
        const add = (type: string, name: string, props: Record<string, unknown>) => {
            reads.set(name, 0);
            const counted = new Proxy(props, {
                get(target, key) {
                    reads.set(name, reads.get(name)! + 1);
                    return (target as Record<string | symbol, unknown>)[key];
                },
            });
            out.push(resource(type, name, counted));
        };
        for (let i = 0; i < n; i++) {
            const hex = i.toString(16).padStart(8, "0");
            add(TYPES.zone, `zone-${i}`, {
                id: `Z${i}`,
                zoneId: `Z${i}`,
                name: `zone${i}.example.com`,
                vpcs: [{ vpcId: "vpc-1" }],
            });
            add(TYPES.record, `record-${i}`, {
                zoneId: `Z${i}`,
                name: "www",
                type: "CNAME",
                records: ["example.org"],
            });
            add(TYPES.zoneAssociation, `assoc-${i}`, { zoneId: `Z${i}`, vpcId: "vpc-2" });
            add(TYPES.securityGroup, `sg-${i}`, {
                id: `sg-${hex}`,
                arn: `arn:aws:ec2:us-east-1:111122223333:security-group/sg-${hex}`,
                ingress: [],
            });
            add(TYPES.ingressRule, `sg-rule-${i}`, {
                securityGroupId: `sg-${hex}`,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "10.0.0.0/8",
            });
            add(TYPES.securityGroupRule, `sg-old-rule-${i}`, {
                type: "ingress",
                securityGroupId: `sg-${hex}`,
                protocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrBlocks: ["10.0.0.0/8"],
            });
            add(TYPES.vpcEndpoint, `endpoint-${i}`, {
                vpcEndpointType: "Interface",
                serviceName: "com.amazonaws.us-east-1.ecr.dkr",
                vpcId: "vpc-1",
                securityGroupIds: [`sg-${hex}`],
            });
            add(TYPES.loadBalancer, `lb-${i}`, { securityGroups: [`sg-${hex}`] });
            add(TYPES.repository, `repo-${i}`, {
                name: `team/app-${i}`,
                arn: `arn:aws:ecr:us-east-1:111122223333:repository/team/app-${i}`,
                registryId: "111122223333",
            });
            add(TYPES.repositoryPolicy, `repo-policy-${i}`, {
                repository: `team/app-${i}`,
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "Pull",
                            Effect: "Allow",
                            Principal: { AWS: "arn:aws:iam::444455556666:root" },
                            // The last one also lets the consumer push: only a resolved join to
                            // the repository (its registryId) tells the consumer from the owner.
                            Action:
                                i === n - 1
                                    ? ["ecr:BatchGetImage", "ecr:PutImage"]
                                    : ["ecr:BatchGetImage"],
                        },
                    ],
                }),
            });
        }
        // One record at a zone's apex: found only through the record -> zone join.
        add(TYPES.record, "apex", { zoneId: `Z${n - 1}`, name: "", type: "CNAME", records: ["x"] });
        return out;
    }

    function runAll(n: number): { maxReads: number; violations: string[] } {
        const reads = new Map<string, number>();
        const resources = joinedStack(n, reads);
        const violations: string[] = [];
        for (const policy of allPolicies.filter(isStackPolicy)) {
            void policy.validateStack(
                {
                    resources,
                    stackTags: new Map(),
                    getConfig: <T>() => ({}) as T,
                    notApplicable: () => {
                        throw new Error("not applicable");
                    },
                },
                (message, urn) => violations.push(`${policy.name} ${urn}: ${message}`),
            );
        }
        return { maxReads: Math.max(...reads.values()), violations };
    }

    it("reads each resource a number of times that does not grow with the stack", () => {
        const small = runAll(20);
        const large = runAll(400);
        // A scan per lookup reads every zone, group and repository once per record, rule and
        // repository policy: 20x more reads per resource for 20x the resources.
        expect(large.maxReads).to.equal(small.maxReads);
        expect(small.maxReads).to.be.lessThan(60);
    });

    it("still resolves every join (the planted violations are found)", () => {
        const { violations } = runAll(400);
        expect(violations.filter((v) => v.startsWith("ecr-consumers-pull-only"))).to.have.length(1);
        expect(violations.find((v) => v.startsWith("ecr-consumers-pull-only"))).to.include(
            "repo-policy-399",
        );
        expect(violations.filter((v) => v.startsWith("no-apex-overrides"))).to.deep.equal([
            `no-apex-overrides urn:pulumi:test::ecr-private-access::${TYPES.record}::apex: Route 53 record at the apex of zone "zone399.example.com" is a CNAME, which Route 53 rejects at a zone apex; use an alias record to the endpoint's DNS name.`,
        ]);
    });
});
