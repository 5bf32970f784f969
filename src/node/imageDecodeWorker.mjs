// Worker thread of the ImageNet loader's decode pool (decodePool.ts): decodes one image file with
// sharp at full resolution, cuts the requested boxes out of it and resizes each to size×size
// uint8 RGB. Plain JavaScript so that it loads under Node, tsx and vitest alike.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';

// Parallelism comes from the pool's threads; one libvips thread each avoids oversubscription.
sharp.concurrency(1);

/**
 * job = { path, size, width, height, boxes: [[left, top, width, height], …] } with boxes in pixels
 * of the EXIF-oriented image, whose size the caller measured as width×height.
 */
async function decode({ path, size, width, height, boxes }) {
  // One full-resolution decode serves every box (pretraining's two views of an image).
  const full = await sharp(path, { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { info } = full;
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3 (file changed?)`);
  }
  const raw = { raw: { width, height, channels: 3 } };
  return Promise.all(
    boxes.map(async ([left, top, w, h]) => {
      // Bicubic, as the official pipeline resizes its crops (sharp's 'cubic' is Catmull-Rom, the
      // same a = -0.5 kernel; unlike tf.image.resize it also low-passes when shrinking).
      const data = await sharp(full.data, raw)
        .extract({ left, top, width: w, height: h })
        .resize(size, size, { fit: 'fill', kernel: 'cubic' })
        .raw()
        .toBuffer();
      if (data.length !== size * size * 3) throw new Error(`resized to ${data.length} bytes, expected ${size}x${size}x3`);
      const pixels = new Uint8Array(data.length);
      pixels.set(data);
      return pixels;
    }),
  );
}

parentPort.on('message', async (job) => {
  try {
    const views = await decode(job);
    parentPort.postMessage(
      { id: job.id, views },
      views.map((v) => v.buffer),
    );
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: `${job.path}: ${error instanceof Error ? error.message : String(error)}` });
  }
});
