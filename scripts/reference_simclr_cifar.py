#!/usr/bin/env python3
"""An independent PyTorch implementation of the lab's CIFAR-10 SimCLRv2 recipe, for parity checks.

It is not part of the product and not a dependency: it runs with Debian's python3-torch
(`/usr/bin/python3`, torch >= 1.13, numpy). It reads the exact images a lab run uses (written by
scripts/export-run-images.ts) and the resolved run config stored beside them, then runs the same
stages as the lab: contrastive pretraining with a k-NN monitor per epoch, fine-tuning from head layer
k on the labelled subset, the supervised-only baseline on the same labels, and distillation into a
student on all training images. Output: one JSON line per event (like the CLI's metrics.jsonl) and a
summary.

    npx tsx scripts/export-run-images.ts --config scripts/parity-cifar10.json --out runs/parity/data
    /usr/bin/python3 scripts/reference_simclr_cifar.py --data runs/parity/data --out runs/parity/ref-s0

Flags flip one ingredient at a time (controlled experiments); the defaults follow the official
google-research/simclr tf2 code where the lab's config does not say:
  --init official|torch|project   conv and head initialisation (see init_weights);
                                  --conv-init / --head-init set one of them
  --loss-scale 2|1                2 = official objective (both directions summed), 1 = mean over 2N
  --nesterov 1|0                  official `momentum` optimiser is Nesterov
  --first-shortcut 1|0            projection shortcut in the first block of stage 1 (official: 1)
  --batches stream|drop           pretraining batches from the official repeated stream (default, as the
                                  lab) or per-epoch shuffles with the last partial batch dropped
  --crop official|torchvision     crop sampler: official = TF's sample_distorted_bounding_box as the
                                  official data_util.py calls it (height uniform, area >= 0.1); torchvision
                                  = area uniform in [min, 1], log-uniform aspect, 10 tries (this script's
                                  only sampler until 2026-11-30)
  --resize bilinear|bicubic       how a crop goes back to the input size (official: bicubic)
  --stages pretrain,finetune,baseline,distill
  --check-step DIR                recompute one exported lab step (scripts/export-parity-step.ts)
"""

import argparse
import functools
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MOMENTUM = 0.1  # torch's convention: 1 - 0.9 (official batch_norm_decay 0.9)
BN_EPS = 1e-5


# ----------------------------------------------------------------------------- data

def load_data(folder):
    with open(os.path.join(folder, 'meta.json')) as f:
        meta = json.load(f)
    size = meta['imageSize']

    def read(name, count):
        raw = np.fromfile(os.path.join(folder, name), dtype=np.uint8)
        if raw.size != count * size * size * 3:
            sys.exit(f'{name}: {raw.size} bytes, expected {count} images of {size}x{size}x3')
        # HWC uint8 → NCHW float in [0, 1]
        return torch.from_numpy(raw.reshape(count, size, size, 3).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()

    train_y = torch.tensor(meta['trainLabels'], dtype=torch.long)
    test_y = torch.tensor(meta['testLabels'], dtype=torch.long)
    train_x = read('train.u8', len(train_y))
    test_x = read('test.u8', len(test_y))
    labelled = torch.tensor(meta['labelled'], dtype=torch.long)
    return meta['config'], train_x, train_y, test_x, test_y, labelled, len(meta['classNames'])


# ----------------------------------------------------------------------------- augmentation

CROP = {'sampler': 'torchvision', 'resize': 'bilinear'}  # set from --crop / --resize in main()


def sample_crop(height, width, min_area, gen):
    if CROP['sampler'] == 'official':
        return sample_crop_official(height, width, min_area, gen)
    return sample_crop_torchvision(height, width, min_area, gen)


def sample_crop_official(height, width, min_area, gen, min_covered=0.1, attempts=100):
    """TF's sample_distorted_bounding_box with a whole-image box, as official data_util.crop_and_resize
    calls it: aspect uniform in [3/4, 4/3]; the height is a uniform integer between the heights of the
    smallest and largest area at that aspect (so small crops are likelier than under a uniform area);
    a box must cover min_covered of the image; offsets uniform in [0, size - crop - 1]; the whole image
    after `attempts` failures. Python's round() rounds half to even, as C's lrintf."""
    pixels = height * width
    lo_px, hi_px = min_area * pixels, float(pixels)
    rand = lambda: torch.rand(1, generator=gen).item()
    randint = lambda n: int(torch.randint(0, n, (1,), generator=gen))
    for _ in range(attempts):
        aspect = 3 / 4 + (4 / 3 - 3 / 4) * rand()
        h = round(math.sqrt(lo_px / aspect))
        h_max = round(math.sqrt(hi_px / aspect))
        if round(h_max * aspect) > width:
            h_max = int((width + 0.5 - 1e-7) / aspect)
            if round(h_max * aspect) > width:
                h_max -= 1
        h_max = min(h_max, height)
        h = min(h, h_max)
        if h < h_max:
            h += randint(h_max - h + 1)
        w = round(h * aspect)
        if w * h < lo_px:
            h += 1
            w = round(h * aspect)
        if w * h > hi_px:
            h -= 1
            w = round(h * aspect)
        if not (lo_px <= w * h <= hi_px and 0 < w <= width and 0 < h <= height):
            continue
        if w * h / pixels < min_covered:
            continue
        top = randint(height - h) if h < height else 0
        left = randint(width - w) if w < width else 0
        return top, left, h, w
    return 0, 0, height, width


def sample_crop_torchvision(height, width, min_area, gen):
    """Area uniform in [min_area, 1] and log-uniform aspect in [3/4, 4/3], 10 tries, else the whole image."""
    area = height * width
    for _ in range(10):
        target = area * (min_area + (1 - min_area) * torch.rand(1, generator=gen).item())
        log_ratio = math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * torch.rand(1, generator=gen).item()
        aspect = math.exp(log_ratio)
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=gen))
            left = int(torch.randint(0, width - w + 1, (1,), generator=gen))
            return top, left, h, w
    return 0, 0, height, width


