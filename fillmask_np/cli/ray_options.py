"""The Ray options every corpus verb declares (eval, pppl, compare, pairs, variants): ``--ray ADDRESS`` and
``--workers N``, and the options a Ray run refuses."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["ray_args", "refuse_on_ray"]


def ray_args(p: argparse.ArgumentParser) -> None:
    """The Ray options of every corpus verb (eval, pppl, compare, pairs, variants): ``--ray ADDRESS`` and
    ``--workers N`` (each worker with ``--threads`` CPUs)."""
    p.add_argument("--ray", metavar="ADDRESS", help="score on a Ray cluster (the [ray] extra): local (a Ray started "
                                                    "for this run), auto (the running cluster) or host:port; the "
                                                    "report is the one-process run's, bit for bit")
    p.add_argument("--workers", type=int, default=2, help="with --ray: actors scoring at once, each with --threads "
                                                          "CPUs (default 1) and one model session (default 2)")


def refuse_on_ray(args: argparse.Namespace, *given: tuple[str, Any]) -> None:
    """Refuse, with ``--ray``, each option given that a Ray run does not offer (one line naming it): the model
    options the workers do not take (they open the model with its defaults), standard input, and ``given``.

    Args:
        args: the parsed command line.
        given: ``(flag, value)`` of the verb's own options a Ray run does not offer; a true value is refused.
    """
    from ..errors import FillMaskError

    model = [("--data -", getattr(args, "data", None) == "-"), ("--precision", getattr(args, "precision", None)),
             ("--logits-output", getattr(args, "logits_output", None)), ("--spinning", getattr(args, "spinning", None)
                                                                          is not None),
             ("--position-ids", getattr(args, "position_ids", "auto") != "auto")]
    for flag, value in [*model, *given]:
        if value:
            raise FillMaskError(f"{flag} is not offered with --ray (the workers open the model with its defaults "
                                f"and read the data by path); drop {flag.split()[0]}, or run without --ray")
