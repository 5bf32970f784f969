import { type ConfigFieldPath, type ConfigIssue, type ConfigSection, configFieldPaths } from '../../core';

/**
 * A teacher's link: besides the run's settings (src/protocol/shareUrl.ts) the hash can hide controls and
 * tabs and put a title and a short note at the top of the page, making the link an exercise:
 *
 *   #pretrain.temperature=0.2&hide=pretrain.temperature,model,tab:similarity&title=Why%20τ&note=…
 *
 * `hide` lists dotted config paths (a section name such as `model` hides every field under it) and
 * `tab:<name>` for tabs. The three keys have no dot, so they can never be config paths (every
 * field path but `seed` has one); they are taken out here before the config codec sees the rest,
 * which still reports every key it does not know.
 */
export const tabNames = ['live', 'augmentations', 'similarity', 'embeddings', 'runs', 'sweeps', 'about'] as const;
export type TabName = (typeof tabNames)[number];

/** What `hide=` can name besides tabs: one field, or a whole section (`model`). */
export type HideableField = ConfigFieldPath | ConfigSection;

export interface TeacherView {
  /** Config paths or section prefixes whose controls are hidden. */
  hiddenFields: HideableField[];
  hiddenTabs: TabName[];
  title: string | null;
  note: string | null;
}

export const emptyTeacherView: TeacherView = { hiddenFields: [], hiddenTabs: [], title: null, note: null };

const HIDE = 'hide';
const TITLE = 'title';
const NOTE = 'note';
export const teacherKeys: readonly string[] = [HIDE, TITLE, NOTE];
export const maxTitleLength = 120;
export const maxNoteLength = 1000;

export function isTeacherViewEmpty(view: TeacherView): boolean {
  return view.hiddenFields.length === 0 && view.hiddenTabs.length === 0 && !view.title && !view.note;
}

/** True for a field path or a section that has fields (`pretrain` covers `pretrain.*`). */
export function isHideableField(entry: string): entry is HideableField {
  return configFieldPaths.some((path) => path === entry || path.startsWith(`${entry}.`));
}

/** Whether `path`'s control is hidden by the view (directly or through its section). */
export function isFieldHidden(view: TeacherView | null, path: ConfigFieldPath): boolean {
  return !!view && view.hiddenFields.some((entry) => path === entry || path.startsWith(`${entry}.`));
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Takes the teacher keys out of a hash. Returns the view, the remaining hash for configFromHash,
 * and issues for what was wrong (unknown paths or tabs, over-long text); never throws.
 */
export function splitTeacherHash(hash: string): { view: TeacherView; configHash: string; issues: ConfigIssue[] } {
  const view: TeacherView = { hiddenFields: [], hiddenTabs: [], title: null, note: null };
  const issues: ConfigIssue[] = [];
  const rest: string[] = [];
  const text = hash.replace(/^#/, '').trim();
  for (const part of text ? text.split('&') : []) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (!teacherKeys.includes(key)) {
      if (part) rest.push(part);
      continue;
    }
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (value === null) {
      issues.push({ path: key, message: 'malformed percent-encoding' });
      continue;
    }
    if (key === HIDE) {
      for (const entry of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        if (entry.startsWith('tab:')) {
          const tab = entry.slice(4);
          if (tab === 'live') issues.push({ path: HIDE, message: 'the Live tab cannot be hidden' });
          else if ((tabNames as readonly string[]).includes(tab)) {
            if (!view.hiddenTabs.includes(tab as TabName)) view.hiddenTabs.push(tab as TabName);
          } else issues.push({ path: HIDE, message: `unknown tab "${tab}" (tabs: ${tabNames.filter((t) => t !== 'live').join(', ')})` });
        } else if (isHideableField(entry)) {
          if (!view.hiddenFields.includes(entry)) view.hiddenFields.push(entry);
        } else {
          issues.push({
            path: HIDE,
            message: `unknown control "${entry}" (expected a config path such as pretrain.temperature, or tab:<name>)`,
          });
        }
      }
    } else {
      const limit = key === TITLE ? maxTitleLength : maxNoteLength;
      const trimmed = value.trim();
      if (trimmed.length > limit) issues.push({ path: key, message: `longer than ${limit} characters; cut to fit` });
      const kept = trimmed.slice(0, limit) || null;
      if (key === TITLE) view.title = kept;
      else view.note = kept;
    }
  }
  return { view, configHash: rest.join('&'), issues };
}

/** Readable `hide=…&title=…&note=…` pairs (empty when the view changes nothing). */
export function teacherViewToHash(view: TeacherView): string {
  const pairs: string[] = [];
  const hidden = [...view.hiddenFields, ...view.hiddenTabs.map((t) => `tab:${t}`)];
  // Commas, colons and dots stay literal so the list reads as typed.
  if (hidden.length) pairs.push(`${HIDE}=${hidden.map((h) => encodeURIComponent(h).replace(/%3A/gi, ':')).join(',')}`);
  if (view.title) pairs.push(`${TITLE}=${encodeURIComponent(view.title.slice(0, maxTitleLength))}`);
  if (view.note) pairs.push(`${NOTE}=${encodeURIComponent(view.note.slice(0, maxNoteLength))}`);
  return pairs.join('&');
}

/** Config pairs, then the teacher's, with `results=` (long, compressed) kept last. */
export function joinHash(configHash: string, view: TeacherView | null): string {
  const teacher = view ? teacherViewToHash(view) : '';
  if (!teacher) return configHash;
  const parts = configHash ? configHash.split('&') : [];
  const results = parts.filter((p) => p.startsWith('results='));
  const config = parts.filter((p) => !p.startsWith('results='));
  return [...config, teacher, ...results].join('&');
}
