import { flattenConfig } from '../../core';
import { metaOf } from '../config/fieldMeta';
import { useLab } from '../store/labStore';
import { isIntegerField, sweepableKind } from './fieldKind';
import { useSweeps } from './sweepStore';

/**
 * The "sweep this" switch next to a numeric or choice setting: pressing it adds the field to the
 * sweep being built in the Sweeps tab (with a starting list of values), pressing again removes it.
 * Switches and text fields get none.
 */
export function SweepToggle({ path }: { path: string }) {
  const value = useLab((s) => flattenConfig(s.config)[path]);
  const marked = useSweeps((s) => s.draft.marks.some((m) => m.path === path));
  const toggle = useSweeps((s) => s.toggleMark);
  if (sweepableKind(path, value) === null) return null;
  const meta = metaOf(path);
  return (
    <button
      type="button"
      className={`sweep-toggle ${marked ? 'on' : ''}`}
      aria-pressed={marked}
      aria-label={`Sweep ${meta.label}`}
      title={marked ? 'In the sweep (Sweeps tab): press to remove' : 'Sweep this setting (Sweeps tab)'}
      data-sweep-path={path}
      onClick={() => toggle(path, value, meta.options, isIntegerField(path))}
    >
      ⇄
    </button>
  );
}
