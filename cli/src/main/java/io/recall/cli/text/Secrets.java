package io.recall.cli.text;

import java.util.regex.Pattern;

/**
 * Hides passwords in text the client echoes (its own usage errors repeat the arguments it could not use, and those
 * may hold a connection string): the password of a {@code postgresql://user:password@host} URI and libpq's
 * {@code password=...}.
 */
public final class Secrets {

    public static final String MASK = "****";

    private static final Pattern URI_PASSWORD = Pattern.compile("(?i)(postgres(?:ql)?://[^:/@\\s]*:)[^@\\s]*@");
    private static final Pattern LIBPQ_PASSWORD =
            Pattern.compile("(?i)(\\bpassword\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|\\S+)");

    private Secrets() {}

    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        String masked = URI_PASSWORD.matcher(text).replaceAll("$1" + MASK + "@");
        return LIBPQ_PASSWORD.matcher(masked).replaceAll("$1" + MASK);
    }
}
