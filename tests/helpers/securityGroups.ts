import type { PlanResource } from "../../src/report/plan";
import type { TestRun } from "./run";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

/**
 * Every security group rule of the run, sorted, as
 * `<sg name> <in|out> <proto>/<from>-<to> <peer>`, where the peer is
 * `sg:<name>` (resolved to the group's name), `pl:<prefix list>`,
 * `cidr:<IPv4 CIDR>` or `cidr6:<IPv6 CIDR>`: a whole network's openings in
 * one comparison.
 */
export function ruleTable(r: TestRun): string[] {
    const sgName = new Map(r.ofType(SG).map((sg) => [sg.id, sg.name]));
    const peer = (i: Record<string, unknown>) =>
        i.referencedSecurityGroupId
            ? `sg:${sgName.get(i.referencedSecurityGroupId as string) ?? i.referencedSecurityGroupId}`
            : i.prefixListId
              ? `pl:${i.prefixListId}`
              : i.cidrIpv4
                ? `cidr:${i.cidrIpv4}`
                : `cidr6:${i.cidrIpv6}`;
    const line = (dir: string) => (rule: PlanResource) => {
        const i = rule.inputs;
        return `${sgName.get(i.securityGroupId as string)} ${dir} ${i.ipProtocol}/${i.fromPort}-${i.toPort} ${peer(i)}`;
    };
    return [...r.ofType(INGRESS).map(line("in")), ...r.ofType(EGRESS).map(line("out"))].sort();
}
