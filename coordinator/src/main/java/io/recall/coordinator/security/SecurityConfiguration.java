package io.recall.coordinator.security;

import static org.springframework.http.HttpMethod.DELETE;
import static org.springframework.http.HttpMethod.GET;
import static org.springframework.http.HttpMethod.POST;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.recall.coordinator.api.ProblemTypes;
import io.recall.coordinator.config.RecallProperties;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;

/**
 * Route-level authorization. Roles: {@code viewer} reads, {@code operator} runs backups, restores, pause/resume and
 * restore points, {@code admin} manages sources and tokens. Health (API and actuator probes) and the OpenAPI document
 * are open. With
 * {@code recall.security.auth-enabled=false} (local use only) every route is open and a warning is logged at start.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    SecurityFilterChain api(HttpSecurity http, RecallProperties properties, ApiTokenService tokens, ObjectMapper json)
            throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
        if (!properties.security().authEnabled()) {
            log.warn("API authentication is OFF (recall.security.auth-enabled=false): anyone who can reach this port"
                    + " can manage sources and restores. Use this only for local, single-user setups.");
            return http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).build();
        }
        http.addFilterBefore(new BearerTokenFilter(tokens), AnonymousAuthenticationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint((req, res, ex) -> write(
                                json,
                                res,
                                HttpStatus.UNAUTHORIZED,
                                ProblemTypes.UNAUTHENTICATED,
                                "send a valid API token as 'Authorization: Bearer <token>'"))
                        .accessDeniedHandler((req, res, ex) -> write(
                                json,
                                res,
                                HttpStatus.FORBIDDEN,
                                ProblemTypes.FORBIDDEN,
                                "this token's role may not " + req.getMethod() + " " + req.getRequestURI())))
                .authorizeHttpRequests(a -> a.requestMatchers(GET, "/api/v1/health")
                        .permitAll()
                        // liveness and readiness for orchestrators: they reveal nothing but UP/DOWN
                        .requestMatchers(
                                GET, "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")
                        .permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**")
                        .permitAll()
                        .requestMatchers("/api/v1/tokens", "/api/v1/tokens/**")
                        .hasRole("ADMIN")
                        .requestMatchers("/api/v1/admin/**")
                        .hasRole("ADMIN")
                        .requestMatchers(POST, "/api/v1/sources", "/api/v1/sources/*/probe")
                        .hasRole("ADMIN")
                        .requestMatchers(DELETE, "/api/v1/sources/*")
                        .hasRole("ADMIN")
                        .requestMatchers(
                                POST,
                                "/api/v1/sources/*/pause",
                                "/api/v1/sources/*/resume",
                                "/api/v1/sources/*/base-backups",
                                "/api/v1/sources/*/restore-points",
                                "/api/v1/restores",
                                "/api/v1/restores/*/cancel")
                        .hasRole("OPERATOR")
                        .requestMatchers(GET, "/api/v1/**")
                        .hasRole("VIEWER")
                        .anyRequest()
                        .hasRole("ADMIN"));
        return http.build();
    }

    private static void write(ObjectMapper json, HttpServletResponse res, HttpStatus status, URI type, String detail)
            throws IOException {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(type);
        p.setTitle(status.getReasonPhrase());
        res.setStatus(status.value());
        res.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        if (status == HttpStatus.UNAUTHORIZED) {
            res.setHeader("WWW-Authenticate", "Bearer");
        }
        json.writeValue(res.getOutputStream(), p);
    }
}
