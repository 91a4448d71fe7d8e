/**
 * Which client family sent a request, from its User-Agent, for logs and metrics (spec v1 §8:
 * each v1 client has its own quirks). Table-driven: the first row with a product present wins,
 * so more specific families come first (openstackclient embeds openstacksdk and keystoneauth1;
 * nova/cinder embed keystoneauth1).
 *
 * Known shapes:
 * - python-glanceclient: `python-glanceclient` (its own requests session, or keystoneauth with
 *   that fixed agent — so Nova and Cinder using glanceclient also look like this);
 * - keystoneauth sessions: `[app/ver] [client/ver] [extra/ver…] keystoneauth1/x python-requests/y CPython/z`,
 *   e.g. openstacksdk `openstacksdk/0.101.0 keystoneauth1/5.0.0 …`, OSC
 *   `python-openstackclient/6.0.0 openstacksdk/… osc-lib/… keystoneauth1/…`, services `nova/27.1.0 …`;
 * - tempest: urllib3 without an explicit agent (`python-urllib3/1.26.5`), some runs `tempest`;
 * - curl `curl/8.5.0`; Go `gophercloud/v2.1.0` or `Go-http-client/1.1`;
 *   Java `OpenStack4j / OpenStack Client`, `Java/17`, `Apache-HttpClient/4.5`, `okhttp/4.9`.
 */

export interface ClientFamily {
  family: string;
  /** Version of the product that identified the family, if it carried one. */
  version: string | null;
}

interface FamilyRule {
  family: string;
  /** Product names (case-insensitive), most telling first: the version comes from the first found. */
  products: readonly RegExp[];
}

const RULES: readonly FamilyRule[] = [
  { family: 'openstackclient', products: [/^python-openstackclient$/i, /^osc-lib$/i] },
  { family: 'tempest', products: [/^tempest(-lib)?$/i] },
  { family: 'nova', products: [/^nova(-[a-z]+)?$/i] },
  { family: 'cinder', products: [/^cinder(-[a-z]+)?$/i] },
  { family: 'python-glanceclient', products: [/^python-glanceclient$/i] },
  { family: 'openstacksdk', products: [/^openstacksdk$/i] },
  { family: 'keystoneauth', products: [/^keystoneauth1$/i] },
  { family: 'gophercloud', products: [/^gophercloud$/i] },
  { family: 'openstack4j', products: [/^openstack4j$/i] },
  { family: 'python-requests', products: [/^python-requests$/i] },
  { family: 'python-urllib3', products: [/^python-urllib3$/i] },
  { family: 'curl', products: [/^curl$/i] },
  { family: 'go', products: [/^go-http-client$/i] },
  { family: 'java', products: [/^java$/i, /^apache-httpclient$/i, /^okhttp$/i] },
];

interface Product {
  name: string;
  version: string | null;
}

/** RFC 9110 `product *( RWS ( product / comment ) )`, tolerant of junk. */
export function parseProducts(userAgent: string): Product[] {
  // Comments may nest; drop them innermost first.
  let text = userAgent;
  for (let prev = ''; prev !== text; ) {
    prev = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  const products: Product[] = [];
  for (const m of text.matchAll(/([^\s/()]+)(?:\/([^\s()]+))?/g)) {
    products.push({ name: m[1] as string, version: m[2] ?? null });
  }
  return products;
}

export function clientFamily(userAgent: string | undefined): ClientFamily {
  const products = parseProducts(userAgent ?? '');
  for (const rule of RULES) {
    for (const pattern of rule.products) {
      const found = products.find((p) => pattern.test(p.name));
      if (found !== undefined) return { family: rule.family, version: found.version };
    }
  }
  return { family: 'unknown', version: null };
}
