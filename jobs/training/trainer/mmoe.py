"""MMoE ranker (Ma et al., KDD 2018): shared experts, one softmax gate and one tower per task,
so tasks that disagree (a click is not a completion) can weight the experts differently."""

from __future__ import annotations

import torch
from torch import nn

from two_tower import mean_of_history

# Each task's kind decides its output (a probability or a value) and its loss.
BINARY = "binary"
REGRESSION = "regression"
TASK_KINDS = {"positive": BINARY, "rating": REGRESSION, "completion": BINARY}


def output_name(task: str) -> str:
    return f"{task}_probability" if TASK_KINDS[task] == BINARY else task


class MMoE(nn.Module):
    def __init__(
        self,
        n_users: int,
        n_items: int,
        user_dense: int,
        item_dense: int,
        dim: int,
        hidden: int,
        experts: int,
        tasks: list[str],
    ) -> None:
        super().__init__()
        self.tasks = tasks
        self.item_embedding = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.user_embedding = nn.Embedding(n_users + 1, dim)
        width = 3 * dim + user_dense + item_dense
        self.experts = nn.ModuleList(
            [nn.Sequential(nn.Linear(width, hidden), nn.ReLU()) for _ in range(experts)]
        )
        self.gates = nn.ModuleList([nn.Linear(width, experts) for _ in tasks])
        self.towers = nn.ModuleList(
            [
                nn.Sequential(nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Linear(hidden // 2, 1))
                for _ in tasks
            ]
        )

    def logits(
        self,
        user: torch.Tensor,
        history: torch.Tensor,
        user_dense: torch.Tensor,
        item: torch.Tensor,
        item_dense: torch.Tensor,
    ) -> list[torch.Tensor]:
        """One raw output per task, [batch] each (logits for binary tasks)."""
        x = torch.cat(
            [
                self.user_embedding(user),
                mean_of_history(self.item_embedding, history),
                user_dense,
                self.item_embedding(item),
                item_dense,
            ],
            dim=1,
        )
        expert_out = torch.stack([e(x) for e in self.experts], dim=1)  # [batch, experts, hidden]
        out = []
        for gate, tower in zip(self.gates, self.towers):
            weights = torch.softmax(gate(x), dim=1).unsqueeze(-1)  # [batch, experts, 1]
            out.append(tower((weights * expert_out).sum(dim=1)).squeeze(-1))
        return out

    def forward(
        self,
        user: torch.Tensor,
        history: torch.Tensor,
        user_dense: torch.Tensor,
        item: torch.Tensor,
        item_dense: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """What serving gets: probabilities for binary tasks, values for regressions."""
        raw = self.logits(user, history, user_dense, item, item_dense)
        return tuple(
            torch.sigmoid(r) if TASK_KINDS[t] == BINARY else r for t, r in zip(self.tasks, raw)
        )
