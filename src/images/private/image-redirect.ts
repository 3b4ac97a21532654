import { IAspect, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { GrantingCache } from './container-image';
import { decideImage, DIGEST_FIRST_PULL } from './image-uri';
import { api, warn } from '../../core/private/diagnostics';


const PINNED_BY_DIGEST = `the image is pinned by digest, and ${DIGEST_FIRST_PULL}; `
  + `pin it by tag, or pre-warm the cache by pulling the tag through it once and use ${api('cache.containerImage()')}`;

const REPOSITORY_CREDENTIALS = `the container has ${api('repositoryCredentials')} for its registry, which an ECR image does not use; `
  + `remove them, or use ${api('cache.containerImage()')}`;

/**
 * The containers each task definition already had redirected, by any `ImageRedirect`: with two
 * caches (or the same aspect added twice), the first one to redirect a container wins.
 */
const REDIRECTED = new WeakMap<ecs.CfnTaskDefinition, Set<number>>();

/**
 * The aspect behind `cache.redirectImages(scope)`: see that method for what it rewrites, grants
 * and leaves alone. Not exported: the method is the one way to add it, with the priority it needs.
 */
export class ImageRedirect implements IAspect {
  private readonly visited = new WeakSet<IConstruct>();

  constructor(private readonly cache: GrantingCache) {}

  /**
   * Redirect the images of a task definition; other constructs are ignored.
   */
  public visit(node: IConstruct): void {
    // Synthesizing again (app.synth({ force: true })) visits every node again: do the work once.
    if (this.visited.has(node)) {
      return;
    }
    this.visited.add(node);
    if (node instanceof ecs.TaskDefinition) {
      this.redirectTaskDefinition(node);
    } else if (node instanceof ecs.CfnTaskDefinition && !isL2Resource(node)) {
      this.redirectCfnTaskDefinition(node);
    }
  }

  private redirectTaskDefinition(taskDefinition: ecs.TaskDefinition): void {
    const resource = taskDefinition.node.defaultChild;
    if (!(resource instanceof ecs.CfnTaskDefinition)) {
      return;
    }
    const prefixes: string[] = [];
    containersOf(taskDefinition).forEach((container, index) => {
      const blocker = hasRepositoryCredentials(container) ? REPOSITORY_CREDENTIALS : undefined;
      const prefix = this.redirectContainer(resource, index, container, container.imageName, blocker);
      if (prefix !== undefined) {
        prefixes.push(prefix);
      }
    });
    if (prefixes.length > 0) {
      this.grant(taskDefinition, taskDefinition.obtainExecutionRole(), prefixes);
    }
  }

  private redirectCfnTaskDefinition(resource: ecs.CfnTaskDefinition): void {
    const definitions = resource.containerDefinitions;
    if (!Array.isArray(definitions)) {
      return; // absent, or a token: nothing to read at synth time
    }
    const roleArn = resource.executionRoleArn;
    const prefixes: string[] = [];
    definitions.forEach((definition, index) => {
      if (Token.isUnresolved(definition) || typeof definition !== 'object' || definition === null) {
        return;
      }
      const container = definition as ecs.CfnTaskDefinition.ContainerDefinitionProperty;
      const blocker = roleArn === undefined
        // Without an execution role ECS cannot authenticate to ECR: the rewritten image would not pull.
        ? 'the task definition has no executionRoleArn, and ECS needs an execution role to pull from ECR'
        : container.repositoryCredentials !== undefined ? REPOSITORY_CREDENTIALS : undefined;
      const prefix = this.redirectContainer(resource, index, resource, container.image, blocker);
      if (prefix !== undefined) {
        prefixes.push(prefix);
      }
    });
    if (prefixes.length > 0 && roleArn !== undefined) {
      const role = findRole(resource, roleArn);
      if (role) {
        this.grant(resource, role, prefixes);
      } else {
        this.warnNotGranted(resource, `the execution role '${roleArn}' is not a role of this app`, prefixes);
      }
    }
  }

  /**
   * Rewrite one container's image when the cache serves it.
   *
   * @returns the prefix of the upstream the image now goes through, or undefined
   */
  private redirectContainer(
    resource: ecs.CfnTaskDefinition, index: number, warnOn: IConstruct, image: unknown, blocker: string | undefined,
  ): string | undefined {
    if (typeof image !== 'string') {
      return undefined; // an L1 container whose image is an IResolvable, or missing: nothing to read
    }
    const decision = decideImage(this.cache, image);
    if (decision.kind === 'uncached') {
      warn(warnOn, 'imageNotCached',
        `image '${String(image)}' is not pulled through the cache at '${this.cache.node.path}': ${decision.reason}`,
      );
      return undefined;
    }
    if (decision.kind !== 'cached') {
      return undefined;
    }
    const claimed = REDIRECTED.get(resource) ?? new Set<number>();
    if (claimed.has(index)) {
      return undefined; // another cache's ImageRedirect got there first
    }
    // A task definition that pulls a digest from its registry today must keep working.
    const why = blocker ?? (decision.image.reference.digest !== undefined ? PINNED_BY_DIGEST : undefined);
    if (why !== undefined) {
      const where = warnOn === resource ? `ContainerDefinitions[${index}] ` : '';
      warn(warnOn, 'imageNotRedirected',
        `${where}image '${String(image)}' was not redirected to the pull-through cache at '${this.cache.node.path}': ${why}`,
      );
      return undefined;
    }
    claimed.add(index);
    REDIRECTED.set(resource, claimed);
    resource.addPropertyOverride(`ContainerDefinitions.${index}.Image`, decision.image.uri);
    return decision.image.upstream.prefix;
  }

  private grant(where: IConstruct, role: iam.IRole, prefixes: string[]): void {
    const notGranted = [...new Set(prefixes)].filter(prefix => !this.cache.grantPullFromUpstream(role, prefix).success);
    if (notGranted.length > 0) {
      this.warnNotGranted(where, `the execution role '${role.node.path}' cannot be changed by this app`, notGranted);
    }
  }

  private warnNotGranted(where: IConstruct, why: string, prefixes: string[]): void {
    warn(where, 'executionRoleNotGranted',
      `images were redirected to the pull-through cache but ${why}: grant it the pull yourself `
      + `(${api('cache.grantPull(role)')}, or ${api('grantPullFromUpstream')} for ${[...new Set(prefixes)].map(p => `'${p}'`).join(', ')})`,
    );
  }
}

/** Whether a CfnTaskDefinition is the resource of an L2 task definition (handled there). */
function isL2Resource(resource: ecs.CfnTaskDefinition): boolean {
  const parent = resource.node.scope;
  return parent instanceof ecs.TaskDefinition && parent.node.defaultChild === resource;
}

/**
 * The containers of a task definition in the order of its `ContainerDefinitions`: the task
 * definition's (protected) `containers` list, which renders them; or, if that ever changes, its
 * container definition children in the order they were added.
 */
function containersOf(taskDefinition: ecs.TaskDefinition): ecs.ContainerDefinition[] {
  const containers = (taskDefinition as unknown as { containers?: unknown }).containers;
  if (Array.isArray(containers) && containers.every(c => c instanceof ecs.ContainerDefinition)) {
    return containers;
  }
  return taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition =>
    c instanceof ecs.ContainerDefinition && c.taskDefinition === taskDefinition);
}

/** Whether an L2 container has private registry credentials (kept in its image configuration). */
function hasRepositoryCredentials(container: ecs.ContainerDefinition): boolean {
  const config = (container as unknown as { imageConfig?: ecs.ContainerImageConfig }).imageConfig;
  return config?.repositoryCredentials !== undefined;
}

/** The role of this app whose ARN an L1 task definition's executionRoleArn is, if any. */
function findRole(resource: ecs.CfnTaskDefinition, roleArn: string): iam.IRole | undefined {
  if (!Token.isUnresolved(roleArn)) {
    return undefined;
  }
  return resource.node.root.node.findAll().find((c): c is iam.Role => c instanceof iam.Role && c.roleArn === roleArn);
}
