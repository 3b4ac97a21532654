import { pythonName } from '../../src/core/private/diagnostics';

/**
 * The names in a message that Python spells differently but the message does not spell for
 * Python: an identifier or dotted path (`repositoryTemplate.scope`, `Secret.fromSecretCompleteArn(...)`)
 * with a camelCase segment must be followed by ` (Python: <snake_case>)`. Quoted values ('x',
 * "x", `x`) are the user's and URLs are not names, so they are skipped.
 */
export function unspelledNames(message: string): string[] {
  const text = message
    .replace(/(?<![A-Za-z])'[^'\n]*'/g, "''")
    .replace(/"[^"\n]*"/g, '""')
    .replace(/`[^`\n]*`/g, '``')
    .replace(/https?:\/\/\S+/g, 'URL')
    // IAM actions and condition keys are PascalCase after a service prefix: ecr:BatchGetImage.
    .replace(/\b[a-z0-9-]+:[A-Za-z/<>]+/g, 'IAM');
  const names = /[A-Za-z_$][\w$]*(?:\[[^\]]*\])?(?:\([^()]*\))?(?:\.[A-Za-z_$][\w$]*(?:\[[^\]]*\])?(?:\([^()]*\))?)*/g;
  const missing: string[] = [];
  let match: RegExpExecArray | null;
  while ((match = names.exec(text)) !== null) {
    const name = match[0].replace(/\(.*$/, '');
    const python = pythonName(name);
    const spelled = ` (Python: ${pythonName(match[0])})`;
    if (text.startsWith(spelled, names.lastIndex)) {
      names.lastIndex += spelled.length;
    } else if (python !== name) {
      missing.push(match[0]);
    }
  }
  return missing;
}
