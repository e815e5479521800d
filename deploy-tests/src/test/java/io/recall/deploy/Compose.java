package io.recall.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads a Compose file the way Compose does before validating it: YAML (merge keys included), then interpolation of
 * {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}}, {@code ${VAR:?error}}, {@code ${VAR?error}},
 * {@code ${VAR:+alt}}, {@code ${VAR+alt}} and {@code $$} in every string value, from the variables given (the
 * {@code .env} file).
 */
final class Compose {

    private static final Pattern VARIABLE =
            Pattern.compile("\\$(?:\\$|\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?}|([A-Za-z_][A-Za-z0-9_]*))");

    /** A variable that {@code :?}/{@code ?} requires and that is missing, with the file's message. */
    record Missing(String variable, String message) {}

    /** Thrown when required variables are missing; names all of them, as Compose names the first. */
    static final class InterpolationException extends RuntimeException {
        final List<Missing> missing;

        InterpolationException(List<Missing> missing) {
            super("missing required variables: " + missing);
            this.missing = List.copyOf(missing);
        }
    }

    private Compose() {}

    /** The YAML document, merge keys applied, before interpolation. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return (Map<String, Object>) new Yaml(new SafeConstructor(options)).load(yaml);
    }

    /** The document with every string value interpolated from {@code variables}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> interpolate(Map<String, Object> document, Map<String, String> variables) {
        List<Missing> missing = new ArrayList<>();
        Map<String, Object> out = (Map<String, Object>) walk(document, variables, missing);
        if (!missing.isEmpty()) {
            throw new InterpolationException(missing);
        }
        return out;
    }

    private static Object walk(Object node, Map<String, String> variables, List<Missing> missing) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), walk(v, variables, missing)));
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(walk(v, variables, missing)));
            return out;
        }
        if (node instanceof String s) {
            return substitute(s, variables, missing);
        }
        return node;
    }

    static String substitute(String value, Map<String, String> variables, List<Missing> missing) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else {
                String name = m.group(1) != null ? m.group(1) : m.group(4);
                String op = m.group(2);
                String arg = m.group(3) == null ? "" : m.group(3);
                String current = variables.get(name);
                boolean set = current != null;
                boolean nonEmpty = set && !current.isEmpty();
                if (op == null) {
                    replacement = set ? current : "";
                } else {
                    replacement = switch (op) {
                        case ":-" -> nonEmpty ? current : arg;
                        case "-" -> set ? current : arg;
                        case ":+" -> nonEmpty ? arg : "";
                        case "+" -> set ? arg : "";
                        case ":?", "?" -> {
                            boolean ok = op.equals(":?") ? nonEmpty : set;
                            if (!ok) {
                                missing.add(new Missing(name, arg));
                            }
                            yield ok ? current : "";
                        }
                        default -> throw new IllegalStateException(op);
                    };
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** A {@code .env} file: {@code NAME=value} lines; blank lines and {@code #} comments skipped. */
    static Map<String, String> parseEnvFile(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("not NAME=value: " + line);
            }
            out.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return out;
    }
}
