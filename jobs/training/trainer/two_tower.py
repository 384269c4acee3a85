"""Two-tower retrieval: a user tower and an item tower whose L2-normalised outputs are compared
by dot product, so serving can find a user's items by nearest-neighbour search (FAISS)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mean_of_history(embedding: nn.Embedding, history: torch.Tensor) -> torch.Tensor:
    """Mean of the embeddings of the recent items; index 0 (padding) counts for nothing, and a
    user without history gets zeros (ONNX-friendly: no data-dependent shapes)."""
    mask = (history != 0).to(torch.float32).unsqueeze(-1)
    summed = (embedding(history) * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1.0)


class TwoTower(nn.Module):
    def __init__(
        self,
        n_users: int,
        n_items: int,
        user_dense: int,
        item_dense: int,
        dim: int,
        hidden: int,
    ) -> None:
        super().__init__()
        # One item table for both towers: the history of the user side and the item's own id
        # are the same items, and sharing lets a rarely-shown item learn from being watched.
        self.item_embedding = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.user_embedding = nn.Embedding(n_users + 1, dim)
        self.user_mlp = nn.Sequential(
            nn.Linear(2 * dim + user_dense, hidden), nn.ReLU(), nn.Linear(hidden, dim)
        )
        self.item_mlp = nn.Sequential(
            nn.Linear(dim + item_dense, hidden), nn.ReLU(), nn.Linear(hidden, dim)
        )

    def user_vector(
        self, user: torch.Tensor, history: torch.Tensor, user_dense: torch.Tensor
    ) -> torch.Tensor:
        x = torch.cat(
            [self.user_embedding(user), mean_of_history(self.item_embedding, history), user_dense],
            dim=1,
        )
        return F.normalize(self.user_mlp(x), dim=1)

    def item_vector(self, item: torch.Tensor, item_dense: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.item_embedding(item), item_dense], dim=1)
        return F.normalize(self.item_mlp(x), dim=1)


class UserTower(nn.Module):
    """The user half alone, for export: (user, history, user_dense) -> user_vector."""

    def __init__(self, model: TwoTower) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, user: torch.Tensor, history: torch.Tensor, user_dense: torch.Tensor
    ) -> torch.Tensor:
        return self.model.user_vector(user, history, user_dense)


class ItemTower(nn.Module):
    """The item half alone, for export: (item, item_dense) -> item_vector."""

    def __init__(self, model: TwoTower) -> None:
        super().__init__()
        self.model = model

    def forward(self, item: torch.Tensor, item_dense: torch.Tensor) -> torch.Tensor:
        return self.model.item_vector(item, item_dense)


def in_batch_softmax_loss(
    users: torch.Tensor,
    items: torch.Tensor,
    item_ids: torch.Tensor,
    log_q: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """Sampled softmax with the batch's other positives as negatives.

    Popular items appear as in-batch negatives more often than a uniform sample would draw them,
    which teaches the model to push them down; subtracting log q (the item's sampling
    probability in the batch source) corrects for it (Yi et al., RecSys 2019). The same item
    twice in a batch is not its own negative: those logits are masked.
    """
    logits = users @ items.T / temperature - log_q[item_ids].unsqueeze(0)
    same = item_ids.unsqueeze(0) == item_ids.unsqueeze(1)
    eye = torch.eye(len(item_ids), dtype=torch.bool)
    logits = logits.masked_fill(same & ~eye, -1e9)
    return F.cross_entropy(logits, torch.arange(len(item_ids)))
