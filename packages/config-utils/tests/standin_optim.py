"""Stand-ins for a library we do not own (shaped like torch.optim), for tests without torch.

Annotations mix what a command line can give with what it cannot, as torch's do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable  # noqa: TC003 - get_type_hints needs them
from typing import Any


class Tensor:
    """Not something a command line can give."""


class Optimizer:
    """The family's base class."""

    def __init__(self, params: Iterable[Tensor], defaults: dict[str, Any]) -> None:
        self.params = list(params)
        self.defaults = defaults


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum).

    A long explanation with math that does not belong in `--help`.

    Args:
        params (iterable): iterable of parameters to optimize.
        lr (float, Tensor, optional): learning rate
            (default: 1e-3)
        momentum (float, optional): momentum factor (default: 0)
        nesterov (bool, optional): enables Nesterov momentum. Default: False.
        foreach (bool, optional): whether foreach implementation is used.
        hook (callable, optional): called after each step.

    Example:
        >>> SGD(params, lr=0.1)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        nesterov: bool = False,
        *,
        foreach: bool | None = None,
        hook: Callable[[Optimizer], None] | None = None,
    ) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "nesterov": nesterov})
        self.foreach = foreach
        self.hook = hook


class Adam(Optimizer):
    """Implements Adam.

    Parameters
    ----------
    params : iterable
        Parameters to optimize.
    lr : float
        Learning rate.
    betas : tuple of float
        Coefficients of the running averages.
    eps : float, optional
        Added to the denominator.

    Notes:
    -----
    Nothing here is a parameter.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})


class LBFGS(Optimizer):
    """Needs a closure no command line can give."""

    def __init__(self, params: Iterable[Tensor], closure: Callable[[], float]) -> None:
        super().__init__(params, {"closure": closure})


class StepLR:
    """Decays the learning rate every `step_size` epochs.

    Args:
        optimizer (Optimizer): Wrapped optimizer.
        step_size (int): Period of learning rate decay.
        gamma (float): Multiplicative factor. Default: 0.1.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer = optimizer
        self.step_size = step_size
        self.gamma = gamma
