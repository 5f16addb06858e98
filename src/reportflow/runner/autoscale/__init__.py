"""Load-driven autoscaling of the runner pool.

The decision is pure logic (:class:`Controller`, fed :class:`Observation`
objects with their own clock); :class:`Autoscaler` drives it from a live
runner, and the simulation in ``bench/autoscale`` drives the very same class.
:class:`ScaleState` is the bookkeeping behind the scale hook (baseline plus
the effects of firing scale alerts).
"""

from reportflow.runner.autoscale.controller import (
    AutoscaleConfig,
    Controller,
    Decision,
    Observation,
    Policy,
)
from reportflow.runner.autoscale.peers import MemoryPeers, Peers, SqlPeers, StaticPeers, peers_for
from reportflow.runner.autoscale.queueing import erlang_c, slots_for_wait, wait_tail
from reportflow.runner.autoscale.service import Autoscaler, autoscale_config, serve_scaled
from reportflow.runner.autoscale.signals import SignalHooks
from reportflow.runner.autoscale.stabilizer import Stabilizer
from reportflow.runner.autoscale.state import AlertOutcome, ScaleState

__all__ = [
    "AlertOutcome",
    "AutoscaleConfig",
    "Autoscaler",
    "Controller",
    "Decision",
    "MemoryPeers",
    "Observation",
    "Peers",
    "Policy",
    "ScaleState",
    "SignalHooks",
    "SqlPeers",
    "Stabilizer",
    "StaticPeers",
    "autoscale_config",
    "erlang_c",
    "peers_for",
    "serve_scaled",
    "slots_for_wait",
    "wait_tail",
]
