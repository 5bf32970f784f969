// Alias kept for hosts that import the ImageFolder contract as `core/data/folder`; the loader lives in imageFolder.ts.
export type { ImageFolderSource, ImageFolderOptions, ImageFolderResult, SkippedImage } from './imageFolder';
export type { RawImage } from './resize';