@functools.lru_cache(maxsize=None)
def keys_matrix(size, out):
    """[out, size] weights of TF 2's tf.image.resize(BICUBIC) along one axis (torch's own bicubic is
    a = -0.75 with replicated edges): Keys' cubic a = -0.5 at half-pixel centres, taps outside the
    axis dropped and the rest renormalised."""
    def cubic(t, a=-0.5):
        t = abs(t)
        if t <= 1:
            return ((a + 2) * t - (a + 3)) * t * t + 1
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a if t < 2 else 0.0
    m = torch.zeros(out, size)
    for i in range(out):
        pos = (i + 0.5) * size / out - 0.5
        base = math.floor(pos)
        taps = [(j, cubic(pos - j)) for j in range(base - 1, base + 3) if 0 <= j < size]
        total = sum(w for _, w in taps)
        for j, w in taps:
            m[i, j] = w / total
    return m


def crop_flip(x, min_area, gen):
    """Random resized crop (resized back to the input size, --resize) and horizontal flip p=0.5, per image."""
    n, _, height, width = x.shape
    out = torch.empty_like(x)
    for i in range(n):
        top, left, h, w = sample_crop(height, width, min_area, gen)
        patch = x[i:i + 1, :, top:top + h, left:left + w]
        if CROP['resize'] == 'bicubic':
            # rows then columns; cubic overshoot is clipped here (the official pipeline clips after its jitter)
            patch = torch.einsum('sh,nchw,tw->ncst', keys_matrix(h, height), patch, keys_matrix(w, width)).clamp(0, 1)
        else:
            patch = F.interpolate(patch, size=(height, width), mode='bilinear', align_corners=False)
        if torch.rand(1, generator=gen).item() < 0.5:
            patch = patch.flip(3)
        out[i] = patch[0]
    return out


def rgb_to_hsv(x):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    delta = maxc - minc
    s = torch.where(maxc > 0, delta / maxc.clamp_min(1e-12), torch.zeros_like(maxc))
    safe = delta.clamp_min(1e-12)
    h = torch.where(maxc == r, (g - b) / safe, torch.where(maxc == g, (b - r) / safe + 2, (r - g) / safe + 4))
    h = torch.where(delta > 0, h, torch.zeros_like(h))
    h = (h / 6) % 1.0
    return h, s, maxc


def hsv_to_rgb(h, s, v):
    def channel(n):
        k = (n + h * 6) % 6
        return v - v * s * torch.clamp(torch.minimum(k, 4 - k), 0, 1)
    return torch.stack([channel(5), channel(3), channel(1)], 1)


def per_image(values):
    return values.view(-1, 1, 1, 1)


