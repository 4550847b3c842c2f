import { buildProgram, runCli } from '../../../local/cli/main.js';
import { captureIo } from './capture-io.js';

describe('Program: twinscale', () => {
  it('lists every command and the exit codes in --help, exit code 0', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const command of ['start', 'forecast', 'replay', 'simulate', 'bench'])
      expect(io.stdout).toContain(`  ${command} `);
    expect(io.stdout).toContain('Exit codes:\n  0  done\n  1  failed while running');
    expect(io.stdout).toContain('2  bad usage or bad input');
  });

  it.each(['start', 'forecast', 'replay', 'simulate', 'bench'])('explains every option of %s', (name) => {
    const command = buildProgram(captureIo(), () => {}).commands.find((c) => c.name() === name);
    expect(command?.options.length).toBeGreaterThan(0);
    for (const option of command?.options ?? []) expect(option.description).toMatch(/\w+ \w+/); // words, not just a name
  });

  it('prints the exit codes in each command --help', async () => {
    const io = captureIo();
    expect(await runCli(['simulate', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('--surge 1.5@2014-04-20T12:00Z/2h');
    expect(io.stdout).toContain('Exit codes:');
  });

  it('refuses an unknown command with exit code 2 and one line', async () => {
    const io = captureIo();
    expect(await runCli(['forcast'], io)).toBe(2);
    expect(io.stderr).toBe(
      "twinscale: unknown command 'forcast' (Did you mean forecast?) (see twinscale --help)\n",
    );
  });

  it('refuses an unknown flag with exit code 2 and one line naming it', async () => {
    const io = captureIo();
    expect(await runCli(['replay', '--trace', 'x.csv', '--jsn'], io)).toBe(2);
    expect(io.stderr).toBe(
      "twinscale replay: unknown option '--jsn' (Did you mean --json?) (see twinscale replay --help)\n",
    );
  });

  it('refuses a missing required flag with exit code 2', async () => {
    const io = captureIo();
    expect(await runCli(['forecast'], io)).toBe(2);
    expect(io.stderr).toContain("required option '--trace <file>' not specified");
  });

  it('shows the usage on stderr with exit code 2 when no command is given', async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.stderr).toContain('Usage: twinscale [options] [command]');
    expect(io.stdout).toBe('');
  });
});
