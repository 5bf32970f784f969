import { useEffect, useState } from 'react';
import {
  ARCHITECTURE_CONFIG_PATHS,
  type ConfigFieldPath,
  type EncoderArchitecture,
  type FinetuneRecipe,
  architectureDifferences,
  architectureOf,
  configField,
  describeArchitecture,
  parseFinetuneRecipe,
  recipeChanges,
} from '../../core';
import { useLab } from '../store/labStore';
import { describeStart, useStartPoint } from '../store/startPoint';

/** The encoder this project trained with `npm run train` and ships in public/pretrained/. */
export const SHIPPED_ENCODER = 'cifar10-resnet18-w025';

/** The shipped encoder's card (public/pretrained/<name>.json, written by src/cli/exportEncoder.ts). */
export interface EncoderCard {
  name: string;
  title: string;
  architecture: EncoderArchitecture;
  parameters: number;
  data: { dataset: string; trainImages: number | null; testImages: number | null; which: string };
  epochs: number;
  steps: number;
  knnAccuracy: number | null;
  knnK: number;
  linearProbeAccuracy: number | null;
  minutes: number;
  imagesPerSecond: number;
  backend: string;
  machine: string;
  commit: string;
  trainedWith: string;
  /** How to fine-tune it on few labels (found by a sweep); checked when the card loads. */
  finetuneRecipe?: FinetuneRecipe;
  /** Why the card's recipe was not usable, if it was not. */
  recipeProblem?: string;
}

/** A card as fetched: its recipe is checked like any other input, and a bad one is set aside with the reason. */
function checkedCard(card: EncoderCard): EncoderCard {
  if (card.finetuneRecipe === undefined) return card;
  try {
    return { ...card, finetuneRecipe: parseFinetuneRecipe(card.finetuneRecipe) };
  } catch (error) {
    const { finetuneRecipe: _bad, ...rest } = card;
    return { ...rest, recipeProblem: error instanceof Error ? error.message : String(error) };
  }
}

/** "Fine-tune: linear, learning rate 0.005, …" in the field table's own labels. */
export function describeRecipe(recipe: FinetuneRecipe): string {
  return (Object.entries(recipe.settings) as [ConfigFieldPath, unknown][])
    .map(([path, value]) => `${configField(path).label.toLowerCase()} ${String(value)}`)
    .join(', ');
}

const cards = new Map<string, Promise<EncoderCard>>();

function loadCard(name: string): Promise<EncoderCard> {
  let card = cards.get(name);
  if (!card) {
    card = fetch(`${import.meta.env.BASE_URL}pretrained/${name}.json`).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (response.json() as Promise<EncoderCard>).then(checkedCard);
    });
    card.catch(() => cards.delete(name));
    cards.set(name, card);
  }
  return card;
}

