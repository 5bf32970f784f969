import type { ConfigFieldPath } from '../../core';
import { useLab } from '../store/labStore';
import { ConfigField } from './ConfigField';
import { FolderPicker } from './FolderPicker';
import { PretrainedStart } from './PretrainedStart';

interface StageText {
  title: string;
  enabledPath?: ConfigFieldPath;
  explanation: string;
  fields: ConfigFieldPath[];
  advanced: ConfigFieldPath[];
}

const panels: StageText[] = [
  {
    title: 'Data & model',
    explanation:
      'The images and the network every stage shares. Capping the number of images is what lets a run fit a laptop; the encoder is a ResNet whose width you can shrink, topped by the projection head that only the contrastive loss sees.',
    fields: [
      'dataset.name',
      'dataset.trainSize',
      'dataset.testSize',
      'dataset.imageSize',
      'model.depth',
      'model.widthMultiplier',
      'model.projectionLayers',
    ],
    advanced: ['model.skRatio', 'model.projectionDim', 'seed'],
  },
  {
    title: '1 · Pretrain',
    enabledPath: 'pretrain.enabled',
    explanation:
      'Contrastive learning without labels: every image is augmented twice, both views go through encoder and projection head, and the NT-Xent loss pulls the two views of an image together while pushing apart the other 2N−2 views in the batch. The temperature sets how sharply the hardest negatives dominate; the batch size sets how many negatives there are; the augmentations decide what the network must learn to ignore. A k-NN classifier on the frozen features tracks how useful they become.',
    fields: [
      'pretrain.epochs',
      'pretrain.batchSize',
      'pretrain.temperature',
      'pretrain.learningRate',
      'pretrain.optimizer',
      'pretrain.colorJitterStrength',
      'pretrain.cropMinArea',
      'pretrain.grayscaleProbability',
      'pretrain.blurProbability',
    ],
    advanced: [
      'pretrain.learningRateScaling',
      'pretrain.warmupEpochs',
      'pretrain.weightDecay',
      'pretrain.momentum',
      'pretrain.knnK',
      'pretrain.knnEveryEpochs',
      'pretrain.linearProbe',
    ],
  },
  {
    title: '2 · Fine-tune',
    enabledPath: 'finetune.enabled',
    explanation:
      'Supervised training on a small, class-balanced labelled fraction. SimCLRv2 keeps the first projection-head layer under the new linear classifier instead of throwing the head away, which helps most when labels are scarce. The supervised-only baseline trains the same network from scratch on the same labels, so you can see what pretraining bought.',
    fields: ['finetune.labelFraction', 'finetune.mode', 'finetune.fromProjectionLayer', 'finetune.epochs', 'finetune.baseline'],
    advanced: ['finetune.batchSize', 'finetune.optimizer', 'finetune.learningRate', 'finetune.weightDecay', 'finetune.momentum'],
  },
  {
    title: '3 · Distill',
    enabledPath: 'distill.enabled',
    explanation:
      'The fine-tuned network becomes a teacher: a student (the same size, or smaller) learns to match its softened predictions on all the unlabelled images, using them a second time, now for the task at hand. The distillation temperature controls how soft those targets are.',
    fields: ['distill.temperature', 'distill.studentDepth', 'distill.studentWidthMultiplier', 'distill.epochs', 'distill.labelWeight'],
    advanced: [
      'distill.studentSkRatio',
      'distill.batchSize',
      'distill.optimizer',
      'distill.learningRate',
      'distill.weightDecay',
      'distill.momentum',
    ],
  },
];

export function PipelinePanels() {
  const config = useLab((s) => s.config);
  const locked = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  return (
    <nav className="pipeline" aria-label="Pipeline settings">
      {panels.map((panel) => {
        const stageKey = panel.enabledPath?.split('.')[0] as 'pretrain' | 'finetune' | 'distill' | undefined;
        const enabled = stageKey ? config[stageKey].enabled : true;
        return (
          <section key={panel.title} className={`stage-panel ${enabled ? '' : 'stage-off'}`} aria-labelledby={`panel-${panel.title}`}>
            <header className="stage-header">
              <h2 id={`panel-${panel.title}`}>{panel.title}</h2>
              {panel.enabledPath && <ConfigField path={panel.enabledPath} disabled={locked} compact />}
            </header>
            <p className="stage-explanation">{panel.explanation}</p>
            {stageKey === 'pretrain' && <PretrainedStart disabled={locked} />}
            {panel.fields.map((path) => (
              <ConfigField key={path} path={path} disabled={locked} />
            ))}
            {panel.title === 'Data & model' && config.dataset.name === 'folder' && <FolderPicker />}
            <details className="advanced">
              <summary>More settings</summary>
              {panel.advanced.map((path) => (
                <ConfigField key={path} path={path} disabled={locked} />
              ))}
            </details>
          </section>
        );
      })}
    </nav>
  );
}
