"""InfluxDB export: line protocol, v1/v2 writers, the durable outbox sender (see docs/influxdb-schema.md).

`SPEC` builds `core.influx.sender.InfluxSender`; the sender is imported only when it is built, so that
importing a submodule stays cheap.
"""

from core.influx.spec import SPEC

__all__ = ["SPEC"]
