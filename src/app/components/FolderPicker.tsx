import { useState } from 'react';
import type { FolderFile } from '../../protocol/labWorkerApi';
import { chooseFolder } from '../labController';
import { useLab } from '../store/labStore';

/** Strips the picked folder's own name: `pets/cat/1.jpg` → `cat/1.jpg`. */
function relativeToRoot(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length > 2 ? parts.slice(1).join('/') : parts.join('/');
}

async function filesOfEntry(entry: FileSystemEntry, prefix: string, out: FolderFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: `${prefix}${entry.name}`, file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns the listing in chunks until it returns an empty one.
    for (;;) {
      const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (chunk.length === 0) break;
      for (const child of chunk) await filesOfEntry(child, `${prefix}${entry.name}/`, out);
    }
  }
}

/** Your own images: a folder with one sub-folder per class, by picker or drag-and-drop. */
export function FolderPicker() {
  const report = useLab((s) => s.folderReport);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);

  const take = async (files: FolderFile[]) => {
    setBusy(true);
    try {
      await chooseFolder(files);
    } finally {
      setBusy(false);
    }
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the drop zone is a mouse shortcut; the file input inside it is the keyboard path.
    <div
      className={`folder-picker ${over ? 'drop-over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={async (e) => {
        e.preventDefault();
        setOver(false);
        const files: FolderFile[] = [];
        const entries = [...e.dataTransfer.items].map((item) => item.webkitGetAsEntry()).filter((x): x is FileSystemEntry => !!x);
        for (const entry of entries) await filesOfEntry(entry, '', files);
        await take(files.map((f) => ({ ...f, path: relativeToRoot(f.path) })));
      }}
    >
      <label className="button-like">
        Your images…
        <input
          type="file"
          aria-label="Choose an image folder"
          // @ts-expect-error webkitdirectory is not in React's input attributes but every current browser supports it.
          webkitdirectory=""
          multiple
          hidden
          onChange={(e) => {
            const files = [...(e.target.files ?? [])].map((file) => ({ path: relativeToRoot(file.webkitRelativePath || file.name), file }));
            void take(files);
          }}
        />
      </label>
      <p className="field-help">…or drop a folder here: one sub-folder per class.{busy && ' Reading…'}</p>
      {report && (
        <div className="folder-report" aria-live="polite">
          <p>
            {report.images} images in {report.classNames.length} classes ({report.classNames.join(', ')}).
          </p>
          {report.unreadable.length > 0 && (
            <details open>
              <summary>{report.unreadable.length} files could not be used</summary>
              <ul className="unreadable">
                {report.unreadable.map((u) => (
                  <li key={u.path}>
                    {u.path}: {u.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
