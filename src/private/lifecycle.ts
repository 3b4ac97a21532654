import { Duration, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { LIFECYCLE_POLICY_MAX_LENGTH } from './rules';
import { describeValue, isDuration, isRecord } from './values';

/**
 * Validation and rendering of `ecr.LifecycleRule`s, with the same rules and the same JSON as
 * `ecr.Repository` (which keeps its renderer private).
 */

/** A rule with its tag status filled in, as `ecr.Repository.addLifecycleRule` stores it. */
type NormalizedRule = ecr.LifecycleRule & { readonly tagStatus: ecr.TagStatus };

/**
 * Check the rules as `ecr.Repository` would; return one message per problem.
 */
export function lifecycleProblems(rules: ecr.LifecycleRule[]): string[] {
  // Values from untyped callers first: the rules below assume the types.
  const typeProblems = rules.flatMap((rule, i) => ruleTypeProblems(rule, `lifecycleRules[${i}]`));
  if (typeProblems.length > 0) {
    return typeProblems;
  }
  const problems: string[] = [];
  const normalized = rules.map(normalize);
  normalized.forEach((rule, i) => {
    const where = `lifecycleRules[${i}]`;
    const hasPrefixes = rule.tagPrefixList !== undefined && rule.tagPrefixList.length > 0;
    const hasPatterns = rule.tagPatternList !== undefined && rule.tagPatternList.length > 0;
    if (rule.tagStatus === ecr.TagStatus.TAGGED && !hasPrefixes && !hasPatterns) {
      problems.push(`${where}: tagStatus TAGGED needs a tagPrefixList or a tagPatternList`);
    }
    if (rule.tagStatus !== ecr.TagStatus.TAGGED && (rule.tagPrefixList !== undefined || rule.tagPatternList !== undefined)) {
      problems.push(`${where}: tagPrefixList and tagPatternList are only for tagStatus TAGGED, got tagStatus '${rule.tagStatus}'`);
    }
    if (rule.tagPrefixList !== undefined && rule.tagPatternList !== undefined) {
      problems.push(`${where}: give tagPrefixList or tagPatternList, not both`);
    }
    for (const pattern of rule.tagPatternList ?? []) {
      const wildcards = pattern.split('*').length - 1;
      if (wildcards > 4) {
        problems.push(`${where}: tag pattern '${pattern}' has ${wildcards} wildcards (*), at most 4 are allowed`);
      }
    }
    if ((rule.maxImageAge === undefined) === (rule.maxImageCount === undefined)) {
      problems.push(`${where}: give exactly one of maxImageAge and maxImageCount`);
    }
    if (rule.maxImageCount !== undefined && !(Number.isInteger(rule.maxImageCount) && rule.maxImageCount >= 1)) {
      problems.push(`${where}: maxImageCount ${rule.maxImageCount} must be a whole number of at least 1`);
    }
    if (rule.maxImageAge !== undefined && !wholeDays(rule.maxImageAge)) {
      problems.push(`${where}: maxImageAge ${rule.maxImageAge.toString()} must be a whole number of days`);
    }
    if (rule.rulePriority !== undefined && !(Number.isInteger(rule.rulePriority) && rule.rulePriority >= 1)) {
      problems.push(`${where}: rulePriority ${rule.rulePriority} must be a whole number of at least 1`);
    }
  });

  const anyRules = normalized.filter(r => r.tagStatus === ecr.TagStatus.ANY);
  if (anyRules.length > 1) {
    problems.push(`lifecycleRules: ${anyRules.length} rules have tagStatus ANY, at most one may`);
  }
  const priorities = normalized.map(r => r.rulePriority).filter((p): p is number => p !== undefined);
  const duplicates = priorities.filter((p, i) => priorities.indexOf(p) !== i);
  if (duplicates.length > 0) {
    problems.push(`lifecycleRules: rulePriority ${[...new Set(duplicates)].join(', ')} is used more than once`);
  }
  if (problems.length === 0 && normalized.length > 0) {
    try {
      order(normalized);
    } catch (e) {
      problems.push(`lifecycleRules: ${(e as Error).message}`);
    }
  }
  if (problems.length === 0) {
    const text = renderLifecyclePolicy(rules);
    if (text !== undefined && !Token.isUnresolved(text) && text.length > LIFECYCLE_POLICY_MAX_LENGTH) {
      problems.push(`lifecycleRules: the lifecycle policy renders to ${text.length} characters; ECR allows at most ${LIFECYCLE_POLICY_MAX_LENGTH}`);
    }
  }
  return problems;
}

/** What a rule of an untyped caller has of the wrong type. */
function ruleTypeProblems(rule: unknown, where: string): string[] {
  if (!isRecord(rule)) {
    return [`${where}: ${describeValue(rule)} is not an ecr.LifecycleRule object`];
  }
  const problems: string[] = [];
  if (rule.tagStatus !== undefined && !Object.values(ecr.TagStatus).includes(rule.tagStatus as ecr.TagStatus)) {
    problems.push(`${where}: tagStatus ${describeValue(rule.tagStatus)} is not an ecr.TagStatus`);
  }
  for (const field of ['tagPrefixList', 'tagPatternList']) {
    const list = rule[field];
    if (list !== undefined && !(Array.isArray(list) && list.every(item => typeof item === 'string'))) {
      problems.push(`${where}: ${field} ${describeValue(list)} is not a list of strings`);
    }
  }
  if (rule.maxImageAge !== undefined && !isDuration(rule.maxImageAge)) {
    problems.push(`${where}: maxImageAge ${describeValue(rule.maxImageAge)} is not a Duration (use Duration.days(n))`);
  }
  for (const field of ['maxImageCount', 'rulePriority']) {
    if (rule[field] !== undefined && typeof rule[field] !== 'number') {
      problems.push(`${where}: ${field} ${describeValue(rule[field])} is not a number`);
    }
  }
  if (rule.description !== undefined && typeof rule.description !== 'string') {
    problems.push(`${where}: description ${describeValue(rule.description)} is not a string`);
  }
  return problems;
}

/**
 * Render validated rules to the lifecycle policy text ECR takes.
 */
export function renderLifecyclePolicy(rules: ecr.LifecycleRule[]): string | undefined {
  if (rules.length === 0) {
    return undefined;
  }
  return JSON.stringify({ rules: order(rules.map(normalize)).map(renderRule) });
}

function wholeDays(age: Duration): boolean {
  try {
    return age.toDays() >= 1;
  } catch {
    return false;
  }
}

function normalize(rule: ecr.LifecycleRule): NormalizedRule {
  if (rule.tagStatus !== undefined) {
    return rule as NormalizedRule;
  }
  const tagged = rule.tagPrefixList !== undefined || rule.tagPatternList !== undefined;
  return { ...rule, tagStatus: tagged ? ecr.TagStatus.TAGGED : ecr.TagStatus.ANY };
}

/**
 * Prioritized rules first, then the others in the order given, the ANY rule last; the ANY rule
 * must end up with the highest priority.
 */
function order(rules: NormalizedRule[]): Array<NormalizedRule & { rulePriority: number }> {
  const prioritized = rules.filter(r => r.rulePriority !== undefined && r.tagStatus !== ecr.TagStatus.ANY);
  const automatic = rules.filter(r => r.rulePriority === undefined && r.tagStatus !== ecr.TagStatus.ANY);
  const anyRules = rules.filter(r => r.tagStatus === ecr.TagStatus.ANY);
  if (anyRules.length > 0 && anyRules[0].rulePriority !== undefined && automatic.length > 0) {
    throw new Error('a TagStatus.ANY rule with a rulePriority cannot be combined with rules without one; remove rulePriority from the ANY rule');
  }
  let next = Math.max(0, ...prioritized.map(r => r.rulePriority!)) + 1;
  const ordered = [...prioritized, ...automatic, ...anyRules]
    .map(r => ({ ...r, rulePriority: r.rulePriority ?? next++ }));
  const anyRule = ordered.find(r => r.tagStatus === ecr.TagStatus.ANY);
  const highest = Math.max(...ordered.map(r => r.rulePriority));
  if (anyRule && anyRule.rulePriority !== highest) {
    throw new Error(`the TagStatus.ANY rule must have the highest rulePriority, it has ${anyRule.rulePriority} and another rule has ${highest}`);
  }
  return ordered;
}

function renderRule(rule: NormalizedRule & { rulePriority: number }) {
  const byAge = rule.maxImageAge !== undefined;
  return {
    rulePriority: rule.rulePriority,
    description: rule.description,
    selection: {
      tagStatus: rule.tagStatus,
      tagPrefixList: rule.tagPrefixList,
      tagPatternList: rule.tagPatternList,
      countType: byAge ? 'sinceImagePushed' : 'imageCountMoreThan',
      countNumber: byAge ? rule.maxImageAge!.toDays() : rule.maxImageCount,
      countUnit: byAge ? 'days' : undefined,
    },
    action: { type: 'expire' },
  };
}
