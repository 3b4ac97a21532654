import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { othersInSameRegistry, sharedRegistry } from './registry';
import { PlannedUpstream, nestedPrefixMessage } from './upstreams';
import { api, Warning } from '../../core/private/diagnostics';
import { MAX_RULES_PER_REGISTRY, ROOT_PREFIX, prefixPath } from '../../core/private/rules';
import { TemplateScope } from '../repository-template';

/** Another cache this app creates in the same registry, as far as its prefixes go. */
interface NeighbourCache {
  /** Its construct path. */
  readonly path: string;
  /** Where the registry the two share is, for messages: `in the same stack`, or its account and region. */
  readonly where: string;
  /** The prefixes of its rules. */
  readonly rulePrefixes: string[];
  /** Whether it has the registry's ROOT repository creation template. */
  readonly hasRootTemplate: boolean;
}

/** What claims reads of another cache: the public `prefixes` and `templates` of a `PullThroughCache`. */
interface ClaimingCache extends IConstruct {
  readonly prefixes: string[];
  readonly templates: { readonly prefix: string }[];
}

/**
 * Check what a cache claims against the other caches this app creates in the same registry
 * (recorded once complete: one whose constructor threw claims nothing).
 */
export function planClaims(
  cache: IConstruct, upstreams: PlannedUpstream[], scope: TemplateScope,
): { readonly problems: string[]; readonly warnings: Warning[] } {
  const neighbours = othersInSameRegistry(cache, 'PullThroughCache').map(c => c as ClaimingCache).map(other => ({
    path: other.node.path,
    where: sharedRegistry(cache, other),
    rulePrefixes: other.prefixes,
    hasRootTemplate: other.templates.some(t => t.prefix === ROOT_PREFIX),
  }));
  return { problems: claimProblems(upstreams, scope, neighbours), warnings: claimWarnings(upstreams, neighbours) };
}

/**
 * What other caches of the same registry already claim. ECR holds one pull-through cache rule per
 * prefix, one repository creation template per prefix (so one ROOT template) and at most 50 rules
 * per registry: a second claim fails only at deployment (of the second stack, or of the one stack),
 * so say it at synth. `x` and `x/` count as one prefix: both rules would claim the repositories
 * `x/*` (the check within one cache does the same). Tokens are not compared.
 */
function claimProblems(upstreams: PlannedUpstream[], scope: TemplateScope, neighbours: NeighbourCache[]): string[] {
  const problems: string[] = [];
  const share = `import that cache where you pull through it (${api('PullThroughCache.fromPullThroughCacheAttributes')})`;
  for (const neighbour of neighbours) {
    const other = `the PullThroughCache at '${neighbour.path}' (${neighbour.where})`;
    const rules = new Map(neighbour.rulePrefixes.filter(p => !Token.isUnresolved(p)).map(p => [prefixPath(p), p]));
    let rootRuleTaken = false;
    for (const upstream of upstreams.filter(u => !Token.isUnresolved(u.prefix))) {
      const taken = rules.get(prefixPath(upstream.prefix));
      if (taken !== undefined) {
        rootRuleTaken ||= upstream.prefix === ROOT_PREFIX;
        problems.push(
          `upstream '${upstream.prefix}': prefix '${upstream.prefix}' is already the prefix of a rule of ${other}`
          + (taken !== upstream.prefix ? `, there written '${taken}'` : '')
          + `; a registry has one pull-through cache rule per prefix: give this upstream another prefix, or ${share}`,
        );
      }
    }
    // Templates of other prefixes collide only where their rules do; the ROOT template is the one
    // a cache can have without a ROOT rule (TemplateScope.ANY_PREFIX).
    if (!neighbour.hasRootTemplate || rootRuleTaken) {
      continue;
    }
    const ownRootRule = upstreams.some(u => u.prefix === ROOT_PREFIX);
    if (scope !== TemplateScope.ANY_PREFIX && !ownRootRule) {
      continue;
    }
    const theirsFromRule = neighbour.rulePrefixes.includes(ROOT_PREFIX);
    const remedies = [
      // A ROOT upstream makes the ROOT template whatever the scope.
      ...(scope === TemplateScope.ANY_PREFIX && !ownRootRule ? ['use TemplateScope.PER_UPSTREAM here'] : []),
      ...(theirsFromRule ? [] : [`give the PullThroughCache at '${neighbour.path}' TemplateScope.PER_UPSTREAM`]),
      share,
    ];
    problems.push(
      (scope === TemplateScope.ANY_PREFIX ? `${api('repositoryTemplate.scope')}: TemplateScope.ANY_PREFIX makes` : "upstream 'ROOT': its repository creation template is")
      + ` the registry's ROOT repository creation template, which ${other} already has `
      + `(${theirsFromRule ? 'the template of its ROOT upstream' : 'its scope is TemplateScope.ANY_PREFIX'}); `
      + `a registry has one ROOT template: ${remedies.join(', or ')}`,
    );
  }
  const rules = upstreams.length + neighbours.reduce((sum, n) => sum + n.rulePrefixes.length, 0);
  if (neighbours.length > 0 && rules > MAX_RULES_PER_REGISTRY) {
    problems.push(
      `upstreams: with the rules of ${neighbours.map(n => `the PullThroughCache at '${n.path}' (${n.where})`).join(', ')}, the registry would hold ${rules} `
      + `pull-through cache rules; ECR allows at most ${MAX_RULES_PER_REGISTRY} per registry: `
      + 'move some upstreams to a cache in another region or account',
    );
  }
  return problems;
}

/** A prefix of this cache inside a prefix of another cache of the same registry, or around one. */
function claimWarnings(upstreams: PlannedUpstream[], neighbours: NeighbourCache[]): Warning[] {
  const literal = (prefixes: string[]) => prefixes.filter(p => !Token.isUnresolved(p)).map(prefixPath);
  const mine = literal(upstreams.map(u => u.prefix));
  const warnings: Warning[] = [];
  for (const neighbour of neighbours) {
    for (const theirs of literal(neighbour.rulePrefixes)) {
      for (const prefix of mine) {
        const [inner, outer] = theirs.startsWith(`${prefix}/`) ? [theirs, prefix] : prefix.startsWith(`${theirs}/`) ? [prefix, theirs] : [];
        if (inner !== undefined && outer !== undefined) {
          warnings.push({
            id: 'nestedPrefix',
            message: `${nestedPrefixMessage(inner, outer)}; '${theirs}' is a rule of the PullThroughCache at '${neighbour.path}' (${neighbour.where})`,
          });
        }
      }
    }
  }
  return warnings;
}
