"""The Child-Sum Tree-LSTM recurrence without torch's per-level overhead.

Batched per level, torch pays call overhead on every level and, worse, its autograd copies the
whole state buffer on every in-place level write, so a training update costs O(nodes x levels).
Inference on one graph walks the nodes once in topological order in a numba kernel; training
batches go one whole level at a time with numpy matrix products and a hand-written backward
pass, wrapped as the torch autograd function :class:`TreeLSTMFunction`. The plain torch version
in :mod:`rewriter.learn.encoder` stays as the reference the tests compare values and gradients
against.

Shapes: ``gates`` (N, 4H) holds each node's own i, o, u, f pre-activations; ``parents`` (N, P)
parent rows (always earlier rows), N for padding; ``u_iou_t`` (H, 3H) and ``u_f_t`` (H, H) are
the parent weights transposed (in, out) so the inner loops run over contiguous memory.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit


@njit(cache=True, inline="always")
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@njit(cache=True)
def tree_lstm_forward(gates, parents, u_iou_t, u_f_t, hidden, cells, states):
    """Fill ``states`` and ``cells`` (N+1, H; row N stays zero), nodes in row order.

    The parents' states are summed before the i, o, u product (the Child-Sum form), so that
    product runs once per node rather than once per parent."""
    n = gates.shape[0]
    hid = hidden
    n_par = parents.shape[1]
    iou = np.empty(3 * hid, np.float32)
    hsum = np.empty(hid, np.float32)
    fg = np.empty(hid, np.float32)
    for v in range(n):
        for t in range(hid):
            hsum[t] = 0.0
        for k in range(n_par):
            p = parents[v, k]
            if p < n:
                for t in range(hid):
                    hsum[t] += states[p, t]
        for j in range(3 * hid):
            iou[j] = gates[v, j]
        for t in range(hid):
            s = hsum[t]
            if s != 0.0:
                for j in range(3 * hid):
                    iou[j] += s * u_iou_t[t, j]
        for j in range(hid):
            cells[v, j] = _sigmoid(iou[j]) * np.tanh(iou[2 * hid + j])
        for k in range(n_par):
            p = parents[v, k]
            if p < n:
                for j in range(hid):
                    fg[j] = gates[v, 3 * hid + j]
                for t in range(hid):
                    s = states[p, t]
                    for j in range(hid):
                        fg[j] += s * u_f_t[t, j]
                for j in range(hid):
                    cells[v, j] += _sigmoid(fg[j]) * cells[p, j]
        for j in range(hid):
            states[v, j] = _sigmoid(iou[hid + j]) * np.tanh(cells[v, j])


def _weights(u_iou: torch.Tensor, u_f: torch.Tensor):
    return (np.ascontiguousarray(u_iou.detach().numpy().T, np.float32),
            np.ascontiguousarray(u_f.detach().numpy().T, np.float32))


def _forward_states(gates_np, parents_np, u_iou_t, u_f_t, hidden):
    n = gates_np.shape[0]
    cells = np.zeros((n + 1, hidden), np.float32)
    states = np.zeros((n + 1, hidden), np.float32)
    tree_lstm_forward(gates_np, parents_np, u_iou_t, u_f_t, hidden, cells, states)
    return states


def _sig(x):
    # 3-D products are reshaped to 2-D below: numpy would otherwise call BLAS once per row
    return 1.0 / (1.0 + np.exp(-x))


def levels_forward(gates, parents, bounds, u_iou_t, u_f_t, hidden):
    """The recurrence one level at a time with numpy matrix products (fast on big batches).

    Returns states and cells (N+1, H) and, per level, the activations the backward pass needs."""
    n, hid = gates.shape[0], hidden
    states = np.zeros((n + 1, hid), np.float32)
    cells = np.zeros((n + 1, hid), np.float32)
    saved = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        par = parents[lo:hi]
        hp, cp = states[par], cells[par]                      # (L, P, H)
        hsum = hp.sum(1)
        iou = gates[lo:hi, :3 * hid] + hsum @ u_iou_t
        sig_i, sig_o, tan_u = _sig(iou[:, :hid]), _sig(iou[:, hid:2 * hid]), np.tanh(iou[:, 2 * hid:])
        forget = _sig(gates[lo:hi, None, 3 * hid:] + (hp.reshape(-1, hid) @ u_f_t).reshape(hp.shape))
        cell = sig_i * tan_u + (forget * cp).sum(1)
        states[lo:hi] = sig_o * np.tanh(cell)
        cells[lo:hi] = cell
        saved.append((hsum, sig_i, sig_o, tan_u, forget))
    return states, cells, saved


def levels_backward(grad_out, parents, bounds, u_iou_t, u_f_t, hidden, states, cells, saved):
    """Gradients for gates (N, 4H), u_iou_t (H, 3H) and u_f_t (H, H) from d loss / d states."""
    n, hid = grad_out.shape[0], hidden
    grad_states = np.zeros((n + 1, hid), np.float32)
    grad_states[:n] = grad_out
    grad_cells = np.zeros((n + 1, hid), np.float32)
    grad_gates = np.zeros((n, 4 * hid), np.float32)
    grad_u_iou_t = np.zeros_like(u_iou_t)
    grad_u_f_t = np.zeros_like(u_f_t)
    for (lo, hi), (hsum, sig_i, sig_o, tan_u, forget) in zip(
            reversed(list(zip(bounds[:-1], bounds[1:]))), reversed(saved)):
        par = parents[lo:hi]
        hp, cp = states[par], cells[par]
        dh = grad_states[lo:hi]
        tc = np.tanh(cells[lo:hi])
        dc = grad_cells[lo:hi] + dh * sig_o * (1.0 - tc * tc)
        d_iou = np.concatenate([dc * tan_u * sig_i * (1.0 - sig_i), dh * tc * sig_o * (1.0 - sig_o),
                                dc * sig_i * (1.0 - tan_u * tan_u)], axis=1)
        grad_gates[lo:hi, :3 * hid] = d_iou
        grad_u_iou_t += hsum.T @ d_iou
        d_f = dc[:, None, :] * cp * forget * (1.0 - forget)     # (L, P, H)
        grad_gates[lo:hi, 3 * hid:] = d_f.sum(1)
        grad_u_f_t += hp.reshape(-1, hid).T @ d_f.reshape(-1, hid)
        d_hp = (d_iou @ u_iou_t.T)[:, None, :] + (d_f.reshape(-1, hid) @ u_f_t.T).reshape(d_f.shape)
        # scatter-add into the parents' rows (np.add.at is several times slower)
        flat = torch.from_numpy(np.ascontiguousarray(par.reshape(-1)))
        torch.from_numpy(grad_states).index_add_(0, flat, torch.from_numpy(
            np.ascontiguousarray(d_hp.reshape(-1, hid), np.float32)))
        torch.from_numpy(grad_cells).index_add_(0, flat, torch.from_numpy(
            np.ascontiguousarray((dc[:, None, :] * forget).reshape(-1, hid), np.float32)))
    return grad_gates, grad_u_iou_t, grad_u_f_t


class TreeLSTMFunction(torch.autograd.Function):
    """states (N, H) from gates (N, 4H), parents (N, P), U_iou (3H, H), U_f (H, H), level by
    level in numpy (forward and hand-written backward)."""

    @staticmethod
    def forward(ctx, gates, parents, bounds, u_iou, u_f):
        hidden = u_f.shape[0]
        u_iou_t, u_f_t = _weights(u_iou, u_f)
        gates_np = gates.detach().numpy()
        parents_np = parents.numpy()
        states, cells, saved = levels_forward(gates_np, parents_np, bounds, u_iou_t, u_f_t, hidden)
        ctx.saved = (parents_np, bounds, u_iou_t, u_f_t, hidden, states, cells, saved)
        return torch.from_numpy(states[:-1].copy())

    @staticmethod
    def backward(ctx, grad_out):
        parents_np, bounds, u_iou_t, u_f_t, hidden, states, cells, saved = ctx.saved
        grad_gates, grad_u_iou_t, grad_u_f_t = levels_backward(
            np.ascontiguousarray(grad_out.detach().numpy(), np.float32), parents_np, bounds,
            u_iou_t, u_f_t, hidden, states, cells, saved)
        return (torch.from_numpy(grad_gates), None, None, torch.from_numpy(grad_u_iou_t.T.copy()),
                torch.from_numpy(grad_u_f_t.T.copy()))


def fast_pass(cell, x: torch.Tensor, plan) -> torch.Tensor:
    """Same result as ``cell(x, plan)`` for a :class:`ChildSumTreeLSTM`, with gradients when
    autograd is on. Inference on one graph with few nodes per level walks the nodes in numba;
    big batches (training) go level by level with numpy matrix products."""
    gates = cell.input_gates(x)[plan.perm]
    n_levels = max(len(plan.bounds) - 1, 1)
    if torch.is_grad_enabled():
        h = TreeLSTMFunction.apply(gates, plan.parents, plan.bounds, cell.parent_iou.weight,
                                   cell.parent_forget.weight)
    else:
        u_iou_t, u_f_t = _weights(cell.parent_iou.weight, cell.parent_forget.weight)
        gates_np = np.ascontiguousarray(gates.numpy(), np.float32)
        if gates_np.shape[0] >= 64 * n_levels:
            states = levels_forward(gates_np, plan.parents.numpy(), plan.bounds, u_iou_t, u_f_t,
                                    cell.hidden_size)[0]
        else:
            states = _forward_states(gates_np, plan.parents.numpy(), u_iou_t, u_f_t,
                                     cell.hidden_size)
        h = torch.from_numpy(states[:-1])
    return h[plan.inverse]