def colour_op(op, x, factor):
    if op == 0:  # brightness: multiplicative
        y = x * per_image(factor)
    elif op == 1:  # contrast: blend with each channel's mean (tf.image.adjust_contrast)
        mean = x.mean((2, 3), keepdim=True)
        y = (x - mean) * per_image(factor) + mean
    elif op == 2:  # saturation: scale S in HSV (tf.image.adjust_saturation)
        h, s, v = rgb_to_hsv(x)
        y = hsv_to_rgb(h, (s * factor.view(-1, 1, 1)).clamp(0, 1), v)
    else:  # hue: rotate H (tf.image.adjust_hue), factor in turns
        h, s, v = rgb_to_hsv(x)
        y = hsv_to_rgb((h + factor.view(-1, 1, 1)) % 1.0, s, v)
    return y.clamp(0, 1)


def colour_distort(x, strength, grayscale_p, gen):
    """Official colour jitter (p=0.8, random order per image, each op clipped) then grayscale (p)."""
    n = x.shape[0]
    if strength > 0:
        b = 0.8 * strength
        lo = max(0.0, 1 - b)
        factors = [lo + (1 + b - lo) * torch.rand(n, generator=gen) for _ in range(3)]
        hue = min(0.5, 0.2 * strength)
        factors.append((torch.rand(n, generator=gen) * 2 - 1) * hue)
        apply = torch.rand(n, generator=gen) < 0.8
        orders = torch.stack([torch.randperm(4, generator=gen) for _ in range(n)])
        for position in range(4):
            for op in range(4):
                chosen = apply & (orders[:, position] == op)
                if chosen.any():
                    idx = chosen.nonzero().flatten()
                    x[idx] = colour_op(op, x[idx], factors[op][idx])
    grey = torch.rand(n, generator=gen) < grayscale_p
    if grey.any():
        idx = grey.nonzero().flatten()
        luma = (x[idx] * torch.tensor([0.2989, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        x[idx] = luma.expand(-1, 3, -1, -1)
    return x.clamp(0, 1)


def pretrain_view(x, cfg, gen):
    p = cfg['pretrain']
    return colour_distort(crop_flip(x, p['cropMinArea'], gen), p['colorJitterStrength'], p['grayscaleProbability'], gen)


def finetune_view(x, gen):
    return crop_flip(x, 0.08, gen)


# ----------------------------------------------------------------------------- model

def bn(channels, zero=False):
    layer = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
    nn.init.constant_(layer.weight, 0.0 if zero else 1.0)
    return layer


def bn1d(channels, center=True):
    layer = nn.BatchNorm1d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
    if not center:
        layer.bias.requires_grad_(False)
    return layer


def conv(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride, padding=(k - 1) // 2, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, projection):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, 3, stride), bn(cout)
        self.conv2, self.bn2 = conv(cout, cout, 3, 1), bn(cout, zero=True)
        self.shortcut = nn.Sequential(conv(cin, cout, 1, stride), bn(cout)) if projection else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class Resnet18Cifar(nn.Module):
    """CIFAR ResNet-18: 3x3 stride-1 stem + BN + ReLU, no max-pool; basic blocks [2, 2, 2, 2]."""

    def __init__(self, width, first_shortcut):
        super().__init__()
        ch = lambda c: max(1, round(c * width))
        self.stem = nn.Sequential(conv(3, ch(64), 3, 1), bn(ch(64)), nn.ReLU())
        blocks, cin = [], ch(64)
        for stage, c in enumerate([64, 128, 256, 512]):
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                projection = (i == 0 and first_shortcut) or stride != 1 or cin != ch(c)
                blocks.append(BasicBlock(cin, ch(c), stride, projection))
                cin = ch(c)
        self.blocks = nn.Sequential(*blocks)
        self.dim = cin

    def forward(self, x):
        return self.blocks(self.stem(x)).mean((2, 3))


class Head(nn.Module):
    """SimCLRv2 head: `layers` dense layers without bias + BN; hidden ones keep the width (+ ReLU), the
    last projects to `out` with BN without offset. `keep` builds only the first layers (for classifiers)."""

    def __init__(self, dim, layers, out, keep=None):
        super().__init__()
        keep = layers if keep is None else keep
        self.dense, self.norm, self.relu = nn.ModuleList(), nn.ModuleList(), []
        for j in range(keep):
            last = j == layers - 1
            self.dense.append(nn.Linear(dim, out if last else dim, bias=False))
            self.norm.append(bn1d(out if last else dim, center=not last))
            self.relu.append(not last)
        self.out_dim = (out if keep == layers else dim) if keep > 0 else dim

    def forward(self, h):
        for d, n, r in zip(self.dense, self.norm, self.relu):
            h = n(d(h))
            if r:
                h = F.relu(h)
        return h


class Classifier(nn.Module):
    def __init__(self, encoder, head, classes):
        super().__init__()
        self.encoder, self.head = encoder, head
        self.linear = nn.Linear(head.out_dim, classes)
        nn.init.normal_(self.linear.weight, 0, 0.01)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.linear(self.head(self.encoder(x)))


def truncated_normal_(tensor, std):
    # tf's truncated normal cuts at ±2σ; VarianceScaling widens σ so the kept values have std `std`
    sigma = std / 0.87962566103423978
    return nn.init.trunc_normal_(tensor, 0.0, sigma, -2 * sigma, 2 * sigma)


def init_weights(module, conv_scheme, head_scheme):
    """official: conv VarianceScaling(1, fan_in, truncated normal); head dense N(0, 0.01²).
    torch: PyTorch's defaults (kaiming-uniform with a=√5, i.e. U(±1/√fan_in)) for both.
    project (the lab before this comparison): conv He-normal fan_out; head dense N(0, 1/fan_in)."""
    if conv_scheme != 'torch':
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
                if conv_scheme == 'official':
                    truncated_normal_(m.weight, math.sqrt(1.0 / fan_in))
                else:
                    nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))
    if isinstance(module, Head) and head_scheme != 'torch':
        for d in module.dense:
            nn.init.normal_(d.weight, 0, 0.01 if head_scheme == 'official' else math.sqrt(1.0 / d.in_features))


def is_bn(name, param):
    return param.ndim == 1 and 'linear' not in name  # BN gammas/betas; the classifier bias is decayed (official L2 on all non-BN)


def make_optimizer(params_named, opt_cfg, nesterov, lr):
    decay = [p for n, p in params_named if p.requires_grad and not is_bn(n, p)]
    no_decay = [p for n, p in params_named if p.requires_grad and is_bn(n, p)]
    groups = [{'params': decay, 'weight_decay': opt_cfg['weightDecay']}, {'params': no_decay, 'weight_decay': 0.0}]
    name = opt_cfg['optimizer']
    if name == 'sgd':
        return torch.optim.SGD(groups, lr=lr, momentum=opt_cfg['momentum'], nesterov=nesterov and opt_cfg['momentum'] > 0)
    if name == 'adam':
        return torch.optim.Adam(groups, lr=lr)  # weight_decay here = L2 in the loss, as official adam
    if name == 'adamw':
        return torch.optim.AdamW(groups, lr=lr)
    sys.exit(f'optimizer {name} is not implemented in the reference (use sgd, adam or adamw)')


def lr_at(step, peak, warmup, total):
    if warmup > 0 and step < warmup:
        return peak * step / warmup
    if total - warmup <= 0:
        return peak
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / (total - warmup))))


