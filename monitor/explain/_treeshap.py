"""Exact path-dependent TreeSHAP in numpy, driven by each row's decision at each split.

Path-dependent TreeSHAP (Lundberg et al., 2020) explains a tree with the value function in which
a split on a feature of the coalition follows the row and any other split averages its two
children weighted by their training cover. Summed over leaves, each leaf is a product game over
the ``d`` distinct features on its path: feature ``j`` contributes ``o_j`` (1 if the row meets
every condition of the path on ``j``, else 0) when it is in the coalition and ``z_j`` (the
product of the path's cover fractions on ``j``) when it is not. In that game feature ``i`` gets

    leaf value * (o_i - z_i) * sum_k w(k, d) * e_k,    w(k, d) = k! (d - k - 1)! / d!

where ``e_k`` are the coefficients of ``prod_{j != i} (z_j + o_j t)``. Only the row's decision at
each split enters, so any split rule (thresholds, categorical bitsets, routing of missing values
and unknown categories) is explained exactly: the caller computes the decisions with the model's
own rule. Leaves are grouped by ``d`` and computed as arrays of rows x leaves x features; for
small ``d`` the values of all ``2**d`` patterns of ``o`` are tabulated once per leaf, so a row
costs a lookup (within a memory cap, smallest ``d`` first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

# Rows x leaves x (path features + 1) floats per block: small enough to stay in cache.
_BLOCK = 1 << 18
# Tabulated leaf games: at most this many floats in all (64 MB), and at most 2**10 patterns per leaf.
_TABLE_FLOATS = 1 << 23
_TABLE_MAX_D = 10


@dataclass(frozen=True)
class _Group:
    """The leaves whose paths use ``d`` distinct features."""

    d: int
    z: np.ndarray  # (leaves, d) cover fraction of each path feature
    path_node: np.ndarray  # (leaves, depth) split nodes on the path; padding points at the always-true column
    path_left: np.ndarray  # (leaves, depth) whether the path goes left there
    path_slot: np.ndarray  # (leaves, depth) which of the d features the split uses
    scatter: sparse.csr_matrix  # (leaves * d, outputs) leaf value into the feature's output column
    weights: np.ndarray  # (d,) w(k, d) for k = 0 .. d - 1
    table: np.ndarray | None = None  # (leaves, 2**d, d) values for every pattern of o, bit j for feature j


class TreeShap:
    """Path-dependent TreeSHAP of a sum of trees stored as flat node arrays.

    ``left`` / ``right`` give the children of every node (negative for a leaf), ``feature`` the
    split feature, ``cover`` the training weight reaching the node, ``value`` the leaf value;
    ``roots`` the root node of each tree; ``output_column`` maps a split feature to the column its
    contribution is reported on (several features may share one). ``offset`` is added to the
    explained output (e.g. a boosting baseline).
    """

    def __init__(
        self,
        left: np.ndarray,
        right: np.ndarray,
        feature: np.ndarray,
        cover: np.ndarray,
        value: np.ndarray,
        roots: np.ndarray,
        output_column: np.ndarray,
        n_outputs: int,
        offset: float = 0.0,
    ):
        self.n_nodes = len(left)
        self.n_outputs = int(n_outputs)
        cover = np.asarray(cover, dtype=float)
        if np.any(cover[np.asarray(roots)] <= 0):
            raise ValueError("a tree has no training cover at its root")
        leaves: dict[int, list[tuple[float, list[tuple[int, bool, int]], dict[int, float]]]] = {}
        expected = 0.0
        for root in np.asarray(roots, dtype=int):
            stack: list[tuple[int, list[tuple[int, bool, int]], dict[int, float]]] = [(int(root), [], {})]
            while stack:
                node, path, fractions = stack.pop()
                if left[node] < 0:
                    d = len(fractions)
                    expected += float(value[node]) * math.prod(fractions.values())
                    if d:
                        leaves.setdefault(d, []).append((float(value[node]), path, fractions))
                    continue
                f = int(feature[node])
                for child, goes_left in ((int(left[node]), True), (int(right[node]), False)):
                    share = dict(fractions)
                    share[f] = share.get(f, 1.0) * float(cover[child]) / float(cover[node])
                    stack.append((child, [*path, (node, goes_left, f)], share))
        self.expected_value = float(offset) + expected
        self.groups = [self._group(d, leaves[d], np.asarray(output_column, dtype=int)) for d in sorted(leaves)]
        room = _TABLE_FLOATS
        for i, group in enumerate(self.groups):
            size = len(group.z) * 2**group.d * group.d
            if group.d > _TABLE_MAX_D or size > room:
                break
            self.groups[i] = _tabulated(group)
            room -= size

    def _group(self, d: int, leaves: list, output_column: np.ndarray) -> _Group:
        n_leaves, depth = len(leaves), max(len(path) for _, path, _ in leaves)
        z = np.empty((n_leaves, d))
        path_node = np.full((n_leaves, depth), self.n_nodes)
        path_left = np.ones((n_leaves, depth), dtype=bool)
        path_slot = np.zeros((n_leaves, depth), dtype=int)
        rows, cols, vals = [], [], []
        for i, (leaf_value, path, fractions) in enumerate(leaves):
            slot = {f: k for k, f in enumerate(fractions)}
            z[i] = list(fractions.values())
            for p, (node, goes_left, f) in enumerate(path):
                path_node[i, p], path_left[i, p], path_slot[i, p] = node, goes_left, slot[f]
            for f, k in slot.items():
                rows.append(i * d + k)
                cols.append(output_column[f])
                vals.append(leaf_value)
        scatter = sparse.csr_matrix((vals, (rows, cols)), shape=(n_leaves * d, self.n_outputs))
        weights = np.array([math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d) for k in range(d)])
        return _Group(d, z, path_node, path_left, path_slot, scatter, weights)

    def shap_values(self, go_left: np.ndarray) -> np.ndarray:
        """Contributions per output column, given ``go_left[row, node]`` for every split node."""
        go_left = np.asarray(go_left, dtype=bool)
        if go_left.ndim != 2 or go_left.shape[1] != self.n_nodes:
            raise ValueError(f"expected decisions of shape (rows, {self.n_nodes}), got {go_left.shape}")
        n = go_left.shape[0]
        decisions = np.concatenate([go_left, np.ones((n, 1), dtype=bool)], axis=1)
        phi = np.zeros((n, self.n_outputs))
        for group in self.groups:
            step = max(1, _BLOCK // (len(group.z) * (group.d + 1)))
            for start in range(0, n, step):
                block = decisions[start : start + step]
                phi[start : start + step] += _group_values(group, block) @ group.scatter
        return phi


def _tabulated(group: _Group) -> _Group:
    d, n_leaves = group.d, len(group.z)
    patterns = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    table = np.empty((n_leaves, 2**d, d))
    step = max(1, _BLOCK // (2**d * (d + 1)))
    for start in range(0, n_leaves, step):
        z = group.z[start : start + step]
        one = np.broadcast_to(patterns[:, None, :], (2**d, len(z), d))
        table[start : start + step] = _leaf_values(one, z, group.weights).transpose(1, 0, 2)
    return replace(group, table=table)


def _group_values(group: _Group, decisions: np.ndarray) -> np.ndarray:
    """(rows, leaves * d) Shapley values of each leaf's game per unit of leaf value."""
    d, z = group.d, group.z
    n, n_leaves = decisions.shape[0], z.shape[0]
    follows = decisions[:, group.path_node] == group.path_left  # (rows, leaves, depth)
    leaf_index = np.arange(n_leaves)
    if group.table is not None:
        failed = np.zeros((n, n_leaves), dtype=np.int64)
        for p in range(group.path_node.shape[1]):
            failed |= (~follows[:, :, p]).astype(np.int64) << group.path_slot[:, p]
        return group.table[leaf_index, ((1 << d) - 1) & ~failed].reshape(n, n_leaves * d)
    one = np.ones((n, n_leaves, d), dtype=bool)
    for p in range(group.path_node.shape[1]):
        one[:, leaf_index, group.path_slot[:, p]] &= follows[:, :, p]
    return _leaf_values(one, z, group.weights).reshape(n, n_leaves * d)


def _leaf_values(one: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(rows, leaves, d) Shapley values per unit of leaf value, given which path features each row meets."""
    n, n_leaves, d = one.shape
    o = one.astype(float)
    # Coefficients of prod_j (z_j + o_j t), built one factor at a time.
    poly = np.zeros((n, n_leaves, d + 1))
    poly[..., 0] = 1.0
    for j in range(d):
        poly[..., 1 : j + 2] = z[None, :, j, None] * poly[..., 1 : j + 2] + o[:, :, j, None] * poly[..., : j + 1]
        poly[..., 0] *= z[None, :, j]
    # A feature the row fails: the factor z_i divides out and (0 - z_i) / z_i = -1.
    off = -(poly[..., :d] @ w)
    # A feature the row meets: divide by (z_i + t) from the top coefficient down (stable for z <= 1).
    q = np.repeat(poly[..., d, None], d, axis=2)
    acc = w[d - 1] * q
    for k in range(d - 1, 0, -1):
        q = poly[..., k, None] - z[None] * q
        acc += w[k - 1] * q
    return np.where(one, (1.0 - z[None]) * acc, off[..., None])
