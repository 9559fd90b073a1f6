#!/bin/sh
# Kafka's kafka-console-producer.sh, served by `tributary kafka-console-producer` (same flags, output and exit codes).
exec "$(dirname "$0")/tributary-tool" kafka-console-producer "$@"
