import * as tf from '@tensorflow/tfjs';
import { finetuneAugmentOptions } from '../augment';
import { distillationLoss, softmaxCrossEntropy } from '../loss';
import type { Classifier } from '../model';
import { learningRateAt } from '../schedule';
import type { StageSummary } from '../types';
import { BatchPlan, STREAM, stepRng } from './batches';
import { supervisedHeadL2 } from '../optim';
import { batchLabels, evaluateClassifier } from './classify';
import type { StageContext, StageResume } from './context';
import { range } from './features';
import { trainingViews } from './views';
import { createStageOptimizer, restoreOptimizer } from './optimizerState';
import { runStageLoop, summarizeStage } from './stageLoop';

/**
 * Distillation on the unlabelled images: the fine-tuned teacher's tempered softmax is the target for
 * the student's tempered softmax (optionally mixed with the label loss on the labelled subset).
 * The teacher sees the same augmented view as the student and is never updated.
 */
export async function distillStage(
  ctx: StageContext,
  teacher: Classifier,
  student: Classifier,
  labelled: Int32Array,
  teacherAccuracy: number,
  resume?: StageResume,
): Promise<StageSummary> {
  const { config, dataset } = ctx;
  const d = config.distill;
  const imageSize = config.dataset.imageSize;
  const plan = new BatchPlan(range(dataset.train.count), d.batchSize, config.seed, STREAM.distill);
  const labelPlan = d.labelWeight > 0 ? new BatchPlan(labelled, d.batchSize, config.seed, STREAM.distillLabels) : null;
  const steps = plan.stepsFor(d.epochs);
  const optimizer = createStageOptimizer(d.optimizer, { learningRate: d.learningRate, momentum: d.momentum, weightDecay: d.weightDecay });
  if (resume) await restoreOptimizer(optimizer, resume.optimizer, student);
  const viewSource = trainingViews(dataset.train, finetuneAugmentOptions(config), 1);
  const variables = student.trainableVariables();

  const result = await runStageLoop({
    stage: 'distill',
    plan,
    totalSteps: steps,
    startStep: resume?.step ?? 0,
    imagesPerStep: plan.batchSize + (labelPlan?.batchSize ?? 0),
    emit: ctx.emit,
    control: ctx.control,
    checkpoint: (step) => ctx.saveCheckpoint('distill', step, optimizer, student),
    evaluate: async () => ({
      testAccuracy: await evaluateClassifier(student, dataset.train, range(dataset.train.count), dataset.test, imageSize, plan.batchSize),
      teacherAccuracy,
    }),
    prefetch: (next) => viewSource.prefetch(next),
    trainStep: async (step, batch) => {
      const learningRate = learningRateAt(step, { peak: d.learningRate, warmupSteps: 0, totalSteps: steps });
      optimizer.learningRate = learningRate;
      const rng = stepRng(config.seed, STREAM.distill, step);
      const [views] = await viewSource.read(batch, rng);
      const teacherLogits = tf.tidy(() => teacher.logits(views, false));
      let labelled_: { views: tf.Tensor4D; labels: tf.Tensor1D } | null = null;
      if (labelPlan) {
        const labelBatch = labelPlan.batch(step);
        const [labelViews] = await viewSource.read(labelBatch, rng);
        labelled_ = { views: labelViews, labels: batchLabels(dataset.train, labelBatch) };
      }
      const kept: { agreement?: tf.Scalar; loss?: tf.Scalar } = {};
      const total = optimizer.minimize(
        () => {
          const logits = student.logits(views, true);
          kept.agreement = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(teacherLogits, 1)), 'float32')) as tf.Scalar);
          const distill = distillationLoss(logits, teacherLogits, d.temperature);
          const loss = labelled_
            ? (tf.add(
                tf.mul(1 - d.labelWeight, distill),
                tf.mul(d.labelWeight, softmaxCrossEntropy(student.logits(labelled_.views, true), labelled_.labels)),
              ) as tf.Scalar)
            : distill;
          kept.loss = tf.keep(loss);
          // LARS leaves the classifier out of its decay; official run.py adds it to the loss instead.
          const l2 = supervisedHeadL2(d.optimizer, d.weightDecay, variables);
          return l2 ? tf.add(loss, l2) : loss;
        },
        true,
        variables,
      );
      const [lossValue, agreementValue] = await Promise.all([kept.loss!.data(), kept.agreement!.data()]);
      tf.dispose([total!, kept.loss!, kept.agreement!, views, teacherLogits]);
      if (labelled_) tf.dispose([labelled_.views, labelled_.labels]);
      if (!Number.isFinite(lossValue[0]))
        throw new Error(`distillation diverged at step ${step + 1}: loss is ${lossValue[0]} (try a lower learning rate)`);
      // "trainAccuracy" here is agreement with the teacher's top-1 on the unlabelled batch.
      return { loss: lossValue[0], trainAccuracy: agreementValue[0], learningRate };
    },
  });
  optimizer.dispose();
  return summarizeStage(
    'distill',
    result,
    plan.stepsPerEpoch,
    ctx.backend,
    result.lastMetrics.testAccuracy,
    labelPlan ? labelled.length : 0,
  );
}