# ----------------------------------------------------------------------------- objectives and monitors

def official_ntxent(z1, z2, tau):
    """Official objective: CE of each view-1 anchor over [view-2 candidates, other view-1s] plus the same
    from view 2, each a mean over N (= 2 × the mean over 2N anchors). Also the official accuracy."""
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    n = z1.shape[0]
    mask = torch.eye(n) * 1e9
    ab, ba = z1 @ z2.t() / tau, z2 @ z1.t() / tau
    aa, bb = z1 @ z1.t() / tau - mask, z2 @ z2.t() / tau - mask
    target = torch.arange(n)
    loss = F.cross_entropy(torch.cat([ab, aa], 1), target) + F.cross_entropy(torch.cat([ba, bb], 1), target)
    accuracy = (ab.argmax(1) == target).float().mean().item()
    return loss, accuracy


@torch.no_grad()
def features(fn, x, batch=500):
    return torch.cat([fn(x[i:i + batch]) for i in range(0, len(x), batch)])


@torch.no_grad()
def knn_accuracy(train_f, train_y, test_f, test_y, k, classes, t=0.1):
    train_f, test_f = F.normalize(train_f, dim=1), F.normalize(test_f, dim=1)
    sims, idx = (test_f @ train_f.t()).topk(min(k, len(train_f)), dim=1)
    votes = torch.zeros(len(test_f), classes).scatter_add_(1, train_y[idx], (sims / t).exp())
    return (votes.argmax(1) == test_y).float().mean().item()


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    pred = features(lambda b: model(b).argmax(1).float(), x).long()
    return (pred == y).float().mean().item()


