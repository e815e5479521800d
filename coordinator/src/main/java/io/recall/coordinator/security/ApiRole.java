package io.recall.coordinator.security;

import java.util.List;
import java.util.Locale;

/**
 * What a token may do. Each role includes the ones below it: {@code viewer} reads; {@code operator} also takes
 * backups, runs restores, pauses and resumes; {@code admin} also manages sources and tokens.
 */
public enum ApiRole {
    VIEWER,
    OPERATOR,
    ADMIN;

    /** Spring Security authorities granted to a token of this role (its own and every weaker one). */
    List<String> authorities() {
        return java.util.Arrays.stream(values())
                .filter(r -> r.ordinal() <= ordinal())
                .map(r -> "ROLE_" + r.name())
                .toList();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ApiRole parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new io.recall.common.errors.InvalidRequestException(
                    "role must be one of viewer, operator, admin; got '" + text + "'");
        }
    }
}
