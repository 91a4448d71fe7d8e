import { describe, expect, it } from 'vitest';
import { clientFamily, parseProducts } from '../../src/http/v1/user-agent.js';

const KSA = 'keystoneauth1/5.0.0 python-requests/2.28.1 CPython/3.10.12';

describe('clientFamily', () => {
  it.each([
    ['python-glanceclient', 'python-glanceclient', null],
    ['python-glanceclient/4.1.0', 'python-glanceclient', '4.1.0'],
    [`openstacksdk/0.101.0 ${KSA}`, 'openstacksdk', '0.101.0'],
    [`python-openstackclient/6.0.0 openstacksdk/0.101.0 osc-lib/2.6.2 ${KSA}`, 'openstackclient', '6.0.0'],
    [`openstacksdk/0.101.0 osc-lib/2.6.2 ${KSA}`, 'openstackclient', '2.6.2'],
    ['tempest', 'tempest', null],
    ['tempest-lib/1.0', 'tempest', '1.0'],
    ['python-urllib3/1.26.5', 'python-urllib3', '1.26.5'],
    [`nova/27.1.0 ${KSA}`, 'nova', '27.1.0'],
    ['nova-compute/26.0.0 python-glanceclient', 'nova', '26.0.0'],
    [`cinder/21.0.0 ${KSA}`, 'cinder', '21.0.0'],
    ['cinder-volume keystoneauth1/5.0.0', 'cinder', null],
    [KSA, 'keystoneauth', '5.0.0'],
    ['python-requests/2.31.0', 'python-requests', '2.31.0'],
    ['curl/8.5.0', 'curl', '8.5.0'],
    ['Go-http-client/1.1', 'go', '1.1'],
    ['gophercloud/v2.1.0', 'gophercloud', 'v2.1.0'],
    [
      'Terraform/1.5.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 terraform-provider-openstack/dev gophercloud/2.0.0',
      'gophercloud',
      '2.0.0',
    ],
    ['OpenStack4j / OpenStack Client', 'openstack4j', null],
    ['Java/17.0.2', 'java', '17.0.2'],
    ['Apache-HttpClient/4.5.13 (Java/11.0.20)', 'java', '4.5.13'],
    ['okhttp/4.9.3', 'java', '4.9.3'],
    ['Mozilla/5.0 (X11; Linux x86_64)', 'unknown', null],
    ['', 'unknown', null],
    [undefined, 'unknown', null],
  ])('%j → %s %s', (ua, family, version) => {
    expect(clientFamily(ua)).toEqual({ family, version });
  });

  it('a family named only inside a comment does not count', () => {
    expect(clientFamily('Mozilla/5.0 (compatible; curl/8.0)').family).toBe('unknown');
  });
});

describe('parseProducts', () => {
  it('products with and without versions; comments, nested ones too, are skipped', () => {
    expect(parseProducts('a/1 (x (y) z) b c/2.0-rc1 (end)')).toEqual([
      { name: 'a', version: '1' },
      { name: 'b', version: null },
      { name: 'c', version: '2.0-rc1' },
    ]);
  });
});
