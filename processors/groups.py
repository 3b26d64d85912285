"""Which stages a worker runs and the consumer group that follows from them.

Apart from the Faust application so that what only needs a group's name
(``newsstream run``'s status line, the containers' health checks) does not
load Faust to learn it.
"""

from __future__ import annotations

from contract.settings import Settings

STAGES = ("enrich", "index", "alerts", "recognise")
# What a worker runs when no stage is named; recognition needs the optional,
# heavy model packages and runs in its own workers.
DEFAULT_STAGES = ("enrich", "index", "alerts")


def app_id_for(settings: Settings, stages: tuple[str, ...]) -> str:
    """The consumer group of a worker running ``stages``.

    Several stages read the same topic (index, alerts and recognise all read
    the enriched topic). Workers in one consumer group split a topic's
    partitions, so a worker running only ``index`` next to one running only
    ``alerts`` in the same group would each miss what the other got. Hence one
    group per set of stages: workers started with the same stages share the
    work; workers with other stages each see every message.
    """
    if set(stages) == set(DEFAULT_STAGES):
        return settings.processor_group
    return f"{settings.processor_group}-{'-'.join(sorted(set(stages)))}"
