package dev.diskimage.catalog;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How {@link GlanceImageService} talks to Glance: timeouts, retries, the metadata size cap and
 * extra headers. Immutable; start from {@link #defaults()} and change what you need.
 *
 * <p>Retry rule: a call is retried on a connection error, a timeout or a 5xx answer only when it
 * is idempotent ({@code GET}, {@code DELETE}); every call, uploads and {@code PATCH} included, is
 * also retried when the connection could not be opened at all (nothing was sent), and an upload
 * only while its stream has not been read from. The pause before attempt {@code n + 1} is
 * {@code min(maxBackoff, initialBackoff * 2^(n-1))}, of which a random half to all is waited.
 *
 * @param connectTimeout how long opening a connection may take
 * @param readTimeout how long the service may stay silent: until the answer's headers arrive,
 *     between two pieces of an answer's body (a per-read idle timeout on downloads), and while an
 *     upload makes no progress
 * @param maxAttempts how many times a retryable call is tried in all, at least 1
 * @param initialBackoff the pause before the first retry
 * @param maxBackoff the longest pause between two attempts
 * @param maxMetadataBytes the largest metadata answer (JSON) read; a larger one is refused
 * @param headers extra headers sent with every request (e.g. a service token); their values are
 *     never logged or shown
 */
public record GlanceOptions(Duration connectTimeout, Duration readTimeout, int maxAttempts,
        Duration initialBackoff, Duration maxBackoff, int maxMetadataBytes, Map<String, String> headers) {

    /** The default cap on a metadata answer: 4 MiB, far above any real image record or page. */
    public static final int DEFAULT_MAX_METADATA_BYTES = 4 << 20;

    /** The largest cap accepted on a metadata answer: 64 MiB. */
    public static final int MAX_METADATA_BYTES_LIMIT = 64 << 20;

    /** The most attempts one call may make. */
    public static final int MAX_ATTEMPTS_LIMIT = 20;

    /** Headers the client sets itself, which an extra header may not replace. */
    private static final Set<String> OWN_HEADERS = Set.of("accept", "content-type", "content-length", "host",
            "connection", "expect", "upgrade", "transfer-encoding", "x-auth-token", "x-user-id", "x-project-id",
            "x-tenant-id", "x-roles", "x-identity-status", "x-openstack-request-id");

    /**
     * Validates and copies the parts.
     *
     * @param connectTimeout how long opening a connection may take; positive
     * @param readTimeout how long the service may stay silent; positive
     * @param maxAttempts attempts per retryable call, 1 to {@link #MAX_ATTEMPTS_LIMIT}
     * @param initialBackoff the first pause; not negative
     * @param maxBackoff the longest pause; at least {@code initialBackoff}
     * @param maxMetadataBytes the metadata cap, 1 KiB to {@link #MAX_METADATA_BYTES_LIMIT}
     * @param headers extra headers: names are tokens and not the client's own headers, values
     *     without control characters
     */
    public GlanceOptions {
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(readTimeout, "readTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
            throw new IllegalArgumentException("maxAttempts " + maxAttempts + " is not within 1.." + MAX_ATTEMPTS_LIMIT);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initialBackoff <= maxBackoff: "
                    + initialBackoff + ", " + maxBackoff);
        }
        if (maxMetadataBytes < 1024 || maxMetadataBytes > MAX_METADATA_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxMetadataBytes " + maxMetadataBytes + " is not within 1024.."
                    + MAX_METADATA_BYTES_LIMIT);
        }
        Map<String, String> copy = new LinkedHashMap<>();
        headers.forEach((name, value) -> {
            requireToken(name);
            if (OWN_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header " + name + " is set by the client itself");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    throw new IllegalArgumentException("the value of header " + name + " contains a control character");
                }
            }
            copy.put(name, value);
        });
        headers = Map.copyOf(copy);
    }

    /**
     * The defaults: connect within 10 s, a 60 s read timeout, 4 attempts with pauses from 0.5 s
     * to 8 s, metadata answers up to {@link #DEFAULT_MAX_METADATA_BYTES}, no extra headers.
     *
     * @return the default options
     */
    public static GlanceOptions defaults() {
        return new GlanceOptions(Duration.ofSeconds(10), Duration.ofSeconds(60), 4, Duration.ofMillis(500),
                Duration.ofSeconds(8), DEFAULT_MAX_METADATA_BYTES, Map.of());
    }

    /**
     * These options with another connect timeout.
     *
     * @param value how long opening a connection may take
     * @return the new options
     */
    public GlanceOptions withConnectTimeout(Duration value) {
        return new GlanceOptions(value, readTimeout, maxAttempts, initialBackoff, maxBackoff, maxMetadataBytes, headers);
    }

    /**
     * These options with another read timeout.
     *
     * @param value how long the service may stay silent
     * @return the new options
     */
    public GlanceOptions withReadTimeout(Duration value) {
        return new GlanceOptions(connectTimeout, value, maxAttempts, initialBackoff, maxBackoff, maxMetadataBytes, headers);
    }

    /**
     * These options with another retry schedule.
     *
     * @param attempts how many times a retryable call is tried in all ({@code 1}: no retry)
     * @param initial the pause before the first retry
     * @param max the longest pause
     * @return the new options
     */
    public GlanceOptions withRetries(int attempts, Duration initial, Duration max) {
        return new GlanceOptions(connectTimeout, readTimeout, attempts, initial, max, maxMetadataBytes, headers);
    }

    /**
     * These options with another cap on metadata answers.
     *
     * @param bytes the largest JSON answer read
     * @return the new options
     */
    public GlanceOptions withMaxMetadataBytes(int bytes) {
        return new GlanceOptions(connectTimeout, readTimeout, maxAttempts, initialBackoff, maxBackoff, bytes, headers);
    }

    /**
     * These options with one more header sent on every request.
     *
     * @param name the header's name; not one the client sets itself
     * @param value its value
     * @return the new options
     */
    public GlanceOptions withHeader(String name, String value) {
        Map<String, String> values = new LinkedHashMap<>(headers);
        values.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new GlanceOptions(connectTimeout, readTimeout, maxAttempts, initialBackoff, maxBackoff, maxMetadataBytes,
                values);
    }

    /** Shows the extra headers' names only: their values may be credentials. */
    @Override
    public String toString() {
        return "GlanceOptions[connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + ", maxAttempts="
                + maxAttempts + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff
                + ", maxMetadataBytes=" + maxMetadataBytes + ", headers=" + headers.keySet() + "]";
    }

    private static void requirePositive(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + value);
        }
    }

    /** RFC 9110 field names are tokens. */
    private static void requireToken(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                throw new IllegalArgumentException("header name " + name + " is not a token");
            }
        }
    }
}
