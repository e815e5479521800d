package io.recall.deploy;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.AbstractBindHandler;
import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.env.SpringApplicationJsonEnvironmentPostProcessor;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.boot.origin.SystemEnvironmentOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * What a Recall service makes of an environment: Spring Boot's own machinery (the service's application.yml,
 * environment variables with relaxed binding, SPRING_APPLICATION_JSON) binding its real {@code recall.*}
 * properties record, then Bean Validation of the result. Also reports environment variables that nothing reads: a
 * misspelt name would otherwise be ignored silently.
 */
final class ServiceSettings<T> {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)[:}]");

    /** Read by Spring Boot itself or by the image's launcher, not through application.yml or recall.*. */
    private static final Set<String> READ_ELSEWHERE =
            Set.of("SPRING_APPLICATION_JSON", "JAVA_OPTS", "RECALL_AOT_CACHE");

    final T properties;
    final ConfigurableEnvironment environment;
    final Set<String> violations;
    final Set<String> unreadVariables;

    private ServiceSettings(
            T properties, ConfigurableEnvironment environment, Set<String> violations, Set<String> unread) {
        this.properties = properties;
        this.environment = environment;
        this.violations = violations;
        this.unreadVariables = unread;
    }

    /**
     * @param type the service's {@code @ConfigurationProperties("recall")} record; its module's application.yml is
     *     read from the same classpath root as the class
     * @param env the process environment the deployment gives the service
     */
    static <T> ServiceSettings<T> bind(Class<T> type, Map<String, String> env) {
        String yaml = applicationYaml(type);
        StandardEnvironment environment = new StandardEnvironment();
        var sources = environment.getPropertySources();
        sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        SystemEnvironmentPropertySource envSource = new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new HashMap<>(env));
        sources.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, envSource);
        try {
            for (PropertySource<?> ps : new YamlPropertySourceLoader()
                    .load("application.yml", new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))) {
                sources.addLast(ps);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        new SpringApplicationJsonEnvironmentPostProcessor()
                .postProcessEnvironment(environment, new SpringApplication());
        ConfigurationPropertySources.attach(environment);

        Set<ConfigurationPropertyName> bound = new HashSet<>();
        Set<ConfigurationPropertyName> boundMaps = new HashSet<>();
        T properties = Binder.get(environment).bindOrCreate("recall", Bindable.of(type), new AbstractBindHandler() {
            @Override
            public Object onSuccess(
                    ConfigurationPropertyName name, Bindable<?> target, BindContext context, Object result) {
                bound.add(name);
                if (result instanceof Map) {
                    boundMaps.add(name);
                }
                return result;
            }
        });

        Set<String> violations = new TreeSet<>();
        try (ValidatorFactory factory = Validation.buildDefaultValidatorFactory()) {
            Validator validator = factory.getValidator();
            for (ConstraintViolation<T> v : validator.validate(properties)) {
                violations.add("recall." + v.getPropertyPath() + ": " + v.getMessage());
            }
        }

        Set<String> placeholders = new HashSet<>();
        Matcher m = PLACEHOLDER.matcher(yaml);
        while (m.find()) {
            placeholders.add(m.group(1));
        }
        Set<String> unread = new TreeSet<>(env.keySet());
        unread.removeAll(placeholders);
        unread.removeAll(READ_ELSEWHERE);
        var names = (IterableConfigurationPropertySource) ConfigurationPropertySource.from(envSource);
        names.stream().forEach(name -> {
            ConfigurationProperty property = names.getConfigurationProperty(name);
            Origin origin = property == null ? null : property.getOrigin();
            String variable = origin instanceof SystemEnvironmentOrigin o
                    ? o.getProperty()
                    : origin instanceof PropertySourceOrigin o ? o.getPropertyName() : null;
            if (variable != null && (bound.contains(name) || boundMaps.stream().anyMatch(p -> p.isAncestorOf(name)))) {
                unread.remove(variable);
            }
        });
        return new ServiceSettings<>(properties, environment, violations, unread);
    }

    /** A resolved property of the service (placeholders in application.yml applied). */
    String property(String name) {
        return environment.getProperty(name);
    }

    /** The application.yml beside the class: in target/classes, or in the module's jar. */
    private static String applicationYaml(Class<?> type) {
        URL location = type.getProtectionDomain().getCodeSource().getLocation();
        try {
            Path root = Path.of(location.toURI());
            if (Files.isDirectory(root)) {
                return Files.readString(root.resolve("application.yml"));
            }
            try (InputStream in = new URL("jar:" + location + "!/application.yml").openStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (Exception e) {
            throw new IllegalStateException("no application.yml beside " + type.getName() + " at " + location, e);
        }
    }

    /** Environment variables of a list of {@code NAME=value} strings or a map, as Compose allows both. */
    static Map<String, String> environmentOf(Object composeEnvironment) {
        Map<String, String> out = new LinkedHashMap<>();
        if (composeEnvironment instanceof Map<?, ?> map) {
            map.forEach((k, v) -> out.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (composeEnvironment instanceof List<?> list) {
            for (Object entry : list) {
                String[] kv = String.valueOf(entry).split("=", 2);
                out.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return out;
    }
}
