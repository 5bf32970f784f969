import { EncoderCardView, SHIPPED_ENCODER, useEncoderCard } from './PretrainedStart';

/**
 * The paper's headline numbers, for reference: ImageNet top-1 accuracy (%) with 1% and 10% of the
 * labels (Chen et al. 2020, "Big Self-Supervised Models are Strong Semi-Supervised Learners").
 */
const headline: { method: string; architecture: string; one: string; ten: string }[] = [
  { method: 'SimCLRv2 fine-tuned', architecture: 'ResNet-50 (1×)', one: '57.9', ten: '68.4' },
  { method: 'SimCLRv2 distilled', architecture: 'ResNet-50 (1×)', one: '73.9', ten: '77.5' },
];

export function AboutView() {
  const { card } = useEncoderCard(SHIPPED_ENCODER);
  return (
    <article className="about-view">
      <h2>The method</h2>
      <p>
        SimCLRv2 learns from few labels in three steps. <strong>Pretrain</strong> a big ResNet without labels: two augmented views of each
        image should have similar projections, and views of different images dissimilar (the NT-Xent loss). <strong>Fine-tune</strong> the
        network, keeping part of its projection head, on the small labelled subset. <strong>Distill</strong>: use the fine-tuned network as
        a teacher whose soft predictions on all unlabelled images train a student — the same network or a smaller one.
      </p>
      <p>
        The paper’s finding: the fewer the labels, the more a bigger pretrained network helps, and distillation keeps most of that gain in a
        smaller model.
      </p>
      <h3>Headline results (ImageNet top-1 %, from the paper)</h3>
      <table className="summary-table" data-testid="paper-table">
        <thead>
          <tr>
            <th>method</th>
            <th>architecture</th>
            <th>1% labels</th>
            <th>10% labels</th>
          </tr>
        </thead>
        <tbody>
          {headline.map((row) => (
            <tr key={row.method + row.architecture}>
              <td>{row.method}</td>
              <td>{row.architecture}</td>
              <td>{row.one}</td>
              <td>{row.ten}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="field-help">
        With 10% of the labels the distilled ResNet-50 (77.5%) outperforms standard supervised training of the same network with all of the
        labels. The runs in this lab are tiny by comparison — a few thousand small images for a few epochs — so expect the shape of these
        effects, not the numbers.
      </p>
      {card && (
        <>
          <h3>The shipped encoder</h3>
          <p>“Start from pretrained” (Pretrain panel) loads this encoder instead of pretraining in the browser.</p>
          <EncoderCardView card={card} />
        </>
      )}
      <p className="field-help">
        Chen, Kornblith, Swersky, Norouzi, Hinton. <em>Big Self-Supervised Models are Strong Semi-Supervised Learners.</em> NeurIPS 2020.
        arXiv:2006.10029.
      </p>
    </article>
  );
}
