import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import {
  Capability,
  DeploymentType,
  StackSet,
  StackSetStack,
  StackSetTarget,
  StackSetTemplate,
} from 'cdk-stacksets';
import { Construct } from 'constructs';
import { PullThroughCache, PullThroughCacheSecret, UpstreamRegistry } from '../src';

/** What every account's cache reports to, and how the stack set reaches the accounts. */
export interface OrganizationCacheProps {
  /** The organizational units whose accounts (present and future) get a cache. */
  readonly organizationalUnits: string[];
  /** The regions of each account that get a cache. */
  readonly regions: string[];
  /**
   * The ARN of an event bus in a central operations account that receives every account's failed
   * pulls. Its resource policy must let the organization's accounts put events.
   */
  readonly operationsEventBusArn: string;
}

/**
 * The stack every account of the organizational units gets, in every region: its own
 * pull-through cache (no cross-account pulls, cost per account), a Docker Hub secret whose token
 * the template never holds, and a rule that forwards the cache's failed pulls to the central
 * operations bus.
 *
 * Environment-agnostic: the stack set deploys the same template to every account and region.
 */
export class AccountCacheStack extends StackSetStack {
  public readonly cache: PullThroughCache;

  constructor(scope: Construct, id: string, operationsEventBusArn: string) {
    super(scope, id);

    // The secret is created in each account and region with a generated placeholder token
    // (ECR reads only a secret named ecr-pullthroughcache/... in the rule's own account and
    // region, so a secret shared or replicated from a central account cannot be used). An
    // operator or pipeline puts the real token per account: see docs/multi-account.md, "Every
    // account of an organization".
    const dockerSecret = PullThroughCacheSecret.create(this, 'DockerHubSecret', {
      registryName: 'dockerio',
      username: 'platform-docker-user',
    });

    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: dockerSecret },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
        { registry: UpstreamRegistry.ecrPublic(), prefix: 'ecrpubliccache' },
      ],
      repositoryTemplate: {
        lifecycleRules: [{ description: 'expire images cached more than 90 days ago', maxImageAge: Duration.days(90) }],
      },
    });

    // The rule lives where ECR sends the events (this account and region); its target is the
    // central bus, so one team sees every account's failed pulls.
    const operationsBus = events.EventBus.fromEventBusArn(this, 'OperationsBus', operationsEventBusArn);
    this.cache.onPullFailure('PullFailures', {
      description: 'Failed pulls through the account\'s pull-through cache, to the central operations bus',
      target: new targets.EventBus(operationsBus),
    });
  }
}

/**
 * The stack deployed once, in the organization's management account or a CloudFormation StackSets
 * delegated administrator account: a service-managed stack set that deploys `AccountCacheStack`
 * to every account of the organizational units, and to accounts added to them later.
 */
export class OrganizationCacheStack extends Stack {
  public readonly stackSet: StackSet;
  public readonly accountStack: AccountCacheStack;

  constructor(scope: Construct, id: string, props: OrganizationCacheProps & StackProps) {
    super(scope, id, props);
    this.accountStack = new AccountCacheStack(this, 'AccountCache', props.operationsEventBusArn);
    this.stackSet = new StackSet(this, 'StackSet', {
      description: 'ECR pull-through cache in every account of the organizational units',
      target: StackSetTarget.fromOrganizationalUnits({
        regions: props.regions,
        organizationalUnits: props.organizationalUnits,
      }),
      // Service-managed: AWS Organizations creates the roles in each account; new accounts of the
      // OUs get the stack automatically, and an account that leaves keeps its cache (retain).
      deploymentType: DeploymentType.serviceManaged({
        autoDeployEnabled: true,
        autoDeployRetainStacks: true,
        delegatedAdmin: true,
      }),
      template: StackSetTemplate.fromStackSetStack(this.accountStack),
      // The forwarding rule's role (events.amazonaws.com, events:PutEvents on the central bus).
      capabilities: [Capability.IAM],
    });
  }
}
