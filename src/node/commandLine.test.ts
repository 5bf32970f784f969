import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandLineError, parseChoiceFlag, parseCommandLine, parseIntegerFlag, parseNumberFlag, runCommand } from './commandLine';

const specs = {
  port: { type: 'string', default: '8787' },
  host: { type: 'string' },
  set: { type: 'string', multiple: true, short: 's' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseCommandLine', () => {
  it('fills defaults: string defaults, empty lists, false booleans, help', () => {
    expect(parseCommandLine([], specs)).toEqual({ port: '8787', host: undefined, set: [], quiet: false, help: false });
  });

  it('collects repeated flags in order, long, short and inline', () => {
    const flags = parseCommandLine(['--set', 'a=b', '-s', 'c=d', '--set=e=f', '-q', '--port', '1'], specs);
    expect(flags.set).toEqual(['a=b', 'c=d', 'e=f']);
    expect(flags.quiet).toBe(true);
    expect(flags.port).toBe('1');
  });

  it('reads --help and -h', () => {
    expect(parseCommandLine(['--help'], specs).help).toBe(true);
    expect(parseCommandLine(['-h'], specs).help).toBe(true);
  });

  it('names the flag of every mistake, as a CommandLineError', () => {
    const error = (argv: string[]) => {
      try {
        parseCommandLine(argv, specs);
      } catch (caught) {
        expect(caught).toBeInstanceOf(CommandLineError);
        return (caught as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(error(['--prot', '1'])).toBe('unknown option --prot');
    expect(error(['-x'])).toBe('unknown option -x');
    expect(error(['--port'])).toBe('--port needs a value');
    expect(error(['--port', '--host', 'h'])).toMatch(/^--port needs a value/);
    expect(error(['--port', '-5'])).toMatch(/write --port=-5/);
    expect(error(['--quiet=yes'])).toBe('--quiet takes no value');
    expect(error(['stray'])).toMatch(/unexpected argument 'stray'/);
    // A name Object.prototype has is still unknown.
    expect(error(['--constructor', 'x'])).toBe('unknown option --constructor');
  });

  it('takes a value that starts with a dash when written inline', () => {
    expect(parseCommandLine(['--port=-5'], specs).port).toBe('-5');
  });
});

describe('typed flags', () => {
  it('parses integers within bounds and says which bounds otherwise', () => {
    expect(parseIntegerFlag('--port', '8080', { min: 0, max: 65535 })).toBe(8080);
    expect(() => parseIntegerFlag('--port', '70000', { min: 0, max: 65535 })).toThrow(
      "--port must be an integer in [0, 65535], got '70000'",
    );
    expect(() => parseIntegerFlag('--n', '0', { min: 1 })).toThrow("--n must be an integer ≥ 1, got '0'");
    expect(() => parseIntegerFlag('--n', '1.5', { min: 1 })).toThrow(CommandLineError);
    expect(() => parseIntegerFlag('--n', '', { min: 0 })).toThrow(CommandLineError);
    expect(() => parseIntegerFlag('--n', 'ten')).toThrow("--n must be an integer, got 'ten'");
  });

  it('parses numbers, with exclusive lower bounds', () => {
    expect(parseNumberFlag('--width', '0.25', { min: 0.001 })).toBe(0.25);
    expect(parseNumberFlag('--keep-days', '0.5', { above: 0, max: 100_000 })).toBe(0.5);
    expect(() => parseNumberFlag('--keep-days', '0', { above: 0, max: 100_000 })).toThrow(
      "--keep-days must be a number in (0, 100000], got '0'",
    );
    expect(() => parseNumberFlag('--width', 'Infinity')).toThrow(CommandLineError);
  });

  it('accepts one of a list of choices', () => {
    expect(parseChoiceFlag('--kernels', 'stock', ['project', 'stock'])).toBe('stock');
    expect(() => parseChoiceFlag('--read', 'all', ['pretrain', 'finetune', 'eval'])).toThrow(
      "--read must be pretrain, finetune or eval, got 'all'",
    );
  });
});

describe('runCommand', () => {
  function run(main: () => Promise<number | 'serving'>): Promise<{ code: number | undefined; stderr: string }> {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    return new Promise((done) => {
      vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
        done({ code: Number(code), stderr });
        return undefined as never;
      });
      runCommand(main, { usage: 'Usage: cmd --flag' });
    });
  }

  it('exits with the code main returns', async () => {
    expect((await run(async () => 3)).code).toBe(3);
  });

  it('turns a CommandLineError into exit 2 with the message and the usage on stderr', async () => {
    const { code, stderr } = await run(async () => {
      throw new CommandLineError('unknown option --x');
    });
    expect(code).toBe(2);
    expect(stderr).toBe('unknown option --x\n\nUsage: cmd --flag\n');
  });

  it('turns any other error into exit 1 without the usage', async () => {
    const { code, stderr } = await run(async () => {
      throw new Error('dataset missing');
    });
    expect(code).toBe(1);
    expect(stderr).toBe('error: dataset missing\n');
  });

  it('keeps a serving command running', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    let served: () => void = () => undefined;
    const started = new Promise<void>((done) => (served = done));
    runCommand(
      async () => {
        served();
        return 'serving';
      },
      { usage: '' },
    );
    await started;
    // main has resolved; its outcome is handled on the next turn of the microtask queue.
    await new Promise((done) => setImmediate(done));
    expect(exit).not.toHaveBeenCalled();
  });
});
