// Synthesize every stack of the configuration matrix (test/support/matrix.ts, plus
// test/support/linted-matrix.ts)
// into a directory, for tools that read CloudFormation templates (scripts/cfn-lint.sh).
//
//   ts-node --project tsconfig.dev.json scripts/synth-matrix.ts <outdir>
//
// Writes <outdir>/<StackName>.template.json for every stack and prints how many it wrote.
import * as fs from 'fs';
import * as path from 'path';
import { Stage } from 'aws-cdk-lib';
import { buildLintedMatrix } from '../test/support/linted-matrix';
import { matrixStacks } from '../test/support/matrix';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: synth-matrix.ts <outdir>');
  process.exit(1);
}
fs.rmSync(outdir, { recursive: true, force: true });
const app = buildLintedMatrix({ outdir: path.resolve(outdir) });
app.synth();
// Stacks of stages are written to the stage's nested assembly directory.
const templates = matrixStacks(app).map(stack => path.join(Stage.of(stack)!.outdir, stack.templateFile));
for (const template of templates) {
  if (!fs.existsSync(template)) {
    throw new Error(`expected template ${template} was not written`);
  }
  // One flat directory for cfn-lint: stage stacks get their stage's name in front.
  const flat = path.join(path.resolve(outdir), `${path.relative(path.resolve(outdir), template).split(path.sep).join('-')}`);
  if (flat !== template) {
    fs.copyFileSync(template, flat.replace(/^(.*)assembly-/, '$1'));
  }
}
console.log(`synthesized ${templates.length} templates into ${outdir}`);
