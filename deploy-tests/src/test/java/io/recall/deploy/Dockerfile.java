package io.recall.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The instructions of a Dockerfile that these tests check: stages, and per stage its ARG defaults, ENV, USER,
 * EXPOSE, HEALTHCHECK, ENTRYPOINT and RUN lines. Line continuations and comments are handled; {@code ${NAME}} in
 * ENV values is expanded from the stage's ARG and earlier ENV values.
 */
final class Dockerfile {

    /** One build stage. */
    static final class Stage {
        final String from;
        final String alias;
        final Map<String, String> args = new LinkedHashMap<>();
        final Map<String, String> env = new LinkedHashMap<>();
        final List<String> runs = new ArrayList<>();
        final List<String> copies = new ArrayList<>();
        final List<String> exposes = new ArrayList<>();
        String user;
        String healthcheck;
        List<String> entrypoint;

        Stage(String from, String alias) {
            this.from = from;
            this.alias = alias;
        }
    }

    private static final Pattern REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    final Map<String, String> globalArgs = new LinkedHashMap<>();
    final List<Stage> stages = new ArrayList<>();

    static Dockerfile parse(String text) {
        Dockerfile d = new Dockerfile();
        for (String instruction : instructions(text)) {
            String[] parts = instruction.split("\\s+", 2);
            String keyword = parts[0].toUpperCase();
            String rest = parts.length > 1 ? parts[1].strip() : "";
            Stage stage = d.stages.isEmpty() ? null : d.stages.getLast();
            switch (keyword) {
                case "FROM" -> {
                    String[] f = rest.split("\\s+");
                    String image = d.expand(f[0], d.globalArgs);
                    d.stages.add(new Stage(image, f.length >= 3 && f[1].equalsIgnoreCase("AS") ? f[2] : null));
                }
                case "ARG" -> {
                    String[] kv = rest.split("=", 2);
                    Map<String, String> target = stage == null ? d.globalArgs : stage.args;
                    String value = kv.length > 1 ? kv[1] : d.globalArgs.getOrDefault(kv[0], "");
                    target.put(kv[0], value);
                }
                case "ENV" -> {
                    for (Map.Entry<String, String> e : assignments(rest).entrySet()) {
                        Map<String, String> scope = new LinkedHashMap<>(stage.args);
                        scope.putAll(stage.env);
                        stage.env.put(e.getKey(), d.expand(e.getValue(), scope));
                    }
                }
                case "USER" -> stage.user = rest;
                case "EXPOSE" -> stage.exposes.addAll(List.of(rest.split("\\s+")));
                case "HEALTHCHECK" -> stage.healthcheck = rest;
                case "RUN" -> stage.runs.add(rest);
                case "COPY" -> stage.copies.add(rest);
                case "ENTRYPOINT" -> stage.entrypoint = json(rest);
                default -> {}
            }
        }
        return d;
    }

    Stage runtime() {
        return stages.getLast();
    }

    private String expand(String value, Map<String, String> scope) {
        Matcher m = REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String v = scope.containsKey(name) ? scope.get(name) : globalArgs.get(name);
            if (v == null) {
                throw new IllegalStateException("${" + name + "} is not an ARG or ENV in scope: " + value);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static List<String> json(String array) {
        try {
            return new ObjectMapper().readValue(array, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            throw new IllegalArgumentException("ENTRYPOINT is not in exec (JSON) form: " + array, e);
        }
    }

    /** The logical instructions: comments and blank lines dropped, continuation lines joined. */
    static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line)
                    .append(' ');
            if (!continues) {
                out.add(current.toString().strip());
                current.setLength(0);
            }
        }
        if (!current.isEmpty()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    /** {@code A=b C="d e"} → {A=b, C=d e}. */
    static Map<String, String> assignments(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= text.length()) {
                break;
            }
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                throw new IllegalArgumentException("ENV needs NAME=value: " + text);
            }
            String name = text.substring(i, eq);
            i = eq + 1;
            StringBuilder value = new StringBuilder();
            if (i < text.length() && text.charAt(i) == '"') {
                int end = text.indexOf('"', i + 1);
                value.append(text, i + 1, end);
                i = end + 1;
            } else {
                while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                    value.append(text.charAt(i++));
                }
            }
            out.put(name, value.toString());
        }
        return out;
    }
}