def emit(out, record):
    print(json.dumps(record), flush=True)
    out.write(json.dumps(record) + '\n')
    out.flush()


# ----------------------------------------------------------------------------- stages

def pretrain(cfg, args, model, head, train_x, train_y, test_x, test_y, classes, gen, log):
    p = cfg['pretrain']
    n, batch = len(train_x), min(p['batchSize'], len(train_x))
    if args.batches == 'stream':
        # official input pipeline (shuffle, repeat, batch), as the lab: the epochs' permutations are
        # concatenated and step s takes images [s*B, (s+1)*B) of that stream; no image is dropped
        per_epoch = n / batch
        total = max(1, math.ceil(round(p['epochs'] * n) / batch))
        stream = torch.cat([torch.randperm(n, generator=gen) for _ in range(math.ceil(total * batch / n))])
    else:
        per_epoch = max(1, n // batch)  # the last partial batch is dropped (equal contrastive batches)
        total = max(1, round(p['epochs'] * per_epoch))
    warmup = round(p['warmupEpochs'] * per_epoch)
    peak = p['learningRate'] * (batch / 256 if p['learningRateScaling'] == 'linear' else math.sqrt(batch))
    params = [('encoder.' + k, v) for k, v in model.named_parameters()] + [('head.' + k, v) for k, v in head.named_parameters()]
    opt = make_optimizer(params, p, args.nesterov, peak)
    step, order, start = 0, None, time.time()
    while step < total:
        if args.batches == 'stream':
            epoch = step * batch // n  # the epoch of the batch's first image
            ids = stream[step * batch:(step + 1) * batch]
            ends_epoch = (step + 1) * batch // n > step * batch // n
        else:
            epoch = step // per_epoch
            if step % per_epoch == 0:
                order = torch.randperm(n, generator=gen)
            ids = order[(step % per_epoch) * batch:(step % per_epoch + 1) * batch]
            ends_epoch = (step + 1) % per_epoch == 0
        for g in opt.param_groups:
            g['lr'] = lr_at(step, peak, warmup, total)
        model.train(), head.train()
        x = train_x[ids]
        views = torch.cat([pretrain_view(x.clone(), cfg, gen), pretrain_view(x.clone(), cfg, gen)])
        z = head(model(views))
        loss, acc = official_ntxent(z[:len(ids)], z[len(ids):], p['temperature'])
        opt.zero_grad()
        (loss * (args.loss_scale / 2)).backward()
        opt.step()
        step += 1
        # per-anchor value (= official / 2) is what the lab charts as `loss`
        record = {'stage': 'pretrain', 'step': step, 'epoch': epoch, 'loss': loss.item() / 2, 'contrastiveAccuracy': acc,
                  'learningRate': opt.param_groups[0]['lr']}
        if ends_epoch or step == total:
            model.eval()
            record['knnAccuracy'] = knn_accuracy(features(model, train_x), train_y, features(model, test_x), test_y, p['knnK'], classes)
            record['seconds'] = time.time() - start
        emit(log, record)
    return record.get('knnAccuracy')


def supervised(stage, cfg, args, model, train_x, train_y, labelled, test_x, test_y, gen, log, teacher=None):
    """Fine-tune / baseline (labels, cross-entropy) or distillation (teacher's tempered softmax on all images)."""
    s = cfg['distill'] if stage == 'distill' else cfg['finetune']
    ids_all = torch.arange(len(train_x)) if stage == 'distill' else labelled
    n, batch = len(ids_all), min(s['batchSize'], len(ids_all))
    per_epoch = math.ceil(n / batch)  # every image every epoch (the last batch may be smaller)
    total = max(1, round(s['epochs'] * per_epoch))
    opt = make_optimizer(list(model.named_parameters()), s, args.nesterov, s['learningRate'])
    label_w = s.get('labelWeight', 0) if stage == 'distill' else 1.0
    step, start = 0, time.time()
    while step < total:
        epoch = step // per_epoch
        if step % per_epoch == 0:
            order = ids_all[torch.randperm(n, generator=gen)]
        ids = order[(step % per_epoch) * batch:(step % per_epoch + 1) * batch]
        for g in opt.param_groups:
            g['lr'] = lr_at(step, s['learningRate'], 0, total)
        model.train()
        views = finetune_view(train_x[ids], gen)
        if stage == 'distill':
            with torch.no_grad():
                teacher.eval()
                target = F.softmax(teacher(views) / s['temperature'], 1)
            loss = -(target * F.log_softmax(model(views) / s['temperature'], 1)).sum(1).mean()
            if label_w > 0:
                lids = labelled[torch.randint(0, len(labelled), (min(batch, len(labelled)),), generator=gen)]
                lab = F.cross_entropy(model(finetune_view(train_x[lids], gen)), train_y[lids])
                loss = (1 - label_w) * loss + label_w * lab
        else:
            loss = F.cross_entropy(model(views), train_y[ids])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % per_epoch == 0 or step == total:
            emit(log, {'stage': stage, 'step': step, 'epoch': epoch, 'loss': loss.item(),
                       'testAccuracy': accuracy(model, test_x, test_y), 'seconds': time.time() - start})
    return accuracy(model, test_x, test_y)


def check_step(folder, threads):
    """Recomputes the lab's exported forward/backward (scripts/export-parity-step.ts) from the same
    weights and views; prints the loss and, per variable, the relative gradient difference."""
    torch.set_num_threads(threads)
    with open(os.path.join(folder, 'step.json')) as f:
        step = json.load(f)
    # the lab's ResNet has a projection shortcut in block1_1 as the official one; older exports did not
    first_shortcut = any(path.startswith('encoder/block1_1/shortcut/') for path in step['weights'])
    encoder = Resnet18Cifar(step['widthMultiplier'], first_shortcut=first_shortcut)
    head = Head(encoder.dim, step['projectionLayers'], step['projectionDim'])

    def tensor(record):
        return torch.tensor(record['data'], dtype=torch.float32).view(record['shape'])

    def target(path):
        """The torch tensor that holds the lab variable at `path`, and how to convert its layout."""
        parts = path.split('/')
        kind = parts[-1]
        if parts[0] == 'head':
            j = int(parts[1][-1])
            if parts[1].startswith('dense'):
                return head.dense[j].weight, lambda t: t.t()
            norm = head.norm[j]
        else:
            if parts[1] == 'stem':
                conv_m, bn_m = encoder.stem[0], encoder.stem[1]
                layer = parts[2]
            else:
                stage, index = (int(x) for x in parts[1][len('block'):].split('_'))
                block = encoder.blocks[(stage - 1) * 2 + index - 1]
                if parts[2] == 'shortcut':
                    conv_m, bn_m = block.shortcut[0], block.shortcut[1]
                    layer = parts[3]
                else:
                    layer = parts[2]
                    conv_m, bn_m = getattr(block, layer.replace('bn', 'conv')), getattr(block, layer.replace('conv', 'bn'))
            if layer.startswith('conv'):
                return conv_m.weight, lambda t: t.permute(3, 2, 0, 1)
            norm = bn_m
        return {'gamma': norm.weight, 'beta': norm.bias, 'movingMean': norm.running_mean,
                'movingVariance': norm.running_var}[kind], lambda t: t

    with torch.no_grad():
        for path, record in step['weights'].items():
            dest, convert = target(path)
            value = convert(tensor(record))
            if dest.shape != value.shape:
                sys.exit(f'{path}: lab shape {list(value.shape)} vs reference {list(dest.shape)}')
            dest.copy_(value)
    views = tensor(step['views']).permute(0, 3, 1, 2).contiguous()
    encoder.train(), head.train()
    z = head(encoder(views))
    n = views.shape[0] // 2
    loss, _ = official_ntxent(z[:n], z[n:], step['temperature'])
    loss.backward()
    print(f"loss per anchor: lab {step['loss']:.6f}  reference {loss.item() / 2:.6f}")
    worst = 0.0
    for path, record in step['gradients'].items():
        dest, convert = target(path)
        lab = convert(tensor(record))
        ref = dest.grad
        rel = ((lab - ref).norm() / ref.norm().clamp_min(1e-12)).item()
        worst = max(worst, rel)
        print(f'{path:40s} |g| lab {lab.norm():.4e} ref {ref.norm():.4e}  rel. diff {rel:.2e}')
    for path, record in step['movingAfter'].items():
        dest, convert = target(path)
        rel = ((tensor(record) - dest).norm() / dest.norm()).item()
        if rel > 1e-3:
            print(f'{path:40s} moving statistic differs: rel. diff {rel:.2e}')
    print(f'largest relative gradient difference: {worst:.2e}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', help='folder written by scripts/export-run-images.ts')
    ap.add_argument('--out')
    ap.add_argument('--check-step', help='folder written by scripts/export-parity-step.ts: compare one step and exit')
    ap.add_argument('--seed', type=int, default=None, help='torch seed (default: the config seed)')
    ap.add_argument('--init', choices=['official', 'torch', 'project'], default='official', help='conv and head init')
    ap.add_argument('--conv-init', choices=['official', 'torch', 'project'], default=None, help='overrides --init for convs')
    ap.add_argument('--head-init', choices=['official', 'torch', 'project'], default=None, help='overrides --init for the head')
    ap.add_argument('--loss-scale', type=float, default=2.0)
    ap.add_argument('--nesterov', type=int, default=1)
    ap.add_argument('--first-shortcut', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--stages', default='pretrain,finetune,baseline,distill')
    ap.add_argument('--batches', choices=['stream', 'drop'], default='stream',
                    help='pretraining batches: stream = official repeated stream, every image used (the lab); '
                         'drop = per-epoch shuffle, last partial batch dropped (this script before 2026-11-30)')
    ap.add_argument('--crop', choices=['official', 'torchvision'], default='official')
    ap.add_argument('--resize', choices=['bilinear', 'bicubic'], default='bicubic',
                    help='bilinear = this script until 2026-11-30; bicubic = the official pipeline (and the lab since then)')
    ap.add_argument('--set', action='append', default=[], help='override a config field, path=value (JSON value)')
    args = ap.parse_args()
    if args.check_step:
        return check_step(args.check_step, args.threads)
    if not args.data or not args.out:
        ap.error('--data and --out are required (or --check-step)')
    torch.set_num_threads(args.threads)
    CROP['sampler'], CROP['resize'] = args.crop, args.resize
    cfg, train_x, train_y, test_x, test_y, labelled, classes = load_data(args.data)
    for item in args.set:
        path, value = item.split('=', 1)
        node = cfg
        keys = path.split('.')
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = json.loads(value)
    seed = cfg['seed'] if args.seed is None else args.seed
    inits = (args.conv_init or args.init, args.head_init or args.init)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    os.makedirs(args.out, exist_ok=True)
    stages = args.stages.split(',')
    summary = {'args': vars(args), 'config': cfg}
    m = cfg['model']
    k = cfg['finetune']['fromProjectionLayer']
    with open(os.path.join(args.out, 'metrics.jsonl'), 'w') as log:
        encoder = Resnet18Cifar(m['widthMultiplier'], args.first_shortcut)
        head = Head(encoder.dim, m['projectionLayers'], m['projectionDim'])
        init_weights(encoder, *inits), init_weights(head, *inits)
        if 'pretrain' in stages:
            summary['knnAccuracy'] = pretrain(cfg, args, encoder, head, train_x, train_y, test_x, test_y, classes, gen, log)
        teacher = None
        if 'finetune' in stages:
            keep = Head(encoder.dim, m['projectionLayers'], m['projectionDim'], keep=k)
            keep.dense, keep.norm = head.dense[:k], head.norm[:k]
            teacher = Classifier(encoder, keep, classes)
            summary['finetune'] = supervised('finetune', cfg, args, teacher, train_x, train_y, labelled, test_x, test_y, gen, log)
        if 'baseline' in stages:
            enc = Resnet18Cifar(m['widthMultiplier'], args.first_shortcut)
            hd = Head(enc.dim, m['projectionLayers'], m['projectionDim'], keep=k)
            init_weights(enc, *inits), init_weights(hd, *inits)
            summary['baseline'] = supervised('baseline', cfg, args, Classifier(enc, hd, classes), train_x, train_y, labelled, test_x, test_y, gen, log)
        if 'distill' in stages and teacher is not None:
            d = cfg['distill']
            enc = Resnet18Cifar(d['studentWidthMultiplier'], args.first_shortcut)
            init_weights(enc, *inits)
            student = Classifier(enc, Head(enc.dim, 0, 0, keep=0), classes)
            summary['distill'] = supervised('distill', cfg, args, student, train_x, train_y, labelled, test_x, test_y, gen, log, teacher)
    with open(os.path.join(args.out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(json.dumps({k: v for k, v in summary.items() if k not in ('args', 'config')}))


if __name__ == '__main__':
    main()
