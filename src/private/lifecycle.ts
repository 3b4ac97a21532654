import { Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { LIFECYCLE_POLICY_MAX_LENGTH } from './rules';

/**
 * The lifecycle policy of the cached repositories, rendered by `ecr.Repository` itself.
 *
 * `ecr.Repository` keeps its lifecycle validation and rendering private. Rather than copy them
 * (and drift when aws-cdk-lib adds a selection option or changes the ordering of priorities), the
 * rules are given to a throwaway `ecr.Repository` in a detached stack (not part of the user's app,
 * so it is never synthesized), and its rendered `LifecyclePolicyText` is used as it is. Its
 * messages are reported per rule; a test pins the result to what `ecr.Repository` renders.
 */
export function lifecyclePolicy(rules: ecr.LifecycleRule[]): LifecyclePolicy {
  if (rules.length === 0) {
    return { problems: [] };
  }
  // Checked, then rendered: the same list, rendered once.
  const known = RENDERED.get(rules);
  if (known) {
    return known;
  }
  const policy = renderWithRepository(rules);
  RENDERED.set(rules, policy);
  return policy;
}

interface LifecyclePolicy {
  readonly text?: string;
  readonly problems: string[];
}

const RENDERED = new WeakMap<ecr.LifecycleRule[], LifecyclePolicy>();

function renderWithRepository(rules: ecr.LifecycleRule[]): LifecyclePolicy {
  const problems: string[] = [];
  rules.forEach((rule, i) => {
    // Limits ECR has that ecr.Repository does not check.
    if (rule.maxImageCount !== undefined && !(Number.isInteger(rule.maxImageCount) && rule.maxImageCount >= 1)) {
      problems.push(`lifecycleRules[${i}]: maxImageCount ${rule.maxImageCount} must be a whole number of at least 1`);
    }
    if (rule.rulePriority !== undefined && !(Number.isInteger(rule.rulePriority) && rule.rulePriority >= 1)) {
      problems.push(`lifecycleRules[${i}]: rulePriority ${rule.rulePriority} must be a whole number of at least 1`);
    }
    if (rule.maxImageAge !== undefined && !wholeDays(rule.maxImageAge)) {
      problems.push(`lifecycleRules[${i}]: maxImageAge ${rule.maxImageAge.toString()} must be a whole number of days`);
    }
  });
  const priorities = rules.map(r => r.rulePriority).filter((p): p is number => p !== undefined);
  const duplicates = [...new Set(priorities.filter((p, i) => priorities.indexOf(p) !== i))];
  if (duplicates.length > 0) {
    problems.push(`lifecycleRules: rulePriority ${duplicates.join(', ')} is used more than once`);
  }
  const stack = new Stack();
  const repository = new ecr.Repository(stack, 'Repository');
  rules.forEach((rule, i) => {
    try {
      repository.addLifecycleRule(rule);
    } catch (e) {
      problems.push(`lifecycleRules[${i}]: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) {
    return { problems };
  }
  let text: string;
  try {
    const resource = repository.node.defaultChild as ecr.CfnRepository;
    text = stack.resolve(resource.lifecyclePolicy).lifecyclePolicyText;
  } catch (e) {
    // Priorities that cannot be ordered, an age that is not whole days: found when rendering.
    return { problems: [`lifecycleRules: ${(e as Error).message}`] };
  }
  if (text.length > LIFECYCLE_POLICY_MAX_LENGTH) {
    problems.push(`lifecycleRules: the lifecycle policy renders to ${text.length} characters; ECR allows at most ${LIFECYCLE_POLICY_MAX_LENGTH}`);
  }
  return { text, problems };
}

function wholeDays(age: Duration): boolean {
  try {
    return age.toDays() >= 1;
  } catch {
    return false;
  }
}
