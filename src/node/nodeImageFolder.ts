import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import type { ImageFolderSource } from '../core/data/imageFolder';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|bmp|tiff?|avif)$/i;

/** An ImageFolder on disk (root/<class>/<image>), decoded with sharp to RGB. */
export function nodeImageFolder(root: string): ImageFolderSource {
  return {
    async listEntries() {
      const classes = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
      const entries: { path: string; className: string }[] = [];
      for (const dir of classes.sort((a, b) => a.name.localeCompare(b.name))) {
        const files = (await readdir(join(root, dir.name), { withFileTypes: true })).filter(
          (f) => f.isFile() && IMAGE_EXTENSIONS.test(f.name),
        );
        for (const file of files.sort((a, b) => a.name.localeCompare(b.name))) {
          entries.push({ path: relative(root, join(root, dir.name, file.name)), className: dir.name });
        }
      }
      return entries;
    },
    async decodeImage(path) {
      const { data, info } = await sharp(join(root, path)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      return {
        width: info.width,
        height: info.height,
        channels: info.channels,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    },
  };
}
