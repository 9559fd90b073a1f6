// KafkaServer: listeners, handlers, drivers of the pure cores, configuration.
