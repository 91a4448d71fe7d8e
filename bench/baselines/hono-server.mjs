/**
 * The bare-Hono baseline for metadata: the same framework and adapter as the gateway
 * (hono + @hono/node-server), no middleware, answering each route with a fixed JSON body captured
 * from the gateway, so both send the same number of body bytes.
 *
 *   GET /v2/images/:id   the captured show body
 *   GET /v2/images       the captured list body (query ignored)
 *   GET /ready           200 once listening
 *
 * Env: BENCH_PORT, BENCH_BODIES (a JSON file: { "show": "<body>", "list": "<body>" }).
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const bodies = JSON.parse(readFileSync(process.env.BENCH_BODIES, 'utf8'));
const json = { 'content-type': 'application/json' };

const app = new Hono();
app.get('/ready', (c) => c.text('ok'));
app.get('/v2/images/:id', (c) => c.body(bodies.show, 200, json));
app.get('/v2/images', (c) => c.body(bodies.list, 200, json));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.BENCH_PORT) });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
