import { type ConfigFieldPath, configValue } from '../../core';
import { useLab } from '../store/labStore';
import { choicesOf, isIntegerField, labelOf, sweepableKind } from './fieldKind';
import { useSweeps } from './sweepStore';

/**
 * The "sweep this" switch next to a numeric or choice setting: pressing it adds the field to the
 * sweep being built in the Sweeps tab (with a starting list of values), pressing again removes it.
 * Switches and text fields get none.
 */
export function SweepToggle({ path }: { path: ConfigFieldPath }) {
  const value = useLab((s) => configValue(s.config, path));
  const marked = useSweeps((s) => s.draft.marks.some((m) => m.path === path));
  const toggle = useSweeps((s) => s.toggleMark);
  if (sweepableKind(path) === null) return null;
  const label = labelOf(path);
  return (
    <button
      type="button"
      className={`sweep-toggle ${marked ? 'on' : ''}`}
      aria-pressed={marked}
      aria-label={`Sweep ${label}`}
      title={marked ? 'In the sweep (Sweeps tab): press to remove' : 'Sweep this setting (Sweeps tab)'}
      data-sweep-path={path}
      onClick={() => toggle(path, value, choicesOf(path), isIntegerField(path))}
    >
      ⇄
    </button>
  );
}
