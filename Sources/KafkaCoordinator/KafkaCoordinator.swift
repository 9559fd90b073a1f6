// KafkaCoordinator: group and transaction coordinator cores (pure).
