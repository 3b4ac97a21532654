import { Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { ownRegistryConfiguration, registrySingleton } from './private/registry';
import { minimumRenderedLength } from './private/rendered-length';
import { api } from '../core/private/diagnostics';
import { REGISTRY_POLICY_MAX_LENGTH } from '../core/private/rules';

/** The id of the singleton at the root of its stack; its logical ID derives from it. */
const REGISTRY_POLICY_ID = 'EcrRegistryPolicy';

/**
 * The registry policy (`AWS::ECR::RegistryPolicy`) of a stack's account and region, shared by
 * everything in the stack: get it with `RegistryPolicy.getOrCreate(scope)`.
 *
 * The owning stack replaces any registry policy set outside it; only one stack per account and
 * region may own it.
 *
 * @example
 * import { Stack } from 'aws-cdk-lib';
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * ptc.RegistryPolicy.getOrCreate(this).addStatements(new iam.PolicyStatement({
 *   principals: [new iam.AccountPrincipal('444455556666')],
 *   actions: ['ecr:ReplicateImage'],
 *   resources: [Stack.of(this).formatArn({ service: 'ecr', resource: 'repository', resourceName: 'shared/*' })],
 * }));
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/multi-account.md
 */
export class RegistryPolicy extends Construct {
  /**
   * The registry policy of the scope's (outermost) stack: the one there, or a new one.
   *
   * @param scope any construct in the stack
   */
  public static getOrCreate(scope: IConstruct): RegistryPolicy {
    return registrySingleton(scope, REGISTRY_POLICY_ID, 'RegistryPolicy',
      (c): c is RegistryPolicy => c instanceof RegistryPolicy, stack => new RegistryPolicy(stack, REGISTRY_POLICY_ID));
  }

  /** The policy document; add statements with `addStatements`. */
  public readonly document: iam.PolicyDocument;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.document = new iam.PolicyDocument();
    // The document is a token: it renders every statement added until synthesis.
    new ecr.CfnRegistryPolicy(this, 'Resource', { policyText: this.document });

    ownRegistryConfiguration(this, 'RegistryPolicy', 'registryPolicySingleton',
      env => `This stack owns the ECR registry policy of ${env} (AWS::ECR::RegistryPolicy, one per registry): `
        + 'deploying it replaces any registry policy set outside this stack, and deleting the stack deletes it. '
        + `No other stack deployed to the same account and region may own one; add every statement here with ${api('RegistryPolicy.getOrCreate(scope).addStatements()')}.`,
      other => `'${other}' owns the registry policy of the same account and region; `
        + 'a registry has one policy, so the stacks would overwrite each other. Keep one owner and add the statements there',
      () => {
        const errors: string[] = [];
        if (this.document.isEmpty) {
          errors.push(`RegistryPolicy at '${this.node.path}': no statement was added; ECR rejects an empty registry policy: add some with ${api('addStatements()')}`);
        }
        for (const error of this.document.validateForResourcePolicy()) {
          errors.push(`RegistryPolicy at '${this.node.path}': ${error}`);
        }
        // Exact when the policy has no tokens; otherwise its literal text is a lower bound.
        const { length, exact } = minimumRenderedLength(Stack.of(this).resolve(this.document));
        if (length > REGISTRY_POLICY_MAX_LENGTH) {
          errors.push(
            `RegistryPolicy at '${this.node.path}': the policy renders to ${exact ? '' : 'at least '}${length} characters; `
            + `ECR allows a registry policy of at most ${REGISTRY_POLICY_MAX_LENGTH}: fewer or shorter statements (fewer prefixes or accounts, or an organization)`,
          );
        }
        return errors;
      });
  }

  /**
   * Add statements to the registry policy; each needs a principal.
   *
   * @param statements the statements to add
   */
  public addStatements(...statements: iam.PolicyStatement[]): void {
    this.document.addStatements(...statements);
  }
}
