import { CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Order `resource` after the policies attached to `role` so far: for the template role, whose
 * policies this library attaches before any template exists.
 *
 * ECR checks a role's permissions when a rule or template naming it is created. The `GetAtt` of
 * the role's ARN already orders the resource after the role itself, but not after its policies,
 * which are separate resources; an explicit dependency on the role would only repeat the `GetAtt`.
 */
export function dependOnRolePolicies(resource: CfnResource, role: iam.IRole | undefined): void {
  for (const child of role?.node.children ?? []) {
    if (child instanceof iam.Policy) {
      resource.node.addDependency(child);
    }
  }
}
