"""BigGAN building blocks: class-conditional BatchNorm, residual up/down blocks, projection
discriminator, hinge loss and orthogonal regularisation (a small 32x32 instance).

Syllabus: generative.biggan. Notes: 002 §8.6k; 003 L11G.20.

    CBN:  y = (1 + gamma_c) * BN(h) + beta_c, gamma_c, beta_c from class embeddings (+ shared z chunk)
    G:    z -> linear -> 4x4 -> [ResBlock-up]x3 -> 32x32 -> BN-ReLU-conv3x3 -> tanh
    D:    x -> [ResBlock-down]x3 -> ReLU -> global sum pool phi(x);  D(x, y) = w^T phi + <embed(y), phi>
    hinge: L_D = E relu(1 - D(x)) + E relu(1 + D(G(z))),  L_G = -E D(G(z))
    ortho: R = beta ||W^T W * (1 - I)||_F^2 (weights off-diagonal only)
All D convs carry spectral normalisation (gan_spectral_norm). Batch sizes are a training choice.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .gan_spectral_norm import spectral_norm

__all__ = ["ConditionalBatchNorm2d", "BigGANGenerator", "BigGANDiscriminator", "hinge_discriminator_loss",
           "hinge_generator_loss", "orthogonal_regularization"]


@syllabus("generative.biggan")
class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d without affine, then per-class gain 1 + gamma[y] and bias beta[y]."""

    def __init__(self, num_features: int, num_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gain = nn.Embedding(num_classes, num_features)
        self.bias = nn.Embedding(num_classes, num_features)
        nn.init.normal_(self.gain.weight, std=0.02)
        nn.init.zeros_(self.bias.weight)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g = 1 + self.gain(y)[:, :, None, None]                              # (B, C, 1, 1)
        b = self.bias(y)[:, :, None, None]
        return g * self.bn(h) + b


class _GBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, num_classes: int):
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm2d(c_in, num_classes), ConditionalBatchNorm2d(c_out, num_classes)
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1)

    def forward(self, h, y):
        x = F.interpolate(F.relu(self.bn1(h, y)), scale_factor=2)
        x = self.conv2(F.relu(self.bn2(self.conv1(x), y)))
        return x + self.skip(F.interpolate(h, scale_factor=2))              # (B, c_out, 2H, 2W)


class _DBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, first: bool):
        super().__init__()
        self.first = first
        self.conv1 = spectral_norm(nn.Conv2d(c_in, c_out, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.skip = spectral_norm(nn.Conv2d(c_in, c_out, 1))

    def forward(self, h):
        x = h if self.first else F.relu(h)
        x = F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2)
        return x + F.avg_pool2d(self.skip(h), 2)                            # (B, c_out, H/2, W/2)


@syllabus("generative.biggan")
class BigGANGenerator(nn.Module):
    """(z (B, latent_dim), y (B,)) -> image (B, out_channels, 32, 32) in [-1, 1]."""

    def __init__(self, latent_dim: int = 32, num_classes: int = 10, ch: int = 32, out_channels: int = 3):
        super().__init__()
        self.latent_dim, self.ch = latent_dim, ch
        self.linear = nn.Linear(latent_dim, 4 * 4 * 4 * ch)
        self.blocks = nn.ModuleList([_GBlock(4 * ch, 4 * ch, num_classes), _GBlock(4 * ch, 2 * ch, num_classes),
                                     _GBlock(2 * ch, ch, num_classes)])
        self.out_bn = nn.BatchNorm2d(ch)
        self.out = nn.Conv2d(ch, out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        expect(z.ndim == 2 and z.shape[1] == self.latent_dim, "z", f"(B, {self.latent_dim})", tuple(z.shape))
        h = self.linear(z).view(-1, 4 * self.ch, 4, 4)                      # (B, 4ch, 4, 4)
        for block in self.blocks:
            h = block(h, y)                                                  # 8, 16, 32
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


@syllabus("generative.biggan")
class BigGANDiscriminator(nn.Module):
    """Projection discriminator: logit (B, 1) = linear(phi(x)) + <embed(y), phi(x)>."""

    def __init__(self, num_classes: int = 10, ch: int = 32, in_channels: int = 3):
        super().__init__()
        self.blocks = nn.Sequential(_DBlock(in_channels, ch, True), _DBlock(ch, 2 * ch, False),
                                    _DBlock(2 * ch, 4 * ch, False))
        self.linear = spectral_norm(nn.Linear(4 * ch, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, 4 * ch))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        phi = F.relu(self.blocks(x)).sum(dim=(2, 3))                        # (B, 4ch)
        return self.linear(phi) + (self.embed(y) * phi).sum(1, keepdim=True)


@syllabus("generative.biggan")
def hinge_discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real_out).mean() + F.relu(1 + fake_out).mean()


@syllabus("generative.biggan")
def hinge_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    return -fake_out.mean()


@syllabus("generative.biggan")
def orthogonal_regularization(module: nn.Module, beta: float = 1e-4) -> torch.Tensor:
    """beta * sum over weight matrices W (out, -1) of ||W W^T (1 - I)||_F^2."""
    total = torch.zeros(())
    for name, p in module.named_parameters():
        if p.ndim >= 2 and "embed" not in name and "gain" not in name and "bias" not in name:
            w = p.flatten(1)                                                # (out, in)
            gram = w @ w.T
            total = total + (gram * (1 - torch.eye(len(w)))).pow(2).sum()
    return beta * total
