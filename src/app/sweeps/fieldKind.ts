import { configField, isConfigFieldPath } from '../../core';
import { fieldControl } from '../config/fieldControls';

/**
 * Which settings can be swept and how, from the config field table: choice fields are swept over a
 * list of their options, number fields over a list or a range. Switches and text fields are left
 * out: a stage on/off is better compared as two runs than as a sweep axis.
 */
export function sweepableKind(path: string): 'numeric' | 'choice' | null {
  if (!isConfigFieldPath(path)) return null;
  const kind = configField(path).kind;
  if (kind === 'choice') return 'choice';
  if (kind === 'number' || kind === 'integer') return 'numeric';
  return null;
}

/** Whole-number fields: their ranges are int ranges. */
export function isIntegerField(path: string): boolean {
  return isConfigFieldPath(path) && configField(path).kind === 'integer';
}

/** The options the browser can run, for a choice field. */
export function choicesOf(path: string): readonly (string | number)[] | undefined {
  return isConfigFieldPath(path) && configField(path).kind === 'choice' ? fieldControl(path).options : undefined;
}

/** Choice fields whose options are numbers (ResNet depth): a typed list is read as numbers. */
export function hasNumericChoices(path: string): boolean {
  return typeof choicesOf(path)?.[0] === 'number';
}

export function labelOf(path: string): string {
  return isConfigFieldPath(path) ? configField(path).label : path;
}
