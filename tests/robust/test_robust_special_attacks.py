import pytest
import torch
import torch.nn.functional as F

from deepnotes.robust import (AdversarialProgram, QueryCounter, eot_attack, evolve_fooling_image, fooling_images,
                              pgd, poison_dataset, random_physical_transform, stamp_trigger)

from .conftest import accuracy, mlp, train


def test_eot_attack_stays_in_budget(digits_cnn, digits):
    _, _, xt, yt = digits
    x, y, eps = xt[:120], yt[:120], 0.15
    plain = pgd(digits_cnn, x, y, eps=eps, alpha=eps / 4, steps=20)
    eot = eot_attack(digits_cnn, x, y, eps, steps=20, samples=6, generator=torch.Generator().manual_seed(0))
    assert (eot - x).abs().max() <= eps + 1e-6 and eot.min() >= 0 and eot.max() <= 1
    # the syllabus check (EOT survives random transforms better than plain PGD) was NOT reproduced on
    # the 8x8 digits CNN (0.587 vs 0.592 under 20-degree rotations): robustness.physical_attack is left open.


@pytest.mark.syllabus("robustness.adversarial_reprogramming")
def test_reprogramming_only_program_trains(digits_mlp):
    g = torch.Generator().manual_seed(0)
    # new task: 4x4 images with a horizontal (0) or vertical (1) bar
    y = torch.randint(0, 2, (200,), generator=g)
    pos = torch.randint(0, 4, (200,), generator=g)
    s = torch.zeros(200, 1, 4, 4)
    for i in range(200):
        if y[i] == 0:
            s[i, 0, pos[i], :] = 1
        else:
            s[i, 0, :, pos[i]] = 1
    before = {k: v.clone() for k, v in digits_mlp.state_dict().items()}
    prog = AdversarialProgram(digits_mlp, (1, 8, 8), (4, 4), label_map=[0, 1])
    opt = torch.optim.Adam([p for p in prog.parameters() if p.requires_grad], lr=0.1)
    assert [n for n, p in prog.named_parameters() if p.requires_grad] == ["weight"]
    for _ in range(100):
        loss = F.cross_entropy(prog(s), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for k, v in digits_mlp.state_dict().items():
        assert torch.equal(v, before[k])
    with torch.no_grad():
        assert float((prog(s).argmax(-1) == y).float().mean()) > 0.6
    with pytest.raises(ValueError, match="small"):
        prog(torch.zeros(1, 1, 5, 5))


@pytest.mark.syllabus("robustness.backdoor_attack")
def test_backdoor_keeps_clean_accuracy(digits):
    x, y, xt, yt = digits
    xp, yp, idx = poison_dataset(x, y, 0.05, target_class=0, generator=torch.Generator().manual_seed(0))
    assert len(idx) == round(0.05 * len(y)) and (yp[idx] == 0).all() and (xp[idx][..., -2:, -2:] == 1).all()
    clean_model = train(mlp(), x, y, steps=300, seed=3)
    bad_model = train(mlp(), xp, yp, steps=300, seed=3)
    keep = yt != 0
    asr = accuracy(bad_model, stamp_trigger(xt[keep]), torch.zeros_like(yt[keep]))
    assert abs(accuracy(bad_model, xt, yt) - accuracy(clean_model, xt, yt)) <= 0.02
    assert asr > 0.9
    assert accuracy(clean_model, stamp_trigger(xt[keep]), torch.zeros_like(yt[keep])) < 0.5
    with pytest.raises(ValueError, match="fraction"):
        poison_dataset(x, y, 1.5, target_class=0)


@pytest.mark.syllabus("robustness.fooling_images")
def test_fooling_images_confident_and_noisy(digits_mlp, digits):
    x = digits[0]
    tgt = torch.arange(10)
    imgs = fooling_images(digits_mlp, (1, 8, 8), tgt, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        p = digits_mlp(imgs).softmax(-1)[torch.arange(10), tgt]
    assert (p > 0.99).all() and imgs.min() >= 0 and imgs.max() <= 1
    tv = lambda z: ((z[..., 1:] - z[..., :-1]).abs().sum((-1, -2, -3))  # noqa: E731
                    + (z[..., 1:, :] - z[..., :-1, :]).abs().sum((-1, -2, -3)))
    assert tv(imgs).mean() > tv(x).mean()          # noisier than real digits: no naturalness prior


@pytest.mark.syllabus("robustness.evolutionary_fooling")
def test_evolution_uses_queries_only(digits_mlp):
    counter = QueryCounter(digits_mlp)
    for p in digits_mlp.parameters():
        p.grad = None
    for enc in ("direct", "cppn"):
        img, p, gens = evolve_fooling_image(counter, (1, 8, 8), target_class=3, encoding=enc,
                                            generations=500, generator=torch.Generator().manual_seed(0))
        assert p > 0.9 and gens <= 500 and img.shape == (1, 8, 8)
    assert counter.queries > 0
    assert all(p.grad is None for p in digits_mlp.parameters())
