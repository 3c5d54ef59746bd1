/**
 * IAM policy document types and the ECR action sets every policy in this
 * project is built from (repository, identity and endpoint policies), so an
 * action list is written once.
 */

export type PolicyPrincipal = "*" | { AWS?: string | string[]; Service?: string | string[] };

/** Condition operator -> condition key -> value(s), e.g. `{StringEquals: {"aws:PrincipalOrgID": "o-..."}}`. */
export type PolicyCondition = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    /** Resource policies only. */
    Principal?: PolicyPrincipal;
    Action: string | string[];
    /** Identity policies only; a repository policy's resource is the repository itself. */
    Resource?: string | string[];
    Condition?: PolicyCondition;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/**
 * Trust policy of a role an AWS service assumes (`ecs-tasks.amazonaws.com`,
 * `ec2.amazonaws.com`): one statement allowing `sts:AssumeRole` to the
 * service principal, narrowed by `condition` when given.
 */
export function serviceTrustPolicy(service: string, condition?: PolicyCondition): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                ...(condition ? { Condition: condition } : {}),
            },
        ],
    };
}

// ---------------------------------------------------------------------------
// Actions (ECR user guide, repository-policy-examples and
// ecr-supported-iam-actions-resources)

/** What a `docker pull` needs on the repository. */
export const PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
] as const;

/** What a `docker push` needs on top of the pull actions. */
export const PUSH_ACTIONS = [
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
] as const;

/** Read-only listing, for people who need to see which tags exist. */
export const DESCRIBE_ACTIONS = [
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
] as const;

/**
 * `docker login` against ECR. The action has no resource type, so it only
 * works in an identity policy on `*`; in a repository policy it does nothing.
 */
export const AUTH_ACTION = "ecr:GetAuthorizationToken";
