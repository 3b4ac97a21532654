// Draw the widget grid of the reference cache's dashboard (examples/operations-stack.ts) as SVG,
// from the dashboard body CloudFormation receives, so the picture in the docs cannot drift from
// the code (test/dashboard.test.ts regenerates it and compares).
//
//   npx projen docs:dashboard      writes docs/dashboard.svg
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { OperationsStack } from '../examples/operations-stack';

export const SVG_PATH = path.join(__dirname, '..', 'docs', 'dashboard.svg');

/** A widget of a dashboard body, as CloudWatch's dashboard body structure describes it. */
export interface BodyWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, any>;
}

/**
 * The dashboard body of a `cloudwatch.Dashboard` as JSON: CloudFormation's `Fn::Join` of text and
 * references, each reference written as `<name>` (a rule's logical ID, `AWS::Region`).
 */
export function dashboardBody(dashboard: cloudwatch.Dashboard): { widgets: BodyWidget[] } {
  const cfn = dashboard.node.defaultChild as cloudwatch.CfnDashboard;
  const resolved = Stack.of(dashboard).resolve(cfn.dashboardBody);
  const parts: unknown[] = typeof resolved === 'string' ? [resolved] : resolved['Fn::Join'][1];
  const text = parts.map(p => (typeof p === 'string' ? p : `<${(p as any).Ref ?? JSON.stringify(p).replace(/"/g, '')}>`)).join('');
  return JSON.parse(text);
}

/** The reference cache's dashboard body, synthesized in an environment-agnostic stack. */
export function referenceDashboardBody(): { widgets: BodyWidget[] } {
  const stack = new OperationsStack(new App(), 'PullThroughCacheOperations');
  return dashboardBody(stack.dashboard.dashboard);
}

const COLUMN = 40;
const ROW = 26;
const MARGIN = 16;
const HEADER = 40;
const STYLE: Record<string, { fill: string; stroke: string; kind: string }> = {
  text: { fill: '#f3f4f6', stroke: '#9ca3af', kind: 'text' },
  metric: { fill: '#ffffff', stroke: '#2563eb', kind: 'graph' },
  alarm: { fill: '#fff7ed', stroke: '#ea580c', kind: 'alarm status' },
};

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Words into lines of at most `chars` characters. */
function wrap(s: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(w => w.length > 0)) {
    if (line.length > 0 && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  return line.length > 0 ? [...lines, line] : lines;
}

/** The lines a widget shows in the picture: its title, then what it draws. */
function widgetLines(w: BodyWidget): { title: string; lines: string[] } {
  if (w.type === 'text') {
    const [first, ...rest] = String(w.properties.markdown).split('\n');
    const plain = (s: string) => s.replace(/^#+\s*/, '').replace(/[`*]/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    return { title: plain(first), lines: [plain(rest.join(' '))] };
  }
  if (w.type === 'metric') {
    const labels = (w.properties.metrics as any[][]).map(m => m[m.length - 1])
      .filter(o => o && typeof o === 'object' && o.visible !== false)
      .map(o => o.label ?? o.expression);
    return { title: String(w.properties.title), lines: labels.map(l => `— ${l}`) };
  }
  return { title: String(w.properties.title ?? w.type), lines: [`${(w.properties.alarms ?? []).length} alarm(s) given to the dashboard`] };
}

/** The widget grid as SVG: one box per widget, at its place and size, with its title and lines. */
export function dashboardSvg(body: { widgets: BodyWidget[] }): string {
  const width = 24 * COLUMN + 2 * MARGIN;
  const rows = Math.max(...body.widgets.map(w => w.y + w.height));
  const height = HEADER + rows * ROW + 2 * MARGIN;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#e5e7eb"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 14}" font-size="14" font-weight="bold">PullThroughCacheDashboard of the reference cache: ${body.widgets.length} widgets</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 30}" font-size="11" fill="#374151">Drawn by scripts/dashboard-svg.ts from the synthesized dashboard body of examples/operations-stack.ts; grey: text, blue: graph, orange: alarm status</text>`,
  ];
  for (const w of body.widgets) {
    const style = STYLE[w.type] ?? STYLE.text;
    const x = MARGIN + w.x * COLUMN;
    const y = MARGIN + HEADER + w.y * ROW;
    const chars = Math.floor((w.width * COLUMN - 12) / 6);
    const { title, lines } = widgetLines(w);
    out.push(`<g><rect x="${x + 2}" y="${y + 2}" width="${w.width * COLUMN - 4}" height="${w.height * ROW - 4}" rx="4" fill="${style.fill}" stroke="${style.stroke}"/>`);
    const text = [
      ...wrap(title, Math.floor(chars * 0.85)).map(l => ({ l, bold: true })),
      ...lines.flatMap(l => wrap(l, chars)).map(l => ({ l, bold: false })),
    ];
    const fit = Math.floor((w.height * ROW - 16) / 13);
    text.slice(0, fit).forEach(({ l, bold }, i) => {
      out.push(`<text x="${x + 8}" y="${y + 18 + i * 13}" font-size="${bold ? 12 : 10}"${bold ? ' font-weight="bold"' : ''}>${escape(l)}</text>`);
    });
    out.push(`<text x="${x + w.width * COLUMN - 8}" y="${y + w.height * ROW - 8}" font-size="9" fill="${style.stroke}" text-anchor="end">${style.kind} ${w.width}×${w.height}</text></g>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(SVG_PATH), { recursive: true });
  fs.writeFileSync(SVG_PATH, dashboardSvg(referenceDashboardBody()));
  console.log(`wrote ${path.relative(process.cwd(), SVG_PATH)}`);
}
