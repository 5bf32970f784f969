/**
 * The official ImageNet label-fraction lists (`1percent.txt`, `10percent.txt` of SimCLR): one
 * training file name per line, e.g. `n04235860_14959.JPEG`; the class is the WordNet id before '_'.
 */
export interface SubsetList {
  /** File names in list order. */
  files: string[];
  /** Distinct WordNet ids, sorted (the ImageNet class order). */
  classes: string[];
}

const FILE_NAME = /^(n\d{8})_\d+\.(JPEG|jpeg|jpg|JPG)$/;
const MAX_REPORTED = 5;

export class SubsetListError extends Error {
  readonly problems: { line: number; message: string }[];
  constructor(problems: { line: number; message: string }[]) {
    const shown = problems.slice(0, MAX_REPORTED).map((p) => `line ${p.line}: ${p.message}`);
    if (problems.length > MAX_REPORTED) shown.push(`… and ${problems.length - MAX_REPORTED} more`);
    super(`invalid ImageNet subset list (${problems.length} bad line(s)): ${shown.join('; ')}`);
    this.name = 'SubsetListError';
    this.problems = problems;
  }
}

/** Wordnet id of a training file name (`n01440764_10026.JPEG` → `n01440764`), or null. */
export function wnidOfFile(fileName: string): string | null {
  const match = FILE_NAME.exec(fileName);
  return match ? match[1] : null;
}

/**
 * Parses and validates a subset list. Blank lines (and a trailing newline, CRLF endings) are allowed;
 * any other line must be a training file name, and a name may appear once. All bad lines are reported
 * with their 1-based line numbers in one SubsetListError.
 */
export function parseSubsetList(text: string): SubsetList {
  const files: string[] = [];
  const classes = new Set<string>();
  const firstLineOf = new Map<string, number>();
  const problems: { line: number; message: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const name = raw.trim();
    if (name === '') return;
    const wnid = wnidOfFile(name);
    if (!wnid) {
      problems.push({
        line,
        message: `${JSON.stringify(name.slice(0, 80))} is not an ImageNet training file name like n01440764_10026.JPEG`,
      });
      return;
    }
    const seen = firstLineOf.get(name);
    if (seen !== undefined) {
      problems.push({ line, message: `${name} repeats line ${seen}` });
      return;
    }
    firstLineOf.set(name, line);
    files.push(name);
    classes.add(wnid);
  });
  if (problems.length > 0) throw new SubsetListError(problems);
  if (files.length === 0) throw new SubsetListError([{ line: 1, message: 'the list is empty' }]);
  return { files, classes: [...classes].sort() };
}
