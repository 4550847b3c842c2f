import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolAvailable } from '../support/tools.js';

const out = mkdtempSync(join(tmpdir(), 'synth-'));

describe('npx cdk synth, offline, with the local esbuild', () => {
  let synth: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      encoding: 'utf8',
      timeout: 180_000,
    });
  });

  test('writes the Twinscale template and one bundled ESM asset per function', () => {
    expect(synth.stderr).not.toMatch(/docker/i);
    expect(synth.status).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'Twinscale.template.json'), 'utf8'));
    const functions = Object.values(template.Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(9);
    const bundles = readdirSync(out).filter((d) => existsSync(join(out, d, 'index.mjs')));
    expect(bundles).toHaveLength(9);
  });

  (toolAvailable('cfn-lint', 'pip install cfn-lint') ? test : test.skip)(
    'cfn-lint finds nothing in the template (configuration and its one ignored check: .cfnlintrc.yaml)',
    () => {
      const lint = spawnSync('cfn-lint', [join(out, 'Twinscale.template.json')], { encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.status).toBe(0);
    },
  );
});
