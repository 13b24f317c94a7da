"""The shared policy-gradient losses (rewriter.learn.algorithms) are, to the bit, the formulas
each trainer wrote out before they were shared: values and gradients alike."""

from __future__ import annotations

import pytest
import torch

from rewriter.learn.algorithms import approx_kl, ppo_loss, reinforce_loss, value_loss


def _inputs(seed: int, n: int = 37):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 5, generator=g, requires_grad=True)
    new = torch.log_softmax(logits, -1)[:, 0]
    old = (new + 0.3 * torch.randn(n, generator=g)).detach()
    adv = torch.randn(n, generator=g) * 3
    values = torch.randn(n, generator=g, requires_grad=True)
    returns = torch.randn(n, generator=g) * 2
    return logits, new, old, adv, values, returns


def _same(a: torch.Tensor, b: torch.Tensor, wrt: torch.Tensor) -> None:
    assert torch.equal(a, b)
    ga, = torch.autograd.grad(a, wrt, retain_graph=True)
    gb, = torch.autograd.grad(b, wrt, retain_graph=True)
    assert torch.equal(ga, gb)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("clip", [0.1, 0.2])
def test_ppo_is_the_trainers_clipped_objective(seed, clip):
    logits, new, old, adv, _, _ = _inputs(seed)
    # rewriter.learn.train, before
    ratio = (new - old).exp()
    before = -torch.min(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv).mean()
    _same(ppo_loss(new, old, adv, clip), before, logits)
    # rewriter.learn.construct.ppo, before (its KL estimate too)
    log_ratio = new - old
    ratio = log_ratio.exp()
    before = -torch.min(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv).mean()
    _same(ppo_loss(new, old, adv, clip), before, logits)
    assert torch.equal(approx_kl(new, old), ((ratio - 1) - log_ratio).mean().detach())
    assert not approx_kl(new, old).requires_grad


@pytest.mark.parametrize("seed", range(5))
def test_reinforce_is_the_trainers_formula(seed):
    logits, new, _, adv, values, returns = _inputs(seed)
    # the rewriter's arc and node formulations: a learned baseline, without its gradient
    before = -((returns - values.detach()) * new).mean()
    after = reinforce_loss(new, returns, values)
    _same(after, before, logits)
    assert torch.autograd.grad(after, values, allow_unused=True)[0] is None
    # MRT's DeepRM trainer: advantages computed beforehand
    _same(reinforce_loss(new, adv), -(new * adv).mean(), logits)


@pytest.mark.parametrize("seed", range(3))
def test_value_loss_is_the_mean_squared_error(seed):
    _, _, _, _, values, returns = _inputs(seed)
    _same(value_loss(values, returns), ((values - returns) ** 2).mean(), values)


def test_recorded_values():
    """Values computed with the formulas before they were shared (seed 0, clip 0.2)."""
    _, new, old, adv, values, returns = _inputs(0)
    assert ppo_loss(new, old, adv, 0.2).item() == pytest.approx(RECORDED["ppo"], abs=0, rel=0)
    assert reinforce_loss(new, returns, values).item() == pytest.approx(RECORDED["reinforce"],
                                                                        abs=0, rel=0)


RECORDED = {"ppo": 0.6621790528297424, "reinforce": 1.2358547449111938}
