// TLS and SASL basics, plus the Kafka keys we accept without acting on them.
extension ConfigDef {
    static let securityKeys: [ConfigKey] = [
        .list("sasl.enabled.mechanisms", ["GSSAPI"], .medium, "SASL mechanisms offered to clients."),
        .string("sasl.mechanism.inter.broker.protocol", "GSSAPI", .medium, "SASL mechanism between brokers."),
        .string("ssl.keystore.location", nil, .high, "Key store file with this node's certificate and key."),
        .string("ssl.keystore.type", "JKS", .medium, "Format of the key store (JKS, PKCS12, PEM)."),
        .password("ssl.keystore.password", .high, "Password of the key store."),
        .password("ssl.key.password", .high, "Password of the private key in the key store."),
        .password("ssl.keystore.certificate.chain", .high, "PEM certificate chain, instead of a key store file."),
        .password("ssl.keystore.key", .high, "PEM private key, instead of a key store file."),
        .string("ssl.truststore.location", nil, .high, "Trust store file of accepted certificate authorities."),
        .string("ssl.truststore.type", "JKS", .medium, "Format of the trust store (JKS, PKCS12, PEM)."),
        .password("ssl.truststore.password", .high, "Password of the trust store."),
        .password("ssl.truststore.certificates", .high, "PEM trusted certificates, instead of a trust store file."),
        .string("ssl.client.auth", "none", valid: .oneOf(["required", "requested", "none"]), .medium,
                "Whether TLS clients must present a certificate."),
        .string("ssl.protocol", "TLSv1.3", .medium, "TLS protocol used to build the context."),
        .list("ssl.enabled.protocols", ["TLSv1.2", "TLSv1.3"], .medium, "TLS versions accepted."),
        .list("ssl.cipher.suites", [], .low, "Cipher suites accepted; empty means the library's defaults."),
        .string("ssl.endpoint.identification.algorithm", "https", .low,
                "Host name verification of peers; empty disables it."),
    ]

    /// Kafka keys that are valid in Kafka but that this broker does not act on (yet): logged, never refused.
    static let acceptedUnusedKeys: Set<String> = [
        "inter.broker.protocol.version", "log.message.format.version", "log.message.timestamp.difference.max.ms",
        "offsets.topic.compression.codec", "num.replica.alter.log.dirs.threads", "reserved.broker.max.id",
        "broker.id.generation.enable", "super.users", "allow.everyone.if.no.acl.found", "principal.builder.class",
        "connections.max.reauth.ms", "metric.reporters", "auto.include.jmx.reporter", "config.providers",
        "control.plane.listener.name", "eligible.leader.replicas.enable", "unstable.api.versions.enable",
        "unstable.feature.versions.enable", "server.max.startup.time.ms", "log.initial.task.delay.ms",
        "group.coordinator.new.enable", "client.quota.callback.class",
        "kafka.metrics.reporters", "kafka.metrics.polling.interval.secs", "quota.window.num",
        "quota.window.size.seconds", "replication.quota.window.num", "replication.quota.window.size.seconds",
        "alter.log.dirs.replication.quota.window.num", "alter.log.dirs.replication.quota.window.size.seconds",
        "controller.quota.window.num", "controller.quota.window.size.seconds", "transaction.two.phase.commit.enable",
        "message.timestamp.difference.max.ms", "zookeeper.connect", "zookeeper.metadata.migration.enable",
        "metadata.log.segment.min.bytes", "socket.connection.setup.timeout.ms", "socket.connection.setup.timeout.max.ms",
        "max.request.partition.size.limit", "internal.segment.bytes",
    ]

    /// Prefixes of key families Kafka accepts that we pass over (per-listener settings, plugins, tiered storage…).
    static let acceptedUnusedPrefixes: [String] = [
        "listener.name.", "ssl.", "sasl.", "security.", "metrics.", "remote.log.", "delegation.token.",
        "password.encoder.", "zookeeper.", "confluent.", "group.share.", "share.coordinator.", "group.streams.",
        "telemetry.", "authorizer.", "kafka.metrics.", "config.providers.", "producer.id.", "quota.",
    ]
}
