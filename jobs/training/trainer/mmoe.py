"""MMoE ranker (Ma et al., KDD 2018): shared experts, one softmax gate and one tower per task,
so tasks that disagree (a click is not a completion) can weight the experts differently.

Position bias ("shallow tower", as in YouTube's ranker, Zhao et al., RecSys 2019): the list
position enters only through one learned term per task and position, added to a binary task's
logit and multiplying a regression's value (exp of the term), never through the experts. Trained
with the position each example was shown at, the experts learn relevance without the
position's share; served at position 0 every candidate gets the same term, so the ranking is by
relevance alone and the probability is "if shown first"."""

from __future__ import annotations

import torch
from torch import nn

from two_tower import mean_of_history

# Each task's kind decides its output (a probability or a value) and its loss.
BINARY = "binary"
REGRESSION = "regression"
TASK_KINDS = {
    "click": BINARY,
    "watch_seconds": REGRESSION,
    "positive": BINARY,
    "rating": REGRESSION,
    "completion": BINARY,
}
# A regression's tower output times this is its value: watch time in seconds is learned in
# minutes, so its loss is on the scale of the others' (summed with equal weights).
REGRESSION_SCALE = {"watch_seconds": 60.0, "rating": 1.0}
# Positions at or past the last share its term (lists are 10 long; up-next lists shorter).
MAX_POSITION = 64


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
        # One term per task and position; zero at the start (no position effect).
        self.position_bias = nn.Embedding(MAX_POSITION, len(tasks))
        nn.init.zeros_(self.position_bias.weight)
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
        position: torch.Tensor,
    ) -> list[torch.Tensor]:
        """One raw output per task, [batch] each: logits for binary tasks, values (in the
        task's unit) for regressions."""
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
        bias = self.position_bias(torch.clamp(position, 0, MAX_POSITION - 1))  # [batch, tasks]
        out = []
        for k, (task, gate, tower) in enumerate(zip(self.tasks, self.gates, self.towers)):
            weights = torch.softmax(gate(x), dim=1).unsqueeze(-1)  # [batch, experts, 1]
            raw = tower((weights * expert_out).sum(dim=1)).squeeze(-1)
            if TASK_KINDS[task] == BINARY:
                out.append(raw + bias[:, k])
            else:
                out.append(raw * torch.exp(bias[:, k]) * REGRESSION_SCALE[task])
        return out

    def forward(
        self,
        user: torch.Tensor,
        history: torch.Tensor,
        user_dense: torch.Tensor,
        item: torch.Tensor,
        item_dense: torch.Tensor,
        position: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """What serving gets: probabilities for binary tasks, values for regressions."""
        raw = self.logits(user, history, user_dense, item, item_dense, position)
        return tuple(
            torch.sigmoid(r) if TASK_KINDS[t] == BINARY else r for t, r in zip(self.tasks, raw)
        )