export function useEncoderCard(name: string): { card: EncoderCard | null; error: string | null } {
  const [state, setState] = useState<{ card: EncoderCard | null; error: string | null }>({ card: null, error: null });
  useEffect(() => {
    let live = true;
    loadCard(name).then(
      (card) => live && setState({ card, error: null }),
      (error: unknown) => live && setState({ card: null, error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
  }, [name]);
  return state;
}

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** The card as a small definition list (Pretrain panel and About tab). */
export function EncoderCardView({ card }: { card: EncoderCard }) {
  return (
    <dl className="encoder-card" data-testid="encoder-card">
      <dt>Model</dt>
      <dd>{describeArchitecture(card.architecture)}</dd>
      <dt>Data</dt>
      <dd>
        {card.data.trainImages?.toLocaleString() ?? 'all'} unlabelled {card.data.dataset} training images, {card.epochs} epochs (
        {card.steps} steps)
      </dd>
      <dt>k-NN accuracy</dt>
      <dd>
        {percent(card.knnAccuracy)} (k = {card.knnK}, {card.data.testImages?.toLocaleString()} test images)
      </dd>
      <dt>Linear probe</dt>
      <dd>{percent(card.linearProbeAccuracy)}</dd>
      <dt>Trained on</dt>
      <dd>
        {card.machine}: {card.minutes} min ({card.imagesPerSecond} images/s on {card.backend}), commit {card.commit.slice(0, 9)}
      </dd>
      <dt>Recipe</dt>
      <dd>
        <code>{card.trainedWith}</code>
      </dd>
      {card.finetuneRecipe && (
        <>
          <dt>Fine-tuning recipe</dt>
          <dd>
            {describeRecipe(card.finetuneRecipe)} ({card.finetuneRecipe.found})
          </dd>
        </>
      )}
      {card.recipeProblem && (
        <>
          <dt>Fine-tuning recipe</dt>
          <dd>not usable: {card.recipeProblem}</dd>
        </>
      )}
    </dl>
  );
}

/**
 * "Start from pretrained": the shipped encoder (config field pretrain.init, so a share link starts
 * the same way), or a stored run / a file as the starting point. Either skips pretraining.
 */
export function PretrainedStart({ disabled }: { disabled: boolean }) {
  const config = useLab((s) => s.config);
  const setField = useLab((s) => s.setField);
  const addNotice = useLab((s) => s.addNotice);
  const start = useStartPoint((s) => s.start);
  const setStart = useStartPoint((s) => s.setStart);
  const { card, error } = useEncoderCard(SHIPPED_ENCODER);
  const shipped = config.pretrain.init !== null;
  const wanted = card?.architecture;
  const mismatch = shipped && wanted ? describeMismatch(wanted, architectureOf(config)) : null;
  const recipe = shipped ? (card?.finetuneRecipe ?? null) : null;
  const changes = recipe ? recipeChanges(config, recipe) : [];
  const applyRecipe = () => {
    for (const [path, value] of changes) setField(path, value);
    addNotice('info', `Fine-tuning now follows the encoder card's recipe: ${changes.map(([path]) => path).join(', ')}.`);
  };

  const chooseFile = async (file: File) => {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      setStart({ kind: 'file', name: file.name, bytes });
      if (shipped) setField('pretrain.init', null);
    } catch (caught) {
      addNotice('error', `Could not read ${file.name}: ${caught instanceof Error ? caught.message : String(caught)}`);
    }
  };

  return (
    <div className="pretrained-start" data-testid="pretrained-start">
      <div className="field">
        <label>
          <input
            type="checkbox"
            name="pretrain.init"
            checked={shipped}
            disabled={disabled}
            onChange={(e) => {
              setField('pretrain.init', e.target.checked ? SHIPPED_ENCODER : null);
              if (e.target.checked) setStart(null);
            }}
          />{' '}
          Start from pretrained
        </label>
        <span className="field-help">
          Skip pretraining: load the CIFAR-10 encoder this project trained with <code>npm run train</code>, then fine-tune and compare with
          supervised-only.
        </span>
      </div>
      {mismatch && (
        <p className="field-error" role="alert">
          The shipped encoder is {describeArchitecture(wanted!)}; this model differs ({mismatch}).{' '}
          <button type="button" disabled={disabled} onClick={() => matchModel(wanted!, setField)}>
            Use its model settings
          </button>
        </p>
      )}
      {recipe && (
        <p className="field-help" data-testid="finetune-recipe" data-follows={changes.length === 0}>
          {changes.length === 0 ? (
            <>Fine-tuning follows the card's recipe ({describeRecipe(recipe)}).</>
          ) : (
            <>
              The default fine-tuning settings suit a freshly pretrained network; for this encoder the card recommends{' '}
              {describeRecipe(recipe)} ({recipe.found}).{' '}
              <button type="button" disabled={disabled} onClick={applyRecipe}>
                Use the card's fine-tuning recipe
              </button>
            </>
          )}
        </p>
      )}
      {start && !shipped && (
        <p className="field-help" data-testid="start-point">
          Starting from {describeStart(start)} (pretraining skipped).{' '}
          <button type="button" disabled={disabled} onClick={() => setStart(null)}>
            Clear
          </button>
        </p>
      )}
      <label className="button-like">
        Start from a file…
        <input
          type="file"
          accept=".ckpt,.bin,.json,.gz"
          aria-label="Start from a checkpoint or weights file"
          hidden
          disabled={disabled}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void chooseFile(file);
            e.target.value = '';
          }}
        />
      </label>
      <details className="advanced">
        <summary>About the shipped encoder</summary>
        {card ? (
          <EncoderCardView card={card} />
        ) : (
          <p className="field-help">{error ? `The encoder card is not available (${error}).` : 'Loading…'}</p>
        )}
      </details>
    </div>
  );
}

function describeMismatch(wanted: EncoderArchitecture, current: EncoderArchitecture): string | null {
  const keys = architectureDifferences(wanted, current);
  return keys.length ? keys.map((key) => `${ARCHITECTURE_CONFIG_PATHS[key]} ${current[key]} ≠ ${wanted[key]}`).join(', ') : null;
}

function matchModel(wanted: EncoderArchitecture, setField: (path: ConfigFieldPath, value: unknown) => void): void {
  for (const key of Object.keys(ARCHITECTURE_CONFIG_PATHS) as (keyof EncoderArchitecture)[])
    setField(ARCHITECTURE_CONFIG_PATHS[key], wanted[key]);
}
