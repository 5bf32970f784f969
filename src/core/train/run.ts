import { type RunConfig, type StageName, stageNames } from '../config';
import { labelFractionSubset } from '../data/subsets';
import { Classifier, SimclrModel, modelSpecFromConfig, studentSpecFromConfig } from '../model';
import type {
  Checkpoint,
  CheckpointEvent,
  CheckpointListener,
  Dataset,
  RunControl,
  RunEventListener,
  RunSummary,
  StageSummary,
} from '../types';
import { classifierStage } from './classify';
import type { StageContext, StageResume } from './context';
import { log } from './context';
import { distillStage } from './distill';
import { emitEncoderViews } from './encoderViews';
import { architectureOf, checkEncoderFits, type PretrainedEncoder } from '../pretrained';
import { optimizerToRecord } from './optimizerState';
import { pretrainStage } from './pretrain';

export interface RunOptions {
  config: RunConfig;
  dataset: Dataset;
  /** Name of the active tfjs backend (and device), reported in events and summaries. */
  backend: string;
  onEvent: RunEventListener;
  /**
   * Receives each checkpoint (all weights and the optimiser state) and is awaited before its
   * weight-free 'checkpoint' event is emitted. Without it no weights are read back from the
   * backend: the events still say where checkpoints would have been taken.
   */
  onCheckpoint?: CheckpointListener;
  control?: RunControl;
  /** Continue from this checkpoint: completed stages are skipped, the stage in progress resumes. */
  resumeFrom?: Checkpoint;
  /** Emit similarity/embedding events every this many pretraining steps (0 = never, the default). */
  visualEverySteps?: number;
  /**
   * Start from this encoder (and projection head) instead of pretraining: the pretraining stage is
   * skipped. Required when `config.pretrain.init` names a shipped encoder (the host reads the file);
   * also accepted without it (any run's checkpoint or a weights file as the starting point).
   */
  initialEncoder?: PretrainedEncoder;
}

interface Models {
  pretrain?: SimclrModel;
  finetune?: Classifier;
  baseline?: Classifier;
  distill?: Classifier;
}

/** `fromPretrained`: the run starts from a given encoder (RunOptions.initialEncoder), so it does not pretrain. */
export function plannedStages(config: RunConfig, options: { fromPretrained?: boolean } = {}): StageName[] {
  const pretrains = config.pretrain.enabled && config.pretrain.init === null && !options.fromPretrained;
  return stageNames.filter((stage) => {
    if (stage === 'pretrain') return pretrains;
    if (stage === 'finetune') return config.finetune.enabled;
    if (stage === 'baseline') return config.finetune.enabled && config.finetune.baseline;
    return config.distill.enabled;
  });
}

/** The labelled images of a run: the official list where the dataset has one, else a balanced subset. */
export function labelledSubset(config: RunConfig, dataset: Dataset): Int32Array {
  const official = dataset.officialSubsets?.get(config.finetune.labelFraction);
  return official ?? labelFractionSubset(dataset.train.labels, config.finetune.labelFraction, config.seed);
}

/**
 * Runs the enabled stages in order: pretrain → fine-tune (+ supervised baseline) → distill.
 * Never throws for a training failure: the summary says `failed` with the error, and a `log` event
 * carries it; the hosts decide how to surface it.
 */
