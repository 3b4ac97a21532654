import { CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Order `resource` after the policies attached to `role` so far: ECR checks a role's permissions
 * when a rule or template naming it is created, and `GetAtt` orders only after the role itself.
 */
export function dependOnRolePolicies(resource: CfnResource, role: iam.IRole | undefined): void {
  for (const child of role?.node.children ?? []) {
    if (child instanceof iam.Policy) {
      resource.node.addDependency(child);
    }
  }
}
