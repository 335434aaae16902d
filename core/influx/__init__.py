"""InfluxDB export: line protocol, v1/v2 writers, the durable outbox sender (see docs/influxdb-schema.md).

The runtime builds `core.influx.sender.InfluxSender(config.influxdb, store, bus)`; nothing is
imported here so that importing a submodule stays cheap.
"""