export async function runExperiment(options: RunOptions): Promise<RunSummary> {
  const { config, dataset, backend } = options;
  const emit = options.onEvent;
  const started = performance.now();
  const resume = options.resumeFrom;
  const completed: Partial<Record<StageName, StageSummary>> = { ...(resume?.completed ?? {}) };
  const models: Models = {};
  const numClasses = dataset.classNames.length;
  const encoderSpec = modelSpecFromConfig(config);
  let status: RunSummary['status'] = 'completed';
  let error: string | undefined;

  const stepsPerEpoch = new Map<StageName, number>();
  const stepsPerEpochOf = (stage: StageName) => stepsPerEpoch.get(stage);
  const ctx: StageContext = {
    config,
    dataset,
    backend,
    emit: (event) => {
      if (event.type === 'stage-start') stepsPerEpoch.set(event.stage, event.stepsPerEpoch);
      emit(event);
    },
    control: options.control,
    visualEverySteps: options.visualEverySteps ?? 0,
    saveCheckpoint: async (stage, step, optimizer, model) => {
      const event: CheckpointEvent = {
        type: 'checkpoint',
        time: Date.now(),
        stage,
        step,
        epoch: stepsPerEpochOf(stage) ? step / stepsPerEpochOf(stage)! : 0,
      };
      if (options.onCheckpoint) {
        const checkpoint: Checkpoint = {
          version: 1,
          stage,
          step,
          completed: { ...completed },
          models: await modelWeights(models),
          optimizer: await optimizerToRecord(optimizer, model),
          architecture: architectureOf(config),
        };
        // Stored first, announced second: whoever hears of a checkpoint can rely on it being there.
        await options.onCheckpoint(checkpoint, event);
      }
      emit(event);
    },
  };

  const resumeFor = (stage: StageName): StageResume | undefined =>
    resume && resume.stage === stage && !completed[stage] && resume.step > 0
      ? { step: resume.step, optimizer: resume.optimizer }
      : undefined;

  emit({ type: 'run-start', time: Date.now(), backend, config });
  if (resume) log(ctx, `resuming from a checkpoint of ${resume.stage} at step ${resume.step}`);
  try {
    const labelled = labelledSubset(config, dataset);
    const initial = options.initialEncoder;
    if (config.pretrain.init !== null && !initial && !resume) {
      throw new Error(
        `pretrain.init names the encoder "${config.pretrain.init}", but its weights were not loaded (the host reads public/pretrained/${config.pretrain.init}.ckpt)`,
      );
    }
    // A checkpoint past pretraining that never completed it belongs to a run that started from given weights.
    const resumedFromPretrained = resume !== undefined && resume.stage !== 'pretrain' && !resume.completed.pretrain;
    const stages = plannedStages(config, { fromPretrained: initial !== undefined || resumedFromPretrained });
    const probeClasses = stages.includes('pretrain') && config.pretrain.linearProbe ? numClasses : undefined;
    models.pretrain = new SimclrModel(encoderSpec, config.seed, { linearProbeClasses: probeClasses });
    if (resume?.models.pretrain) {
      models.pretrain.setWeights(resume.models.pretrain);
    } else if (initial) {
      checkEncoderFits(initial, config);
      try {
        models.pretrain.setWeights(initial.weights);
      } catch (mismatch) {
        throw new Error(`The pretrained encoder from ${initial.source} does not fit this run's model: ${(mismatch as Error).message}`);
      }
      log(ctx, `encoder loaded from ${initial.source}; pretraining skipped`);
      if (ctx.visualEverySteps > 0) await emitEncoderViews(ctx, models.pretrain);
    }

    for (const stage of stages) {
      if (completed[stage]) {
        restoreStageModel(stage);
        continue;
      }
      const stageResume = resumeFor(stage);
      if (stageResume) restoreStageModel(stage);
      const summary = await runStage(stage, stageResume);
      completed[stage] = summary;
      emit({ type: 'stage-end', time: Date.now(), stage, summary });
      if (summary.status === 'stopped') {
        status = 'stopped';
        break;
      }
    }

    function restoreStageModel(stage: StageName): void {
      const weights = resume?.models[stage];
      if (stage === 'pretrain' || !weights) return;
      const model = createStageModel(stage);
      model.setWeights(weights);
    }

    function createStageModel(stage: Exclude<StageName, 'pretrain'>): Classifier {
      models[stage]?.dispose();
      const k = config.finetune.fromProjectionLayer;
      if (stage === 'finetune') models.finetune = Classifier.fromPretrained(models.pretrain!, k, numClasses, config.seed + 1);
      else if (stage === 'baseline') models.baseline = Classifier.fromScratch(encoderSpec, k, numClasses, config.seed + 2);
      else models.distill = Classifier.fromScratch(studentSpecFromConfig(config), 0, numClasses, config.seed + 3);
      return models[stage]!;
    }

    async function runStage(stage: StageName, stageResume: StageResume | undefined): Promise<StageSummary> {
      if (stage === 'pretrain') return pretrainStage(ctx, models.pretrain!, labelled, stageResume);
      const model = stageResume ? models[stage]! : createStageModel(stage);
      if (stage === 'finetune' || stage === 'baseline') return classifierStage(ctx, stage, model, labelled, stageResume);
      const teacher = models.finetune ?? models.baseline;
      if (!teacher) throw new Error('distillation needs a teacher: enable finetune');
      const teacherAccuracy = (completed.finetune ?? completed.baseline)?.testAccuracy ?? 0;
      return distillStage(ctx, teacher, model, labelled, teacherAccuracy, stageResume);
    }
  } catch (caught) {
    status = 'failed';
    error = caught instanceof Error ? caught.message : String(caught);
    emit({ type: 'log', time: Date.now(), level: 'error', message: error });
  } finally {
    for (const model of Object.values(models)) (model as SimclrModel | Classifier).dispose();
  }
  const summary: RunSummary = {
    status,
    backend,
    seconds: (performance.now() - started) / 1000,
    stages: completed,
    ...(error ? { error } : {}),
  };
  emit({ type: 'run-end', time: Date.now(), summary });
  return summary;
}

async function modelWeights(models: Models): Promise<Checkpoint['models']> {
  const out: Checkpoint['models'] = {};
  for (const [name, model] of Object.entries(models) as [string, SimclrModel | Classifier][]) out[name] = await model.getWeightsAsync();
  return out;
}
