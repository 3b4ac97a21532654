import { App, AppProps, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  PullThroughCache,
  PullThroughCacheSecret,
  RepositoryTemplateOptions,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../../src';

/** A stack named 'Stack' in a new app: environment-agnostic unless `stackProps` give an env. */
export function newStack(stackProps: StackProps = {}, appProps?: AppProps): Stack {
  return new Stack(new App(appProps), 'Stack', stackProps);
}

/** The prefixes of the reference use case, in the order the README gives them. */
export const REFERENCE_PREFIXES = ['dockercache', 'ghcrcache', 'k8scache', 'quaycache'];

export interface ReferenceOptions {
  /** The order of the four reference upstreams, as indexes into REFERENCE_PREFIXES. */
  readonly order?: number[];
  /** More upstreams, appended after the reference ones. */
  readonly extraUpstreams?: UpstreamDefinition[];
  /** Replaces the reference template options (`{ scope: ANY_PREFIX }`). */
  readonly repositoryTemplate?: RepositoryTemplateOptions;
  /** Grant pulls to a role (default true). */
  readonly grant?: boolean;
  readonly stackProps?: StackProps;
}

export interface Reference {
  readonly app: App;
  readonly stack: Stack;
  readonly cache: PullThroughCache;
  readonly dockerSecret: secretsmanager.ISecret;
  readonly ghcrSecret: secretsmanager.ISecret;
  readonly puller?: iam.Role;
}

/**
 * The reference use case: Docker Hub and GHCR with credentials, registry.k8s.io and Quay without,
 * one ROOT template, and a role that may pull through the cache.
 */
export function buildReference(options: ReferenceOptions = {}): Reference {
  const app = new App();
  const stack = new Stack(app, 'Stack', options.stackProps);
  const dockerSecret = PullThroughCacheSecret.create(stack, 'DockerHubSecret', { registryName: 'dockerio', username: 'my-docker-user' });
  const ghcrSecret = PullThroughCacheSecret.create(stack, 'GhcrSecret', { registryName: 'ghcr', username: 'my-github-user' });
  const all: UpstreamDefinition[] = [
    { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: dockerSecret },
    { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: ghcrSecret },
    { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
    { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
  ];
  const order = options.order ?? [0, 1, 2, 3];
  const cache = new PullThroughCache(stack, 'Cache', {
    upstreams: [...order.map(i => all[i]), ...(options.extraUpstreams ?? [])],
    repositoryTemplate: options.repositoryTemplate ?? { scope: TemplateScope.ANY_PREFIX },
  });
  let puller: iam.Role | undefined;
  if (options.grant ?? true) {
    puller = new iam.Role(stack, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    cache.grantPull(puller);
  }
  return { app, stack, cache, dockerSecret, ghcrSecret, puller };
}

/** Every permutation of `items`. */
export function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) {
    return [items];
  }
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map(rest => [item, ...rest]));
}

/** The ARN pattern `grantPull` gives for a prefix, in an environment-agnostic stack. */
export function repositoryArnPattern(path: string): any {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':ecr:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:repository/${path}`,
    ]],
  };
}

/** Every IAM policy document in a template, with where it comes from. */
export function iamPolicyDocuments(template: Template): Array<{ where: string; document: any }> {
  const documents: Array<{ where: string; document: any }> = [];
  for (const [id, resource] of Object.entries<any>(template.toJSON().Resources ?? {})) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push({ where: id, document: resource.Properties.PolicyDocument });
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of resource.Properties.Policies ?? []) {
        documents.push({ where: `${id}.${policy.PolicyName}`, document: policy.PolicyDocument });
      }
    }
  }
  return documents;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * The least-privilege rules of the library, checked on every IAM policy of the template:
 * no wildcard action (`*`, `ecr:*`, `kms:*`), and the only statement on `Resource: "*"` is
 * `ecr:GetAuthorizationToken` alone (it has no resource type). Returns the violations.
 */
export function leastPrivilegeViolations(template: Template): string[] {
  const violations: string[] = [];
  for (const { where, document } of iamPolicyDocuments(template)) {
    for (const statement of asList<any>(document.Statement)) {
      const actions = asList<string>(statement.Action);
      for (const action of actions) {
        if (action === '*' || action.endsWith(':*')) {
          violations.push(`${where}: wildcard action ${action}`);
        }
      }
      if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
        violations.push(`${where}: NotAction/NotResource`);
      }
      const resources = asList<any>(statement.Resource);
      if (resources.includes('*') && !(actions.length === 1 && actions[0] === 'ecr:GetAuthorizationToken')) {
        violations.push(`${where}: ${actions.join(',')} on Resource *`);
      }
    }
  }
  return violations;
}

/** Assert the least-privilege rules and that at least one IAM policy was checked. */
export function expectLeastPrivilege(template: Template): void {
  expect(iamPolicyDocuments(template).length).toBeGreaterThan(0);
  expect(leastPrivilegeViolations(template)).toEqual([]);
}

/** The statements of every IAM policy in the template. */
export function allStatements(template: Template): any[] {
  return iamPolicyDocuments(template).flatMap(d => asList<any>(d.document.Statement));
}
