import { useEffect, useId, useState } from 'react';
import { flattenConfig } from '../../core';
import { metaOf } from '../config/fieldMeta';
import { isFieldHidden } from '../share/teacherLink';
import { useLab } from '../store/labStore';
import { SweepToggle } from '../sweeps/SweepToggle';

type Leaf = string | number | boolean | null;

function valueAt(config: unknown, path: string): Leaf {
  return flattenConfig(config)[path] ?? null;
}

/** One config field as a form control named by its dotted path (the UI contract). */
export function ConfigField({ path, disabled = false }: { path: string; disabled?: boolean }) {
  const meta = metaOf(path);
  const value = useLab((s) => valueAt(s.config, path));
  const error = useLab((s) => s.fieldErrors[path]);
  const setField = useLab((s) => s.setField);
  const hidden = useLab((s) => isFieldHidden(s.teacher, path));
  const id = useId();
  const helpId = `${id}-help`;
  const described = [meta.help ? helpId : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;

  let control: React.ReactNode;
  if (typeof value === 'boolean') {
    control = (
      <input
        id={id}
        type="checkbox"
        name={path}
        checked={value}
        disabled={disabled}
        aria-describedby={described}
        onChange={(e) => setField(path, e.target.checked)}
      />
    );
  } else if (meta.options) {
    control = (
      <select
        id={id}
        name={path}
        value={String(value)}
        disabled={disabled}
        aria-describedby={described}
        onChange={(e) => setField(path, typeof meta.options![0] === 'number' ? Number(e.target.value) : e.target.value)}
      >
        {meta.options.map((option) => (
          <option key={option} value={String(option)}>
            {option}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <NumberInput
        id={id}
        path={path}
        value={value as number | null}
        disabled={disabled}
        described={described}
        onValue={(v) => setField(path, v)}
      />
    );
  }

  // Hidden by a teacher's link: the value still applies, the control is not offered.
  if (hidden) return null;
  return (
    <div className={`field ${typeof value === 'boolean' ? 'field-check' : ''} ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>{meta.label}</label>
      {control}
      <SweepToggle path={path} />
      {meta.help && (
        <p className="field-help" id={helpId}>
          {meta.help}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Keeps the typed text (so "0." can be typed) and commits numbers as they become valid. */
function NumberInput(props: {
  id: string;
  path: string;
  value: number | null;
  disabled: boolean;
  described?: string;
  onValue(value: number | null): void;
}) {
  const meta = metaOf(props.path);
  const [text, setText] = useState(props.value === null ? '' : String(props.value));
  useEffect(() => {
    setText((current) => (Number(current) === props.value && current !== '' ? current : props.value === null ? '' : String(props.value)));
  }, [props.value]);
  return (
    <input
      id={props.id}
      type="number"
      name={props.path}
      inputMode="decimal"
      value={text}
      min={meta.min}
      max={meta.max}
      step={meta.step ?? 'any'}
      placeholder={meta.emptyMeans}
      disabled={props.disabled}
      aria-describedby={props.described}
      onChange={(e) => {
        const next = e.target.value;
        setText(next);
        if (next.trim() === '') {
          if (meta.emptyMeans) props.onValue(null);
          return;
        }
        const number = Number(next);
        if (Number.isFinite(number)) props.onValue(number);
      }}
    />
  );
}
