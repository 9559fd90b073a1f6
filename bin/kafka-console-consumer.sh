#!/bin/sh
# Kafka's kafka-console-consumer.sh, served by `tributary kafka-console-consumer` (same flags, output and exit codes).
exec "$(dirname "$0")/tributary-tool" kafka-console-consumer "$@"
