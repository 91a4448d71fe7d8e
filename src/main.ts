#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { destination as logDestination, pino } from 'pino';
import { ConfigError, loadConfig } from './config/load.js';
import { startGateway } from './gateway.js';

/** The entry point: the only place that reads argv and the environment. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--config');
  const configPath = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && configPath === undefined) fail('--config needs a file path');
  let fileText: string | null = null;
  if (configPath !== undefined) {
    try {
      fileText = readFileSync(configPath, 'utf8');
    } catch (e) {
      fail(`cannot read config file ${configPath}: ${(e as Error).message}`);
    }
  }
  let config;
  try {
    config = loadConfig(process.env, fileText, configPath, (file) => readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (args[0] === 'container') {
    // A data-dir command, not a server: it needs the config, never the listener.
    const { runContainerCli } = await import('./cli/container.js');
    process.exitCode = await runContainerCli(args.slice(1), config, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    return;
  }
  // Asynchronous writes: a synchronous write per request line cost ~25 µs of the event loop.
  const destination = logDestination({ sync: false });
  const logger = pino({ level: config.logLevel, base: { service: 'glance-gateway' } }, destination);
  const gateway = await startGateway(config, logger);
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => {
        destination.flushSync();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        destination.flushSync();
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    if (gateway.authenticator.reload === undefined) return;
    try {
      logger.info({ result: gateway.authenticator.reload() }, 'authentication data reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'reload failed; keeping the previous authentication data');
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function fail(message: string): never {
  process.stderr.write(`glance-gateway: ${message}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`glance-gateway: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
