import { type ConfigField, configFields } from '../core/config';
import { formatBounds } from '../core/configFields';

/**
 * The RunConfig fields as --help text, from the field table (so it lists exactly what the schema
 * accepts): one line per field with its type and bounds or choices and its default, then its label
 * and help, indented and wrapped.
 *
 *   pretrain.temperature  number (0, 100]  default 0.5
 *       Temperature τ. Divides the cosine similarities before the softmax: …
 */
export function configFieldHelp(heading = 'Config fields (--set path=value):', width = 100): string {
  const lines = [heading];
  for (const field of configFields) {
    lines.push(`  ${[field.path, typeText(field), `default ${formatDefault(field.default)}`].join('  ')}`);
    lines.push(...wrap(`${field.label}. ${field.help}`, width - 6).map((line) => `      ${line}`));
  }
  return lines.join('\n');
}

function typeText(field: ConfigField): string {
  const bounds = formatBounds(field);
  const base = field.kind === 'choice' ? (field.options ?? []).join('|') : [field.kind, bounds].filter(Boolean).join(' ');
  const unit = field.unit ? ` ${field.unit}` : '';
  return `${base}${unit}${field.nullable ? ' or null' : ''}`;
}

function formatDefault(value: ConfigField['default']): string {
  return value === null ? 'null' : String(value);
}

/** Greedy word wrap; a single word longer than the width gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
