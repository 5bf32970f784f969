import { metaOf } from '../config/fieldMeta';

/**
 * Which settings can be swept and how, from the field's presentation metadata: fields with options
 * are choices (their values a list), plain number fields are numeric (a list or a range). Switches
 * are left out: a stage on/off is better compared as two runs than as a sweep axis.
 */
export function sweepableKind(path: string, value: unknown): 'numeric' | 'choice' | null {
  const meta = metaOf(path);
  if (meta.options) return 'choice';
  if (typeof value === 'number' || (value === null && meta.emptyMeans !== undefined)) return 'numeric';
  return null;
}

/** Whole-number fields (step 1): their ranges are int ranges. */
export function isIntegerField(path: string): boolean {
  return metaOf(path).step === 1;
}

/** Choice fields whose options are numbers (ResNet depth): a typed list is read as numbers. */
export function hasNumericChoices(path: string): boolean {
  return typeof metaOf(path).options?.[0] === 'number';
}
