/**
 * The one flag parser of every Node entry point (`npm run train|sweep|bench|server|worker`, the
 * encoder export): node:util's parseArgs underneath, with messages that name the flag, repeatable
 * flags, typed numbers and `--help`. Anything wrong with a command line is a CommandLineError,
 * which `runCommand` turns into exit code 2 with the usage on stderr.
 */
import { parseArgs } from 'node:util';

/** A command line the command cannot run: exit code 2, the message and the usage on stderr. */
export class CommandLineError extends Error {
  override name = 'CommandLineError';
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable (`--set a=1 --set b=2`): the value is the list, empty when absent. */
  multiple?: boolean;
  /** A string flag's value when absent (booleans are false when absent). */
  default?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

type FlagValue<S extends FlagSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : S['default'] extends string
      ? string
      : string | undefined;

/** The parsed flags, keyed by long name; `help` is always there. */
export type Flags<S extends FlagSpecs> = { [K in keyof S]: FlagValue<S[K]> } & { help: boolean };

const helpFlag: FlagSpec = { type: 'boolean', short: 'h' };

/**
 * Parses `argv` (no positionals) against `specs`. Unknown flags, a string flag without a value,
 * a boolean flag given one and stray arguments are CommandLineErrors that name the offender.
 */
export function parseCommandLine<const S extends FlagSpecs>(argv: readonly string[], specs: S): Flags<S> {
  const options: FlagSpecs = { help: helpFlag, ...specs };
  // parseArgs' own strict errors are worded for a library user ("argument is ambiguous…"), so
  // look at its tokens first and say what is wrong in the terms of this command.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') throw new CommandLineError(`unexpected argument '${token.value}' (every value follows its --flag)`);
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) throw new CommandLineError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean' && token.value !== undefined) throw new CommandLineError(`${token.rawName} takes no value`);
    if (spec.type === 'string' && token.value === undefined) throw new CommandLineError(`${token.rawName} needs a value`);
    // `--port -5` reads as a missing value followed by a flag: a value that starts with '-' is
    // written `--port=-5`.
    if (spec.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      throw new CommandLineError(`${token.rawName} needs a value (write ${token.rawName}=${token.value} for one that starts with '-')`);
    }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new CommandLineError(error instanceof Error ? error.message : String(error));
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options)) {
    const value = values[name];
    flags[name] = value ?? (spec.multiple ? [] : spec.type === 'boolean' ? false : spec.default);
  }
  return flags as Flags<S>;
}

export interface NumberBounds {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Values must be greater than this (exclusive). */
  above?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
}

function describeBounds({ min, above, max }: NumberBounds): string {
  const low = min ?? above;
  if (low !== undefined && max !== undefined) return ` in ${min !== undefined ? '[' : '('}${low}, ${max}]`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (above !== undefined) return ` > ${above}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function parseBoundedNumber(flag: string, text: string, bounds: NumberBounds, integer: boolean): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const fits =
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max);
  if (!fits) throw new CommandLineError(`${flag} must be ${integer ? 'an integer' : 'a number'}${describeBounds(bounds)}, got '${text}'`);
  return value;
}

/** `text` as a finite number within `bounds`, or a CommandLineError naming `flag` (e.g. '--width'). */
export function parseNumberFlag(flag: string, text: string, bounds: NumberBounds = {}): number {
  return parseBoundedNumber(flag, text, bounds, false);
}

/** `text` as an integer within `bounds`, or a CommandLineError naming `flag` (e.g. '--port'). */
export function parseIntegerFlag(flag: string, text: string, bounds: NumberBounds = {}): number {
  return parseBoundedNumber(flag, text, bounds, true);
}

/** `text` if it is one of `choices`, or a CommandLineError naming `flag` and the choices. */
export function parseChoiceFlag<const C extends string>(flag: string, text: string, choices: readonly C[]): C {
  if ((choices as readonly string[]).includes(text)) return text as C;
  const list = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : choices.join('');
  throw new CommandLineError(`${flag} must be ${list}, got '${text}'`);
}

/** What a command's main resolves to: its exit code, or 'serving' when it keeps running (a server). */
export type CommandOutcome = number | 'serving';

export interface CommandOptions {
  /** Printed after a CommandLineError's message, on stderr. */
  usage: string;
  /** Print the stack of an unexpected error (long-running services, where it helps a bug report). */
  stack?: boolean;
}

/** Writes the usage to stdout for `--help`; its exit code is 0. */
export function printUsage(usage: string): 0 {
  process.stdout.write(`${usage}\n`);
  return 0;
}

/**
 * Runs an entry point's `main` and exits with its code: a CommandLineError is exit 2 with the
 * message and the usage on stderr, any other error exit 1 with `error: <message>`.
 */
export function runCommand(main: () => Promise<CommandOutcome>, options: CommandOptions): void {
  main().then(
    (outcome) => {
      if (outcome !== 'serving') process.exit(outcome);
    },
    (error: unknown) => {
      if (error instanceof CommandLineError) {
        process.stderr.write(`${error.message}\n\n${options.usage}\n`);
        process.exit(2);
      }
      const text = error instanceof Error ? (options.stack && error.stack ? error.stack : error.message) : String(error);
      process.stderr.write(`error: ${text}\n`);
      process.exit(1);
    },
  );
}
