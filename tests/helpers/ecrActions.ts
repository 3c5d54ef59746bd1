/**
 * The ECR action sets the tests expect, written out from the ECR user guide
 * (repository-policy-examples, ecr-supported-iam-actions-resources) rather
 * than imported from src/iam.ts, so a wrong action list in the code fails.
 */
export const PULL = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
];
export const PUSH = [
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
];
export const DESCRIBE = ["ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:ListImages"];
