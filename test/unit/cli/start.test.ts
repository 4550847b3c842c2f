import { runCli } from '../../../local/cli/main.js';
import { type RuntimeOptions, RuntimeStartError } from '../../../local/runtime/run-local.js';
import { captureIo } from './capture-io.js';

const VARIABLES = [
  'TWINSCALE_HOME',
  'TWINSCALE_PORT',
  'TWINSCALE_HOST',
  'TWINSCALE_SPEED',
  'TWINSCALE_ALLOW_REMOTE',
];

/** Runs `twinscale start ARGS` with a fake runtime that records its options and logs a line. */
async function start(args: string[], env: Record<string, string> = {}, fail?: Error) {
  const saved = VARIABLES.map((v) => [v, process.env[v]] as const);
  for (const v of VARIABLES) delete process.env[v];
  Object.assign(process.env, env);
  const io = captureIo();
  const seen: RuntimeOptions[] = [];
  try {
    const code = await runCli(['start', ...args], io, {
      runLocal: async (o, log) => {
        seen.push(o);
        log('dashboard http://127.0.0.1:8787/');
        if (fail) throw fail;
      },
    });
    return { code, io, options: seen[0] };
  } finally {
    for (const [v, value] of saved) {
      if (value === undefined) delete process.env[v];
      else process.env[v] = value;
    }
  }
}

describe('Command: twinscale start', () => {
  it("runs the runtime with RuntimeOptionsSchema's defaults when nothing is set", async () => {
    const r = await start([]);
    expect(r.code).toBe(0);
    expect(r.options).toEqual({ home: '.twinscale', port: 8787, host: '127.0.0.1', speed: 1440 });
    expect(r.io.stdout).toBe('dashboard http://127.0.0.1:8787/\n');
  });

  it('takes each setting from its environment variable', async () => {
    const r = await start([], {
      TWINSCALE_HOME: '/tmp/ts',
      TWINSCALE_PORT: '9000',
      TWINSCALE_HOST: '0.0.0.0',
      TWINSCALE_SPEED: '60',
      TWINSCALE_ALLOW_REMOTE: '1',
    });
    expect(r.options).toEqual({ home: '/tmp/ts', port: 9000, host: '0.0.0.0', speed: 60 });
  });

  it('refuses a host other than loopback with exit code 2, without starting, unless --allow-remote', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::']) {
      const r = await start(['--host', host]);
      expect(r.code).toBe(2);
      expect(r.options).toBeUndefined();
      expect(r.io.stderr).toMatch(/is not a loopback address, and the local API has no authentication/);
    }
    const allowed = await start(['--host', '0.0.0.0', '--allow-remote']);
    expect([allowed.code, allowed.options.host]).toEqual([0, '0.0.0.0']);
    expect(allowed.io.stderr).toMatch(/^warning: serving the API without authentication on 0\.0\.0\.0/);
  });

  it('takes any loopback address without a warning', async () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      const r = await start(['--host', host]);
      expect([r.code, r.io.stderr]).toEqual([0, '']);
    }
  });

  it('lets a flag override its environment variable', async () => {
    const r = await start(['--port', '9001', '--speed', '1'], {
      TWINSCALE_PORT: '9000',
      TWINSCALE_SPEED: '60',
    });
    expect(r.options).toMatchObject({ port: 9001, speed: 1 });
  });

  it('reads an empty variable as unset', async () => {
    const r = await start([], { TWINSCALE_PORT: '' });
    expect(r.options.port).toBe(8787);
  });

  it('refuses a bad variable with exit code 2, naming it, without starting', async () => {
    const r = await start([], { TWINSCALE_PORT: 'http' });
    expect(r.code).toBe(2);
    expect(r.options).toBeUndefined();
    expect(r.io.stderr).toBe(
      'twinscale start: TWINSCALE_PORT=http: Invalid input: expected number, received NaN (the HTTP port; fix or unset the variable)\n',
    );
  });

  it('refuses a bad flag with exit code 2, naming it', async () => {
    const r = await start(['--speed', '0']);
    expect(r.code).toBe(2);
    expect(r.io.stderr).toMatch(
      /^twinscale start: --speed 0: Too small: expected number to be >0 \(the trace seconds/,
    );
  });

  it('ends with exit code 2 and the message when the runtime cannot start (a port in use)', async () => {
    const r = await start(
      [],
      {},
      new RuntimeStartError('port 8787 on 127.0.0.1 is in use: set TWINSCALE_PORT or --port to another'),
    );
    expect(r.code).toBe(2);
    expect(r.io.stderr).toBe(
      'twinscale start: port 8787 on 127.0.0.1 is in use: set TWINSCALE_PORT or --port to another\n',
    );
  });

  it('ends with exit code 1 when the runtime fails while running, without a stack trace', async () => {
    const r = await start([], {}, new Error('the collector lost its table'));
    expect(r.code).toBe(1);
    expect(r.io.stderr).toBe(
      'twinscale start: the collector lost its table\n(set TWINSCALE_DEBUG=1 to see where)\n',
    );
  });
});
