import { expect } from "chai";
import { iamInlinePolicySize, iamSize, IAM_POLICY_LIMITS } from "../../policies/rules/iamQuotas";
import { runStack, StackResource, UNKNOWN_STRING, urnOf } from "../helpers/policyHarness";

const GROUP = "aws:iam/group:Group";
const GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
const MANAGED = "aws:iam/policy:Policy";

/** A policy document of exactly `size` characters as IAM counts them (whitespace excluded). */
function docOf(size: number, pretty = false): string {
    const base = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "" }],
    };
    const empty = JSON.stringify(base).length;
    base.Statement[0].Resource = "x".repeat(size - empty);
    const text = pretty ? JSON.stringify(base, null, 4) : JSON.stringify(base);
    expect(iamSize(text)).to.equal(size);
    return text;
}

const group = (name: string): StackResource => ({ type: GROUP, name, props: { name } });

describe("policy iam-inline-policy-size", () => {
    it("is mandatory", () => {
        expect(iamInlinePolicySize.enforcementLevel).to.equal("mandatory");
    });

    it("passes a group whose inline policies add up to exactly 5,120 characters", () => {
        expect(
            runStack(iamInlinePolicySize, [
                group("devs"),
                { type: GROUP_POLICY, name: "a", props: { group: "devs", policy: docOf(3000) } },
                { type: GROUP_POLICY, name: "b", props: { group: "devs", policy: docOf(2120) } },
            ]),
        ).to.deep.equal([]);
    });

    it("sums every inline policy of one group (by dependency or by name) and reports one character over", () => {
        const v = runStack(iamInlinePolicySize, [
            group("devs"),
            {
                type: GROUP_POLICY,
                name: "a",
                props: { group: UNKNOWN_STRING, policy: docOf(3000) },
                deps: { group: ["devs"] },
            },
            { type: GROUP_POLICY, name: "b", props: { group: "devs", policy: docOf(2121) } },
        ]);
        expect(v).to.deep.equal([
            {
                message:
                    'IAM group "devs" would carry 5121 characters of inline policies ("a", "b"; whitespace excluded); IAM allows 5120 for all inline policies of a group. Grant by namespace pattern (repository/<namespace>/*), split into customer managed policies, or grant less.',
                urn: urnOf(GROUP, "devs"),
            },
        ]);
    });

    it("does not count whitespace (a pretty-printed document of the same content passes)", () => {
        expect(
            runStack(iamInlinePolicySize, [
                group("devs"),
                {
                    type: GROUP_POLICY,
                    name: "a",
                    props: { group: "devs", policy: docOf(5120, true) },
                },
            ]),
        ).to.deep.equal([]);
    });

    it("keeps identities apart and applies each kind's limit: role 10,240 (with its inlinePolicies), user 2,048", () => {
        const v = runStack(iamInlinePolicySize, [
            {
                type: ROLE,
                name: "host",
                props: { name: "host", inlinePolicies: [{ name: "x", policy: docOf(6000) }] },
            },
            { type: ROLE_POLICY, name: "host-ecr", props: { role: "host", policy: docOf(4240) } },
            {
                type: ROLE_POLICY,
                name: "other-ecr",
                props: { role: "other", policy: docOf(10241) },
            },
            { type: USER_POLICY, name: "u1", props: { user: "alice", policy: docOf(2048) } },
            { type: USER_POLICY, name: "u2", props: { user: "bob", policy: docOf(2049) } },
        ]);
        expect(v.map((x) => x.message.slice(0, 60))).to.deep.equal([
            'IAM role "other" would carry 10241 characters of inline poli',
            'IAM user "bob" would carry 2049 characters of inline policie',
        ]);
        // host: 6,000 + 4,240 = 10,240 exactly: within the limit.
        const over = runStack(iamInlinePolicySize, [
            {
                type: ROLE,
                name: "host",
                props: { name: "host", inlinePolicies: [{ name: "x", policy: docOf(6001) }] },
            },
            { type: ROLE_POLICY, name: "host-ecr", props: { role: "host", policy: docOf(4240) } },
        ]);
        expect(over.map((x) => x.urn)).to.deep.equal([urnOf(ROLE, "host")]);
        expect(over[0].message).to.contain('("host" inlinePolicies, "host-ecr"');
    });

    it("reports a managed policy over 6,144 characters", () => {
        const v = runStack(iamInlinePolicySize, [
            {
                type: MANAGED,
                name: "ok",
                props: { policy: docOf(IAM_POLICY_LIMITS.managedPolicy) },
            },
            { type: MANAGED, name: "big", props: { policy: docOf(6145) } },
        ]);
        expect(v).to.deep.equal([
            {
                message:
                    'IAM managed policy "big" is 6145 characters (whitespace excluded); IAM allows 6144 per managed policy.',
                urn: urnOf(MANAGED, "big"),
            },
        ]);
    });

    it("skips what preview does not know yet", () => {
        expect(
            runStack(iamInlinePolicySize, [
                {
                    type: GROUP_POLICY,
                    name: "a",
                    props: { group: UNKNOWN_STRING, policy: docOf(9000) },
                },
                { type: GROUP_POLICY, name: "b", props: { group: "devs", policy: UNKNOWN_STRING } },
            ]),
        ).to.deep.equal([]);
    });
});
