import { useEffect, useId, useState } from 'react';
import { type ConfigFieldPath, type ConfigLeaf, configValue } from '../../core';
import { type FieldControl, fieldControl } from '../config/fieldControls';
import { isFieldHidden } from '../share/teacherLink';
import { useLab } from '../store/labStore';
import { SweepToggle } from '../sweeps/SweepToggle';

/**
 * One config field as a form control named by its dotted path (the UI contract). Everything it shows
 * (label, help, choices, bounds, step) comes from the field table via `fieldControl`. `compact`
 * keeps the help for screen readers only, for tight spots such as a stage's on/off switch.
 */
export function ConfigField({ path, disabled = false, compact = false }: { path: ConfigFieldPath; disabled?: boolean; compact?: boolean }) {
  const spec = fieldControl(path);
  const { field } = spec;
  const value = useLab((s) => configValue(s.config, path));
  const error = useLab((s) => s.fieldErrors[path]);
  const setField = useLab((s) => s.setField);
  const hidden = useLab((s) => isFieldHidden(s.teacher, path));
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const described = [helpId, error ? errorId : null].filter(Boolean).join(' ');

  // Hidden by a teacher's link: the value still applies, the control is not offered.
  if (hidden) return null;
  const checkbox = spec.control === 'checkbox';
  return (
    <div className={`field ${checkbox ? 'field-check' : ''} ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>{field.label}</label>
      <FieldInput id={id} spec={spec} value={value} disabled={disabled} described={described} onValue={(v) => setField(path, v)} />
      <SweepToggle path={path} />
      <p className={compact ? 'visually-hidden' : 'field-help'} id={helpId}>
        {field.help}
      </p>
      {error && (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface InputProps {
  id: string;
  spec: FieldControl;
  value: ConfigLeaf;
  disabled: boolean;
  described: string;
  onValue(value: ConfigLeaf): void;
}

/** The bare control for a field, by its kind in the field table. */
export function FieldInput(props: InputProps) {
  const { id, spec, value, disabled, described, onValue } = props;
  const path = spec.field.path;
  switch (spec.control) {
    case 'checkbox':
      return (
        <input
          id={id}
          type="checkbox"
          name={path}
          checked={value === true}
          disabled={disabled}
          aria-describedby={described}
          onChange={(e) => onValue(e.target.checked)}
        />
      );
    case 'select': {
      // A value the browser cannot run (imagenet from a link) is still shown rather than misreported.
      const options =
        value !== null && typeof value !== 'boolean' && !spec.options.includes(value) ? [...spec.options, value] : spec.options;
      const numeric = typeof options[0] === 'number';
      return (
        <select
          id={id}
          name={path}
          value={String(value)}
          disabled={disabled}
          aria-describedby={described}
          onChange={(e) => onValue(numeric ? Number(e.target.value) : e.target.value)}
        >
          {options.map((option) => (
            <option key={option} value={String(option)}>
              {option}
            </option>
          ))}
        </select>
      );
    }
    case 'number':
      return <NumberInput {...props} value={typeof value === 'number' ? value : null} />;
    case 'text':
      return (
        <input
          id={id}
          type="text"
          name={path}
          value={typeof value === 'string' ? value : ''}
          placeholder={spec.placeholder}
          disabled={disabled}
          aria-describedby={described}
          onChange={(e) => onValue(e.target.value === '' && spec.field.nullable ? null : e.target.value)}
        />
      );
  }
}

/** Keeps the typed text (so "0." can be typed) and commits numbers as they become valid. */
function NumberInput(props: InputProps & { value: number | null }) {
  const { spec } = props;
  const [text, setText] = useState(props.value === null ? '' : String(props.value));
  useEffect(() => {
    setText((current) => (Number(current) === props.value && current !== '' ? current : props.value === null ? '' : String(props.value)));
  }, [props.value]);
  return (
    <input
      id={props.id}
      type="number"
      name={spec.field.path}
      inputMode="decimal"
      value={text}
      min={spec.min}
      max={spec.max}
      step={spec.step}
      placeholder={spec.placeholder}
      disabled={props.disabled}
      aria-describedby={props.described}
      onChange={(e) => {
        const next = e.target.value;
        setText(next);
        if (next.trim() === '') {
          if (spec.field.nullable) props.onValue(null);
          return;
        }
        const number = Number(next);
        if (Number.isFinite(number)) props.onValue(number);
      }}
    />
  );
}
