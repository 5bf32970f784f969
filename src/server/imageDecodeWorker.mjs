// Worker thread of the ImageNet loader's decode pool (decodePool.ts): decodes one image file with
// sharp to uint8 RGB at size×size. Plain JavaScript so that it loads under Node, tsx and vitest alike.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';

// Parallelism comes from the pool's threads; one libvips thread each avoids oversubscription.
sharp.concurrency(1);

async function decode({ path, size, crop }) {
  let image;
  if (crop) {
    // crop = [left, top, width, height] as fractions of the (EXIF-oriented) image.
    const full = await sharp(path, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = full.info;
    const left = Math.min(width - 1, Math.floor(crop[0] * width));
    const top = Math.min(height - 1, Math.floor(crop[1] * height));
    const w = Math.max(1, Math.min(width - left, Math.round(crop[2] * width)));
    const h = Math.max(1, Math.min(height - top, Math.round(crop[3] * height)));
    image = sharp(full.data, { raw: { width, height, channels } }).extract({ left, top, width: w, height: h }).resize(size, size, { fit: 'fill' });
  } else {
    // Shorter side to `size`, centre crop: lets libjpeg shrink while decoding.
    image = sharp(path, { failOn: 'error' }).rotate().resize(size, size, { fit: 'cover', position: 'centre' });
  }
  const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  const pixels = new Uint8Array(data.length);
  pixels.set(data);
  return pixels;
}

parentPort.on('message', async (job) => {
  try {
    const pixels = await decode(job);
    parentPort.postMessage({ id: job.id, pixels }, [pixels.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: `${job.path}: ${error instanceof Error ? error.message : String(error)}` });
  }
});
