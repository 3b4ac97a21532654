import { Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { api, fieldProblem } from '../../core/private/diagnostics';
import { LIFECYCLE_POLICY_MAX_LENGTH } from '../../core/private/rules';

/**
 * The lifecycle policy of the cached repositories, rendered by `ecr.Repository` itself: a
 * throwaway repository in a detached stack (never synthesized) renders the rules, so the
 * validation and ordering cannot drift from aws-cdk-lib's.
 */
export function lifecyclePolicy(rules: ecr.LifecycleRule[], at: string): LifecyclePolicy {
  if (rules.length === 0) {
    return { problems: [] };
  }
  // Checked, then rendered: the same list, rendered once.
  const known = RENDERED.get(rules);
  if (known) {
    return known;
  }
  const policy = renderWithRepository(rules, at);
  RENDERED.set(rules, policy);
  return policy;
}

interface LifecyclePolicy {
  readonly text?: string;
  readonly problems: string[];
}

const RENDERED = new WeakMap<ecr.LifecycleRule[], LifecyclePolicy>();

/**
 * The fields of `ecr.LifecycleRule` that the messages of `ecr.Repository` name (in TypeScript
 * spelling only), bare or in single quotes; not the keys of the JSON it quotes.
 */
const LIFECYCLE_RULE_FIELDS = /(?<!")'?\b(tagPrefixList|tagPatternList|maxImageAge|maxImageCount|rulePriority|tagStatus)\b'?(?!")/g;

/** A message of `ecr.Repository`, its field names spelled for every language. */
function relayed(message: string): string {
  return message.replace(LIFECYCLE_RULE_FIELDS, (_, name: string) => api(name));
}

function renderWithRepository(rules: ecr.LifecycleRule[], at: string): LifecyclePolicy {
  const problems: string[] = [];
  const rule = (i: number) => `${at}[${i}]`;
  rules.forEach((r, i) => {
    // Limits ECR has that ecr.Repository does not check.
    if (r.maxImageCount !== undefined && !(Number.isInteger(r.maxImageCount) && r.maxImageCount >= 1)) {
      problems.push(fieldProblem(rule(i), `${api('maxImageCount')} ${r.maxImageCount} must be a whole number of at least 1`));
    }
    if (r.rulePriority !== undefined && !(Number.isInteger(r.rulePriority) && r.rulePriority >= 1)) {
      problems.push(fieldProblem(rule(i), `${api('rulePriority')} ${r.rulePriority} must be a whole number of at least 1`));
    }
    if (r.maxImageAge !== undefined && !wholeDays(r.maxImageAge)) {
      problems.push(fieldProblem(rule(i), `${api('maxImageAge')} ${r.maxImageAge.toString()} must be a whole number of days: use Duration.days()`));
    }
  });
  const priorities = rules.map(r => r.rulePriority).filter((p): p is number => p !== undefined);
  const duplicates = [...new Set(priorities.filter((p, i) => priorities.indexOf(p) !== i))];
  if (duplicates.length > 0) {
    problems.push(fieldProblem(at, `${api('rulePriority')} ${duplicates.join(', ')} is used more than once: give each rule its own priority`));
  }
  const stack = new Stack();
  const repository = new ecr.Repository(stack, 'Repository');
  rules.forEach((r, i) => {
    try {
      repository.addLifecycleRule(r);
    } catch (e) {
      problems.push(fieldProblem(rule(i), relayed((e as Error).message)));
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
    return { problems: [fieldProblem(at, relayed((e as Error).message))] };
  }
  if (text.length > LIFECYCLE_POLICY_MAX_LENGTH) {
    problems.push(fieldProblem(at, `the lifecycle policy renders to ${text.length} characters; ECR allows at most ${LIFECYCLE_POLICY_MAX_LENGTH}: fewer or shorter rules`));
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
