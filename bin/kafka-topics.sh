#!/bin/sh
# Kafka's kafka-topics.sh, served by `tributary kafka-topics` (same flags, output and exit codes).
exec "$(dirname "$0")/tributary-tool" kafka-topics "$@"
