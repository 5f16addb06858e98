"""Reading reportflow's registry in tests: values and deltas of one sample."""

from __future__ import annotations

from reportflow.metrics import REGISTRY


def value(name: str, **labels: str) -> float:
    """The sample's current value, 0 when it has not been created yet."""
    found = REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


class Delta:
    """Remembers a sample's value so a test asserts on what it changed, whatever
    earlier tests in the same process left in the shared registry."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name = name
        self.labels = labels
        self.start = value(name, **labels)

    @property
    def change(self) -> float:
        return value(self.name, **self.labels) - self.start


async def eventually(name: str, expected: float, timeout: float = 5.0, **labels: str) -> None:
    """Wait (bounded) until a sample reads ``expected``; gauges have no event to wait on."""
    import asyncio

    steps = int(timeout / 0.01)
    for _ in range(steps):
        if value(name, **labels) == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name}{labels} is {value(name, **labels)}, expected {expected}")
