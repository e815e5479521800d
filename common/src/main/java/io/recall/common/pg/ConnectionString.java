package io.recall.common.pg;

import io.recall.common.errors.InvalidRequestException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A parsed PostgreSQL connection string: either a {@code postgresql://user:pass@host:port/db?sslmode=...} URI or a
 * libpq {@code key=value} string, as libpq itself accepts them.
 *
 * <p>It renders into what each consumer needs: a JDBC URL plus properties for pgjdbc, environment variables for
 * {@code pg_dump}/{@code pg_restore}, and a masked form for logs and API responses. {@link #toString()} never shows
 * the password. Immutable and thread-safe.
 *
 * @param options libpq options other than host, port, dbname, user and password (e.g. {@code sslmode}), in a stable
 *     order
 */
public record ConnectionString(
        String host, int port, String database, String user, String password, Map<String, String> options) {

    public static final int DEFAULT_PORT = 5432;

    /** libpq's TLS modes; pgjdbc accepts the same names. */
    public static final Set<String> SSL_MODES =
            Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** Options Recall understands and passes on (to pgjdbc and to libpq tools); anything else is refused. */
    private static final Set<String> SUPPORTED_OPTIONS = Set.of(
            "sslmode",
            "sslrootcert",
            "sslcert",
            "sslkey",
            "connect_timeout",
            "application_name",
            "options",
            "target_session_attrs",
            "channel_binding",
            "gssencmode",
            "keepalives",
            "keepalives_idle");

    private static final String MASK = "****";

    public ConnectionString {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        options = Collections.unmodifiableMap(new TreeMap<>(options));
    }

    /**
     * Parses either form. Throws {@link InvalidRequestException} with a message saying what is wrong and what a valid
     * string looks like; the message never repeats the password.
     */
    public static ConnectionString parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRequestException(
                    "connectionString is empty: give a URI like postgresql://user:password@host:5432/dbname"
                            + " or a libpq string like 'host=... dbname=... user=... password=...'");
        }
        String trimmed = text.strip();
        Map<String, String> params;
        if (trimmed.startsWith("postgresql://") || trimmed.startsWith("postgres://")) {
            params = parseUri(trimmed);
        } else if (trimmed.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            String scheme = trimmed.substring(0, trimmed.indexOf("://"));
            throw new InvalidRequestException(
                    "connectionString has scheme '" + scheme
                            + "', which is not a PostgreSQL connection string: use postgresql://user:password@host:5432/dbname");
        } else if (trimmed.contains("=")) {
            params = parseKeyValue(trimmed);
        } else {
            throw new InvalidRequestException("connectionString is neither a postgresql:// URI nor a libpq"
                    + " key=value string: use postgresql://user:password@host:5432/dbname");
        }
        return fromParams(params);
    }

    private static ConnectionString fromParams(Map<String, String> params) {
        Map<String, String> rest = new LinkedHashMap<>(params);
        String host = rest.remove("host");
        rest.remove("hostaddr");
        String portText = rest.remove("port");
        String database = rest.remove("dbname");
        String user = rest.remove("user");
        String password = rest.remove("password");
        if (host == null || host.isBlank()) {
            throw new InvalidRequestException("connectionString names no host: Recall connects over the network,"
                    + " e.g. postgresql://user:password@db.example.com:5432/dbname");
        }
        if (host.contains(",")) {
            throw new InvalidRequestException("connectionString names several hosts (" + host
                    + "): give the one primary that holds the replication slot");
        }
        int port = DEFAULT_PORT;
        if (portText != null && !portText.isBlank()) {
            try {
                port = Integer.parseInt(portText.strip());
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("connectionString port '" + portText + "' is not a number");
            }
            if (port < 1 || port > 65535) {
                throw new InvalidRequestException("connectionString port " + port + " is out of range 1-65535");
            }
        }
        if (user == null || user.isBlank()) {
            throw new InvalidRequestException("connectionString names no user: add user=... or user@ in the URI");
        }
        if (database == null || database.isBlank()) {
            database = user; // libpq's default: the database named like the user
        }
        for (String key : rest.keySet()) {
            if (!SUPPORTED_OPTIONS.contains(key)) {
                throw new InvalidRequestException("connectionString option '" + key + "' is not supported; supported:"
                        + " host, port, dbname, user, password, "
                        + String.join(", ", new TreeSet<>(SUPPORTED_OPTIONS)));
            }
        }
        String sslMode = rest.get("sslmode");
        if (sslMode != null && !SSL_MODES.contains(sslMode)) {
            throw new InvalidRequestException("connectionString sslmode '" + sslMode + "' is not one of " + SSL_MODES);
        }
        return new ConnectionString(host, port, database, user, password, rest);
    }

    private static Map<String, String> parseUri(String text) {
        String rest = text.substring(text.indexOf("://") + 3);
        Map<String, String> params = new LinkedHashMap<>();
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = null;
        int at = rest.lastIndexOf('@');
        String userInfo = at >= 0 ? rest.substring(0, at) : null;
        String hostPart = at >= 0 ? rest.substring(at + 1) : rest;
        int slash = hostPart.indexOf('/');
        if (slash >= 0) {
            path = hostPart.substring(slash + 1);
            hostPart = hostPart.substring(0, slash);
        }
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                params.put("user", decode(userInfo.substring(0, colon)));
                params.put("password", decode(userInfo.substring(colon + 1)));
            } else {
                params.put("user", decode(userInfo));
            }
        }
        if (!hostPart.isEmpty()) {
            String host;
            String port = null;
            if (hostPart.startsWith("[")) {
                int close = hostPart.indexOf(']');
                if (close < 0) {
                    throw new InvalidRequestException("connectionString has an unterminated IPv6 address");
                }
                host = hostPart.substring(1, close);
                if (hostPart.length() > close + 1 && hostPart.charAt(close + 1) == ':') {
                    port = hostPart.substring(close + 2);
                }
            } else {
                int colon = hostPart.lastIndexOf(':');
                host = colon >= 0 ? hostPart.substring(0, colon) : hostPart;
                port = colon >= 0 ? hostPart.substring(colon + 1) : null;
            }
            params.put("host", decode(host));
            if (port != null && !port.isEmpty()) {
                params.put("port", port);
            }
        }
        if (path != null && !path.isEmpty()) {
            params.put("dbname", decode(path));
        }
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new InvalidRequestException("connectionString query parameter '" + pair + "' has no value");
                }
                params.put(decode(pair.substring(0, eq)).toLowerCase(Locale.ROOT), decode(pair.substring(eq + 1)));
            }
        }
        return params;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("connectionString has a malformed percent-escape");
        }
    }

    /** libpq's key/value syntax: whitespace-separated {@code key = value}, values optionally single-quoted. */
    private static Map<String, String> parseKeyValue(String text) {
        Map<String, String> params = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int keyStart = i;
            while (i < n && text.charAt(i) != '=' && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String key = text.substring(keyStart, i).toLowerCase(Locale.ROOT);
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n || text.charAt(i) != '=') {
                throw new InvalidRequestException("connectionString: missing '=' after '" + key + "'");
            }
            i++;
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(text.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    throw new InvalidRequestException("connectionString: unterminated quoted value for '" + key + "'");
                }
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(text.charAt(i++));
                    } else {
                        value.append(c);
                    }
                }
            }
            if (key.isEmpty()) {
                throw new InvalidRequestException("connectionString: empty option name");
            }
            params.put(key, value.toString());
        }
        return params;
    }

    public String sslMode() {
        return options.getOrDefault("sslmode", "prefer");
    }

    public ConnectionString withDatabase(String otherDatabase) {
        return new ConnectionString(host, port, otherDatabase, user, password, options);
    }

    public ConnectionString withPassword(String newPassword) {
        return new ConnectionString(host, port, database, user, newPassword, options);
    }

    /** {@code jdbc:postgresql://host:port/db}; credentials and options go in {@link #jdbcProperties()}. */
    public String jdbcUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /** pgjdbc connection properties: user, password and the libpq options pgjdbc knows under its own names. */
    public Properties jdbcProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("sslmode", sslMode());
        copy(p, "sslrootcert", "sslrootcert");
        copy(p, "sslcert", "sslcert");
        copy(p, "sslkey", "sslkey");
        copy(p, "connect_timeout", "connectTimeout");
        copy(p, "application_name", "ApplicationName");
        copy(p, "options", "options");
        copy(p, "channel_binding", "channelBinding");
        copy(p, "gssencmode", "gssEncMode");
        if (!options.containsKey("connect_timeout")) {
            p.setProperty("connectTimeout", "10");
        }
        return p;
    }

    private void copy(Properties p, String libpqKey, String jdbcKey) {
        String v = options.get(libpqKey);
        if (v != null) {
            p.setProperty(jdbcKey, v);
        }
    }

    /** Environment for libpq tools ({@code pg_dump}, {@code pg_restore}, {@code psql}): the password never goes on a command line. */
    public Map<String, String> libpqEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", Integer.toString(port));
        env.put("PGDATABASE", database);
        env.put("PGUSER", user);
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        env.put("PGSSLMODE", sslMode());
        putIf(env, "sslrootcert", "PGSSLROOTCERT");
        putIf(env, "sslcert", "PGSSLCERT");
        putIf(env, "sslkey", "PGSSLKEY");
        putIf(env, "connect_timeout", "PGCONNECT_TIMEOUT");
        putIf(env, "application_name", "PGAPPNAME");
        putIf(env, "options", "PGOPTIONS");
        putIf(env, "channel_binding", "PGCHANNELBINDING");
        putIf(env, "gssencmode", "PGGSSENCMODE");
        putIf(env, "target_session_attrs", "PGTARGETSESSIONATTRS");
        return env;
    }

    private void putIf(Map<String, String> env, String key, String var) {
        String v = options.get(key);
        if (v != null) {
            env.put(var, v);
        }
    }

    /** The URI form with the password replaced by {@code ****}: safe for logs and API responses. */
    public String masked() {
        return toUri(password == null ? null : MASK);
    }

    /** The URI form including the password, for storage after encryption only. */
    public String toUriWithPassword() {
        return toUri(password);
    }

    private String toUri(String shownPassword) {
        StringBuilder b = new StringBuilder("postgresql://").append(encode(user));
        if (shownPassword != null) {
            b.append(':').append(shownPassword.equals(MASK) ? MASK : encode(shownPassword));
        }
        b.append('@')
                .append(host.contains(":") ? "[" + host + "]" : host)
                .append(':')
                .append(port);
        b.append('/').append(encode(database));
        String sep = "?";
        for (Map.Entry<String, String> e : options.entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(encode(e.getValue()));
            sep = "&";
        }
        return b.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return masked();
    }
}
