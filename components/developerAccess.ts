import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { pushPullIdentityPolicy } from "../src/ecr/policies";
import { iamPolicySize, MAX_GROUP_INLINE_POLICY_CHARS } from "../src/ecr/sharing";

export interface DeveloperAccessArgs {
    /**
     * Home-region repository ARNs the developers push to and pull from
     * (SharedRepository `arn`). A repository in a namespace is granted as
     * `<namespace>/*` (every repository in the namespace, also ones created
     * later: a namespace belongs to the stack), a top-level repository
     * exactly; nothing else is granted. The group's inline policy must stay
     * within IAM's 5,120 characters (whitespace excluded): about 85
     * namespaces or top-level repositories with no replica region, 40 with
     * one, 27 with two (4-character namespace names; fewer with longer ones).
     */
    repositoryArns: pulumi.Input<string>[];
    /**
     * Replica ARNs (SharedRepository `replicaArns`): pull and list only.
     * Replicas are read-only copies; pushes go to the home region.
     * @default []
     */
    replicaRepositoryArns?: pulumi.Input<string>[];
    /**
     * IAM group name. Warning: changing it replaces the group (members are
     * re-added by this program).
     * @default an auto-named group derived from the component name
     */
    groupName?: string;
    /**
     * IAM users to create and add to the group. No password, access key or
     * other credential is created: give people credentials outside the
     * program (IAM Identity Center, or keys they create themselves), so no
     * secret ever lands in the state or the outputs. A user who later gets
     * keys outside Pulumi blocks deleting the user (`forceDestroy` stays off).
     * @default []
     */
    users?: string[];
    /** Tags for the users. */
    tags?: Record<string, string>;
}

const IAM_NAME = /^[\w+=,.@-]+$/;

/**
 * The publisher's developers: an IAM group whose inline policy allows
 * `docker login` (`ecr:GetAuthorizationToken` on `*`, the only resource that
 * action accepts) and push/pull on the stack's repositories (one pattern per
 * namespace, so the policy does not grow with the repository count), plus
 * optional users in that group. An IAM group is not a principal, so the
 * repository policy cannot name it; inside the owning account the group's
 * identity policy is all that is needed.
 */
export class DeveloperAccess extends pulumi.ComponentResource {
    public readonly groupName: pulumi.Output<string>;
    public readonly groupArn: pulumi.Output<string>;
    public readonly userNames: string[];

    constructor(name: string, args: DeveloperAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecr-private-access:iam:DeveloperAccess", name, {}, opts);
        if (args.repositoryArns.length === 0) {
            throw new Error("`repositoryArns` must name at least one repository.");
        }
        if (
            args.groupName !== undefined &&
            (args.groupName.length > 128 || !IAM_NAME.test(args.groupName))
        ) {
            throw new Error(
                `\`groupName\` "${args.groupName}" is not an IAM group name (1-128 of letters, digits and _+=,.@-).`,
            );
        }
        const users = args.users ?? [];
        const seen = new Set<string>();
        users.forEach((u, i) => {
            if (u.length > 64 || !IAM_NAME.test(u)) {
                throw new Error(
                    `\`users[${i}]\` "${u}" is not an IAM user name (1-64 of letters, digits and _+=,.@-).`,
                );
            }
            // IAM user names are case-insensitive.
            if (seen.has(u.toLowerCase()))
                throw new Error(`\`users[${i}]\` "${u}" is listed twice.`);
            seen.add(u.toLowerCase());
        });

        const group = new aws.iam.Group(
            name,
            { name: args.groupName, path: "/" },
            { parent: this },
        );
        new aws.iam.GroupPolicy(
            `${name}-ecr`,
            {
                group: group.name,
                policy: pulumi
                    .all([
                        pulumi.all(args.repositoryArns),
                        pulumi.all(args.replicaRepositoryArns ?? []),
                    ])
                    .apply(([home, replicas]) => {
                        const text = JSON.stringify(pushPullIdentityPolicy(home, replicas));
                        // The config check refuses this first (naming the key).
                        const size = iamPolicySize(text);
                        if (size > MAX_GROUP_INLINE_POLICY_CHARS) {
                            throw new Error(
                                `The developers' group policy would be ${size} characters; IAM allows ${MAX_GROUP_INLINE_POLICY_CHARS} for all inline policies of a group. Put the repositories under fewer namespaces.`,
                            );
                        }
                        return text;
                    }),
            },
            { parent: this },
        );
        for (const userName of users) {
            const user = new aws.iam.User(
                `${name}-${userName}`,
                { name: userName, path: "/", forceDestroy: false, tags: args.tags },
                { parent: this },
            );
            new aws.iam.UserGroupMembership(
                `${name}-${userName}`,
                { user: user.name, groups: [group.name] },
                { parent: this },
            );
        }

        this.groupName = group.name;
        this.groupArn = group.arn;
        this.userNames = users;
        this.registerOutputs({
            groupName: this.groupName,
            groupArn: this.groupArn,
            userNames: this.userNames,
        });
    }
}
