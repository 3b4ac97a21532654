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
 * The permissions policy of the private ECR registry of a stack's account and region
 * (`AWS::ECR::RegistryPolicy`), shared by everything in the stack that needs it.
 *
 * A registry has exactly one registry policy, so this construct is a singleton: get it with
 * `RegistryPolicy.getOrCreate(scope)`, which creates it at the root of the stack on first use, and add
 * statements to it. The policy is rendered when the app is synthesized, with every statement
 * added until then. A nested stack shares its parent's.
 *
 * The stack that owns it replaces any registry policy set outside the stack (console, CLI,
 * another tool) and deletes it when the stack is deleted. Two stacks deployed to the same account
 * and region must not both own one: synthesis fails when the app holds two such stacks with
 * known environments.
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
 */
export class RegistryPolicy extends Construct {
  /**
   * The registry policy of the scope's stack (of the outermost stack, for a nested stack):
   * the one there, or a new one. Named like aws-cdk-lib's find-or-create methods
   * (`CustomResourceProvider.getOrCreate`): calling it can add a resource to the stack.
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
   * Add statements to the registry policy. Each needs a principal (it is a resource-based
   * policy).
   *
   * @param statements the statements to add
   */
  public addStatements(...statements: iam.PolicyStatement[]): void {
    this.document.addStatements(...statements);
  }
}
