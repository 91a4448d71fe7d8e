/**
 * Hono answers HEAD by running the GET route and copying its Response into a new one, which
 * costs a WHATWG Headers object per request; v1's HEAD is a monitoring hot path. So HEAD is
 * routed as GET here, and routes that care read the real method from the Node request
 * (c.env.incoming.method). Node itself never sends a body in answer to HEAD.
 *
 * The request object of @hono/node-server reads `method` through a prototype getter, so an own
 * property shadows it for this one request; a Proxy would tax every later property access.
 */
export function headAsGet<F extends (req: Request, ...rest: never[]) => unknown>(fetch: F): F {
  return ((req: Request, ...rest: never[]) => {
    if (req.method === 'HEAD') {
      Object.defineProperty(req, 'method', { value: 'GET', configurable: true, enumerable: true });
    }
    return fetch(req, ...rest);
  }) as F;
}
