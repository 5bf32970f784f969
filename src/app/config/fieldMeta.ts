/** How each config field is presented: label, help text and the choices of enumerated fields. */
export interface FieldMeta {
  label: string;
  help?: string;
  options?: (string | number)[];
  min?: number;
  max?: number;
  step?: number;
  /** Nullable number fields: an empty box means null (e.g. "all images"). */
  emptyMeans?: string;
}

const depths = [18, 34, 50, 101, 152];
const optimizers = ['lars', 'sgd', 'adam', 'adamw'];
const optimizerHelp =
  'lars: per-layer trust ratio (SimCLR). sgd: Nesterov momentum. adam: Adam with L2 weight decay in the loss (both as the official code). adamw: Adam with decoupled weight decay.';

export const fieldMeta: Record<string, FieldMeta> = {
  seed: {
    label: 'Seed',
    help: 'Seeds data order, augmentations, initialisation and the labelled subset: the same seed reproduces a run.',
    min: 0,
    step: 1,
  },
  'dataset.name': { label: 'Dataset', options: ['cifar10', 'mnist', 'shapes', 'folder'] },
  'dataset.trainSize': {
    label: 'Training images',
    help: 'Cap on training images: the lever that makes a run fit a laptop.',
    min: 1,
    step: 1,
    emptyMeans: 'all',
  },
  'dataset.testSize': { label: 'Test images', min: 1, step: 1, emptyMeans: 'all' },
  'dataset.imageSize': { label: 'Image size (px)', min: 8, max: 512, step: 1 },
  'model.depth': { label: 'ResNet depth', options: depths, help: '18/34 use basic blocks, 50+ bottleneck blocks.' },
  'model.widthMultiplier': {
    label: 'Width multiplier',
    help: 'Channels relative to a standard ResNet; the paper goes up to 3×. Small widths train fast in a browser.',
    min: 0.03125,
    step: 0.03125,
  },
  'model.skRatio': {
    label: 'Selective-kernel ratio',
    help: 'Selective kernels in bottleneck blocks (ResNet-50 and deeper); any value above 0 also gives every depth the ResNet-D stem and shortcuts, as the official code. 0 = off, the paper uses 0.0625.',
    min: 0,
    max: 1,
    step: 0.0625,
  },
  'model.projectionLayers': {
    label: 'Projection-head layers',
    help: 'SimCLRv2 uses a deeper head (3 layers): the contrastive loss is computed on its output, and fine-tuning can keep part of it.',
    min: 0,
    max: 8,
    step: 1,
  },
  'model.projectionDim': { label: 'Projection dim', min: 1, step: 1 },
  'pretrain.enabled': { label: 'Pretrain' },
  'pretrain.epochs': { label: 'Epochs', min: 0.1, step: 1 },
  'pretrain.batchSize': {
    label: 'Batch size',
    help: 'Each image is a negative for every other one: bigger batches mean more negatives per anchor (2N−2) and a harder, more useful task.',
    min: 2,
    step: 1,
  },
  'pretrain.optimizer': {
    label: 'Optimizer',
    options: optimizers,
    help: `LARS adapts the step per layer, which keeps large-batch training stable. ${optimizerHelp}`,
  },
  'pretrain.learningRate': {
    label: 'Base learning rate',
    help: 'Scaled by batch/256 (linear) or √batch (sqrt), warmed up, then cosine-decayed.',
    min: 0,
    step: 0.05,
  },
  'pretrain.learningRateScaling': { label: 'LR scaling', options: ['linear', 'sqrt'] },
  'pretrain.warmupEpochs': { label: 'Warm-up epochs', min: 0, step: 1 },
  'pretrain.weightDecay': { label: 'Weight decay', min: 0, step: 0.0001 },
  'pretrain.momentum': { label: 'Momentum', min: 0, max: 1, step: 0.05 },
  'pretrain.temperature': {
    label: 'Temperature τ',
    help: 'Divides the cosine similarities before the softmax: a low τ sharpens it and focuses the loss on the hardest negatives; too low makes training unstable.',
    min: 0.01,
    step: 0.05,
  },
  'pretrain.colorJitterStrength': {
    label: 'Colour-jitter strength',
    help: 'Strength s of brightness/contrast/saturation/hue jitter (0.5 for CIFAR-10, 1.0 for ImageNet).',
    min: 0,
    max: 4,
    step: 0.1,
  },
  'pretrain.grayscaleProbability': { label: 'Grayscale probability', min: 0, max: 1, step: 0.05 },
  'pretrain.blurProbability': {
    label: 'Blur probability',
    help: 'Gaussian blur; the paper turns it off for 32 px images.',
    min: 0,
    max: 1,
    step: 0.05,
  },
  'pretrain.cropMinArea': {
    label: 'Crop min area',
    help: 'Smallest share of the image a random crop keeps (0.08 in the paper).',
    min: 0.01,
    max: 1,
    step: 0.01,
  },
  'pretrain.knnK': { label: 'k-NN monitor k', min: 1, step: 1 },
  'pretrain.knnEveryEpochs': { label: 'k-NN every (epochs)', min: 0.1, step: 1 },
  'pretrain.linearProbe': {
    label: 'Linear probe',
    help: 'Also train a linear classifier on the frozen (stop-gradient) encoder features of the labelled images while pretraining, and chart its test accuracy beside k-NN (the official linear evaluation while pretraining).',
  },
  'finetune.enabled': { label: 'Fine-tune' },
  'finetune.labelFraction': {
    label: 'Label fraction',
    help: 'Share of training images whose labels are used (class-balanced, seeded). The paper reports 1% and 10% of ImageNet.',
    min: 0.001,
    max: 1,
    step: 0.01,
  },
  'finetune.mode': {
    label: 'Fine-tune mode',
    options: ['full', 'linear'],
    help: 'full: every layer learns. linear: encoder and kept head layers stay frozen and only the classifier trains (linear evaluation, as the paper reports it).',
  },
  'finetune.fromProjectionLayer': {
    label: 'Fine-tune from layer',
    help: 'How many projection-head layers to keep under the classifier: 0 = encoder only (SimCLR v1), 1 = first head layer (SimCLRv2, better with few labels).',
    min: 0,
    max: 8,
    step: 1,
  },
  'finetune.epochs': { label: 'Epochs', min: 0.1, step: 1 },
  'finetune.batchSize': { label: 'Batch size', min: 1, step: 1 },
  'finetune.optimizer': { label: 'Optimizer', options: optimizers, help: optimizerHelp },
  'finetune.learningRate': { label: 'Learning rate', min: 0, step: 0.01 },
  'finetune.weightDecay': { label: 'Weight decay', min: 0, step: 0.0001 },
  'finetune.momentum': { label: 'Momentum', min: 0, max: 1, step: 0.05 },
  'finetune.baseline': {
    label: 'Supervised-only baseline',
    help: 'Also train the same network from scratch on the same labels, for comparison.',
  },
  'distill.enabled': { label: 'Distill' },
  'distill.studentDepth': { label: 'Student depth', options: depths },
  'distill.studentWidthMultiplier': { label: 'Student width', min: 0.03125, step: 0.03125 },
  'distill.studentSkRatio': { label: 'Student SK ratio', min: 0, max: 1, step: 0.0625 },
  'distill.temperature': {
    label: 'Distillation temperature τ',
    help: 'Softens the teacher’s predictions: higher τ passes on more of how it ranks the wrong classes. The paper uses 1.0 (big→small) and 0.1 (self-distillation).',
    min: 0.01,
    step: 0.1,
  },
  'distill.labelWeight': {
    label: 'Label-loss weight',
    help: '0 = pure distillation on unlabelled images; >0 mixes in the loss on the labelled subset.',
    min: 0,
    max: 1,
    step: 0.1,
  },
  'distill.epochs': { label: 'Epochs', min: 0.1, step: 1 },
  'distill.batchSize': { label: 'Batch size', min: 1, step: 1 },
  'distill.optimizer': { label: 'Optimizer', options: optimizers, help: optimizerHelp },
  'distill.learningRate': { label: 'Learning rate', min: 0, step: 0.01 },
  'distill.weightDecay': { label: 'Weight decay', min: 0, step: 0.0001 },
  'distill.momentum': { label: 'Momentum', min: 0, max: 1, step: 0.05 },
};

export function metaOf(path: string): FieldMeta {
  return fieldMeta[path] ?? { label: path.split('.').at(-1) ?? path };
}
