#!/usr/bin/env python3
"""Per-epoch table of pretraining runs from metrics.jsonl files (lab CLI or the PyTorch reference):
mean per-anchor NT-Xent loss over each epoch's logged steps and the k-NN accuracy at its end
(run with pretrain.knnEveryEpochs = 1; unfinished epochs are left out).

    python3 scripts/parity_table.py NAME=runs/x/metrics.jsonl NAME2=runs/y/metrics.jsonl ...
"""
import json
import math
import sys
from collections import defaultdict


def per_epoch(path):
    losses, knn = defaultdict(list), {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get('stage') != 'pretrain':
                continue
            # the lab (records carry `time`) writes epoch = step / steps per epoch after the step; the
            # reference writes the integer epoch the step belongs to
            epoch = math.ceil(r['epoch'] - 1e-9) - 1 if 'time' in r else int(r['epoch'])
            if 'loss' in r:
                losses[epoch].append(r['loss'])
            if 'knnAccuracy' in r:
                # the lab's monitor runs at the step that crosses an epoch end (epoch = 1.024 with a
                # repeated stream): it belongs to the epoch that just ended
                knn[round(r['epoch']) - 1 if 'time' in r else epoch] = r['knnAccuracy']
    # an epoch without its k-NN record is unfinished (the monitor runs at every epoch end): left out
    return {e: (sum(v) / len(v), knn[e]) for e, v in losses.items() if e in knn}


def main():
    runs = [arg.split('=', 1) for arg in sys.argv[1:]]
    tables = {name: per_epoch(path) for name, path in runs}
    epochs = sorted({e for t in tables.values() for e in t})
    print('| epoch | ' + ' | '.join(f'{n} loss | {n} k-NN' for n, _ in runs) + ' |')
    print('|---|' + '---|---|' * len(runs))
    for e in epochs:
        cells = []
        for name, _ in runs:
            loss, knn = tables[name].get(e, (None, None))
            cells.append('' if loss is None else f'{loss:.3f}')
            cells.append('' if knn is None else f'{100 * knn:.1f}')
        print(f'| {e + 1} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
