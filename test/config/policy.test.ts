import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { P, problems as loadProblems } from './problems.js';

/** The policy tests read no real files: every path they name is in `files`. */
const problems = (env: Record<string, string>, file: string | null, files: Record<string, string> = {}): string[] =>
  loadProblems(env, file, files);
import { CONFIGURABLE_POLICY_RULES, LEGACY_POLICY_RULES, makePolicy, parsePolicyOverrides } from '../../src/core/policy.js';
import { ensureBuilt, MAIN } from '../interop/gateway.js';


describe('policy overrides in the configuration', () => {
  it('defaults to no overrides (Glance legacy defaults)', () => {
    expect(loadConfig({}, null).policy).toEqual({});
  });

  it('reads the config file and the policy file; the policy file wins per rule', () => {
    const file = JSON.stringify({ policy: { publicize_image: 'owner', add_image: 'anyone' } });
    const cfg = loadConfig({ [`${P}POLICY_FILE`]: '/etc/gg/policy.json' }, file, 'gw.json', (p) => {
      expect(p).toBe('/etc/gg/policy.json');
      return JSON.stringify({ add_image: 'role:admin', communitize_image: 'rule:admin_or_owner' });
    });
    expect(cfg.policy).toEqual({ publicize_image: 'owner', add_image: 'admin', communitize_image: 'owner' });
  });

  it('accepts the Glance policy.yaml spellings of the three kinds', () => {
    const { overrides, problems: p } = parsePolicyOverrides(
      {
        add_image: '',
        modify_image: 'is_admin:True  or project_id:%(owner)s',
        publicize_image: 'rule:context_is_admin',
        stores_info_detail: '@',
      },
      'x',
    );
    expect(p).toEqual([]);
    expect(overrides).toEqual({ add_image: 'anyone', modify_image: 'owner', publicize_image: 'admin', stores_info_detail: 'anyone' });
  });

  it('refuses unknown rules, rules the gateway does not enforce, and expressions outside the vocabulary', () => {
    const file = JSON.stringify({
      policy: { publicise_image: 'owner', get_image: 'admin', copy_image: 'anyone', add_image: 'role:member', modify_image: 7, constructor: 'admin' },
    });
    const got = problems({}, file);
    expect(got).toHaveLength(6);
    expect(got[0]).toMatch(/^gw\.json: policy: unknown rule 'publicise_image' \(configurable: add_image, /);
    expect(got[1]).toMatch(/rule 'get_image' is not enforced by this gateway and cannot be overridden/);
    expect(got[2]).toMatch(/rule 'copy_image' is not enforced by this gateway/);
    expect(got[3]).toBe(`gw.json: policy: rule 'add_image' has an unsupported expression "role:member" (use admin, owner or anyone)`);
    expect(got[4]).toBe(`gw.json: policy: rule 'modify_image' has an unsupported expression 7 (use admin, owner or anyone)`);
    expect(got[5]).toMatch(/unknown rule 'constructor'/);
  });

  it('refuses a policy that is not an object, and an unreadable or invalid policy file', () => {
    expect(problems({}, JSON.stringify({ policy: ['publicize_image'] }))).toEqual(['gw.json: policy: must be a JSON object of rule name → expression']);
    expect(problems({ [`${P}POLICY_FILE`]: '/nope.json' }, null)[0]).toMatch(/^GLANCE_GATEWAY_POLICY_FILE \/nope\.json: ENOENT/);
    expect(problems({ [`${P}POLICY_FILE`]: '/p.json' }, null, { '/p.json': '{"add_image":' })[0]).toMatch(/^GLANCE_GATEWAY_POLICY_FILE \/p\.json: .*JSON/);
    expect(problems({ [`${P}POLICY_FILE`]: '/p.json' }, null, { '/p.json': '{"tasks_api_access":"anyone"}' })[0]).toMatch(/not enforced/);
  });

  it('every configurable rule is a known rule, and makePolicy applies an override', () => {
    for (const rule of Object.keys(CONFIGURABLE_POLICY_RULES)) expect(Object.hasOwn(LEGACY_POLICY_RULES, rule)).toBe(true);
    const member = { projectId: 'p', userId: 'u', roles: ['member'], isAdmin: false, requestId: 'r', readOnly: false };
    expect(makePolicy().isAllowed('publicize_image', member, { owner: 'p' })).toBe(false);
    const p = makePolicy({ publicize_image: 'owner' });
    expect(p.isAllowed('publicize_image', member, { owner: 'p' })).toBe(true);
    expect(p.isAllowed('publicize_image', member, { owner: 'other' })).toBe(false);
  });
});

describe('the gateway process with a bad policy', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'gg-policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming the problem, before listening', () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ publicize_image: 'sometimes' }));
    const r = spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, [`${P}POLICY_FILE`]: file, [`${P}PORT`]: '0', [`${P}DATA_DIR`]: dir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`rule 'publicize_image' has an unsupported expression "sometimes"`);
  });
});
