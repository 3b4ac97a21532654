// Synthesize every stack of the configuration matrix (test/matrix.ts) into a directory, for tools
// that read CloudFormation templates (scripts/cfn-lint.sh).
//
//   ts-node --project tsconfig.dev.json test/synth-matrix.ts <outdir>
//
// Writes <outdir>/<StackName>.template.json for every stack and prints how many it wrote.
import * as fs from 'fs';
import * as path from 'path';
import { buildMatrix, matrixStacks } from './matrix';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: synth-matrix.ts <outdir>');
  process.exit(1);
}
fs.rmSync(outdir, { recursive: true, force: true });
const app = buildMatrix({ outdir: path.resolve(outdir) });
const assembly = app.synth();
const templates = matrixStacks(app).map(stack => assembly.getStackByName(stack.stackName).templateFullPath);
for (const template of templates) {
  if (!fs.existsSync(template)) {
    throw new Error(`expected template ${template} was not written`);
  }
}
console.log(`synthesized ${templates.length} templates into ${outdir}`);
