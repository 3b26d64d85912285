"""Provision and run a local Kafka and Elasticsearch from Maven Central artifacts.

Used by the ``deploy/stack`` command on machines without Docker. Standard
library only: it runs before the project (and its dependencies) is installed.
"""
