package io.recall.coordinator.source;

import io.recall.common.pg.ConnectionString;
import io.recall.coordinator.config.RecallProperties;
import java.util.Properties;

/**
 * pgjdbc settings for the coordinator's short sessions on a source (the capability probe, restore points): the
 * connection string's own options, with the {@code recall.probe.*} timeouts where it sets none, so that an unreachable
 * or hanging source fails the request instead of holding it.
 */
public final class SourceConnections {

    private SourceConnections() {}

    /**
     * @param applicationName shown in the source's {@code pg_stat_activity}, unless the connection string names one
     */
    public static Properties properties(
            ConnectionString source, RecallProperties.Probe settings, String applicationName) {
        Properties p = source.jdbcProperties();
        if (!source.options().containsKey("connect_timeout")) {
            p.setProperty(
                    "connectTimeout", Long.toString(settings.connectTimeout().toSeconds()));
        }
        p.setProperty("loginTimeout", p.getProperty("connectTimeout"));
        p.setProperty("socketTimeout", Long.toString(settings.statementTimeout().toSeconds() + 10));
        p.putIfAbsent("ApplicationName", applicationName);
        return p;
    }
}
