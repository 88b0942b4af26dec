package dev.diskimage.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageQuotaExceededException;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.ImageServiceAuthorizationException;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageServiceUnavailableException;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ImageService} over Glance's image API v2, on the JDK's HTTP client.
 *
 * <pre>{@code
 * ImageService glance = GlanceImageService.connect(URI.create("http://glance:9292"));
 * RequestContext ctx = RequestContext.withToken(token);
 * ImageMeta image = glance.create(ctx, NewImage.of("cirros", "qcow2"));
 * glance.upload(ctx, image.id(), Path.of("cirros.qcow2"));
 * try (InputStream data = glance.download(ctx, image.id())) { ... }
 * }</pre>
 *
 * <p>Identity: the context's token goes out as {@code X-Auth-Token}; its user, project and roles
 * as {@code X-User-Id}, {@code X-Project-Id} (and {@code X-Tenant-Id}) and {@code X-Roles}, with
 * {@code X-Identity-Status: Confirmed} when there is no token, which is what Glance's
 * {@code ContextMiddleware} reads in a deployment without Keystone. The request id goes out as
 * {@code X-Openstack-Request-Id} (when it fits Glance's 64 characters). Redirects are never
 * followed, so a token never reaches another host.
 *
 * <p>Retries and timeouts are set by {@link GlanceOptions}: idempotent calls ({@code GET},
 * {@code DELETE}) are retried with exponential backoff on connection errors, timeouts and 5xx
 * answers; other calls only when the connection could not be opened; an upload never once its
 * stream has been read from. A {@code DELETE} whose earlier attempt may have reached Glance and
 * whose retry finds the image gone has succeeded. Data streams both ways, never buffered whole;
 * a download whose body stalls for the read timeout, breaks off or ends short fails with
 * {@link ImageServiceUnavailableException} from {@code read}. Metadata answers over
 * {@link GlanceOptions#maxMetadataBytes()} are refused. An upload whose stream holds more or
 * fewer bytes than the size given fails with {@link IllegalArgumentException}.
 *
 * <p>Errors: 401 and 403 are {@link ImageServiceAuthorizationException}, 404
 * {@link ImageNotFoundException}, 409 {@link ImageConflictException}, 413
 * {@link ImageQuotaExceededException}, 5xx and transport failures
 * {@link ImageServiceUnavailableException}, the rest {@link ImageServiceException}. Every message
 * names the service, the method and path (with the image id) and Glance's own error text and
 * request id; never the token or an extra header's value. Thread-safe.
 */
public final class GlanceImageService implements ImageService {
    private static final Logger LOG = LoggerFactory.getLogger(GlanceImageService.class);

    /** Glance's media type for image changes (JSON patch, draft 10 flavour). */
    static final String PATCH_MEDIA_TYPE = "application/openstack-images-v2.1-json-patch";

    /** How much of an error answer is read for its text. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    /** Glance refuses request ids longer than this ({@code max_request_id_length}). */
    private static final int MAX_REQUEST_ID = 64;

    private static final String IMAGES = "/v2/images";

    /** Query parameters the client sets itself for paging. */
    private static final Set<String> PAGING_PARAMETERS = Set.of("limit", "marker", "sort_key", "sort_dir", "sort");

    private final String endpoint;
    private final GlanceOptions options;
    private final HttpClient client;

    private GlanceImageService(String endpoint, GlanceOptions options) {
        this.endpoint = endpoint;
        this.options = options;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * A client for the Glance at {@code endpoint}, with the default options.
     *
     * @param endpoint Glance's root, e.g. {@code http://glance:9292} ({@code /v2} at its end is accepted)
     * @return the client
     * @throws IllegalArgumentException if the endpoint is not an http(s) URL without query,
     *     fragment or user info
     */
    public static GlanceImageService connect(URI endpoint) {
        return connect(endpoint, GlanceOptions.defaults());
    }

    /**
     * A client for the Glance at {@code endpoint}.
     *
     * @param endpoint Glance's root, e.g. {@code http://glance:9292} ({@code /v2} at its end is accepted)
     * @param options timeouts, retries, caps and extra headers
     * @return the client
     * @throws IllegalArgumentException if the endpoint is not an http(s) URL without query,
     *     fragment or user info
     */
    public static GlanceImageService connect(URI endpoint, GlanceOptions options) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(options, "options");
        String scheme = endpoint.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || endpoint.getHost() == null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw new IllegalArgumentException("a Glance endpoint is an http(s) URL without query or fragment: "
                    + UntrustedText.sanitize(endpoint.toString(), 200));
        }
        if (endpoint.getRawUserInfo() != null) {
            // user info is a credential, and the endpoint is named in every message
            throw new IllegalArgumentException("a Glance endpoint must not carry user info: pass a token in the RequestContext");
        }
        String root = endpoint.toString();
        while (root.endsWith("/")) {
            root = root.substring(0, root.length() - 1);
        }
        if (root.endsWith("/v2")) {
            root = root.substring(0, root.length() - 3);
        }
        return new GlanceImageService(root, options);
    }

    /**
     * The options this client was made with.
     *
     * @return the options
     */
    public GlanceOptions options() {
        return options;
    }

    @Override
    public String location() {
        return "glance " + endpoint;
    }

    @Override
    public ImageMeta get(RequestContext ctx, String id) {
        Call call = Call.idempotent("GET", imagePath(id), id);
        return execute(ctx, call, null, response -> meta(call, readJson(call, response)));
    }

    @Override
    public Stream<ImageMeta> list(RequestContext ctx, ImageQuery query) {
        Objects.requireNonNull(ctx, "ctx");
        StringBuilder path = new StringBuilder(IMAGES).append("?limit=").append(query.pageSize())
                .append("&sort_key=").append(encode(query.sortKey()))
                .append("&sort_dir=").append(query.ascending() ? "asc" : "desc");
        new java.util.TreeMap<>(query.filters()).forEach((key, value) ->
                path.append('&').append(encode(key)).append('=').append(encode(value)));
        for (String key : query.filters().keySet()) {
            if (PAGING_PARAMETERS.contains(key)) {
                throw new IllegalArgumentException("filter " + UntrustedText.sanitize(key, 100)
                        + " is a paging parameter: set it through ImageQuery's page size and sort order");
            }
        }
        Pages pages = new Pages(ctx, path.toString());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    @Override
    public ImageMeta create(RequestContext ctx, NewImage image) {
        String body = GlanceImageJson.createBody(image);
        Call call = Call.unsafe("POST", IMAGES, image.id().orElse(null));
        return execute(ctx, call, Body.json("application/json", body), response -> meta(call, readJson(call, response)));
    }

    @Override
    public ImageMeta upload(RequestContext ctx, String id, InputStream data, OptionalLong size) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(size, "size");
        Call call = Call.unsafe("PUT", imagePath(id) + "/file", id);
        Progress progress = new Progress(data);
        execute(ctx, call, Body.upload(progress, size), response -> {
            closeQuietly(response.body());
            return null;
        });
        return get(ctx, id);
    }

    /** The JDK fails an upload whose stream is shorter or longer than its Content-Length: the caller's error, not Glance's. */
    private void refuseWrongSize(Call call, Body body) {
        Progress progress = body.upload();
        OptionalLong size = body.size();
        if (size.isPresent() && (progress.count() > size.getAsLong()
                || progress.ended() && progress.count() != size.getAsLong())) {
            throw new IllegalArgumentException(prefix(call) + "the data has " + (progress.ended() ? "" : "more than ")
                    + progress.count() + " bytes, not the " + size.getAsLong() + " declared");
        }
    }

    @Override
    public InputStream download(RequestContext ctx, String id) {
        Call call = Call.idempotent("GET", imagePath(id) + "/file", id).accepting("application/octet-stream");
        return execute(ctx, call, null, response -> {
            if (response.statusCode() != 200) {
                closeQuietly(response.body());
                throw new ImageServiceException(prefix(call) + "the image has no data (HTTP "
                        + response.statusCode() + "; it is not active)" + requestId(response), response.statusCode(), null);
            }
            return response.body();
        });
    }

    @Override
    public ImageMeta update(RequestContext ctx, String id, ImageChanges changes, boolean purgeProps) {
        Objects.requireNonNull(changes, "changes");
        Call read = Call.idempotent("GET", imagePath(id), id);
        JsonNode current = execute(ctx, read, null, response -> readJson(read, response));
        String patch = GlanceImageJson.patch(current, changes, purgeProps).toString();
        if (patch.equals("[]")) {
            return meta(read, current);
        }
        Call call = Call.unsafe("PATCH", imagePath(id), id);
        return execute(ctx, call, Body.json(PATCH_MEDIA_TYPE, patch), response -> meta(call, readJson(call, response)));
    }

    @Override
    public void delete(RequestContext ctx, String id) {
        Call call = Call.idempotent("DELETE", imagePath(id), id);
        execute(ctx, call, null, response -> {
            closeQuietly(response.body());
            return null;
        });
    }

    @Override
    public String toString() {
        return "GlanceImageService[" + endpoint + "]";
    }

    // ---------------------------------------------------------------------------------------
    // One call: attempts, backoff, error mapping

    /** What a successful answer becomes; may throw the service's typed errors. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(HttpResponse<InputStream> response);
    }

    /** A request's method, path (below the endpoint), image (for messages) and retry class. */
    private record Call(String method, String path, String imageId, boolean idempotent, String accept) {
        static Call idempotent(String method, String path, String imageId) {
            return new Call(method, path, imageId, true, "application/json");
        }

        static Call unsafe(String method, String path, String imageId) {
            return new Call(method, path, imageId, false, "application/json");
        }

        Call accepting(String mediaType) {
            return new Call(method, path, imageId, idempotent, mediaType);
        }
    }

    /** A request body: JSON text, or an upload that streams the caller's data. */
    private record Body(String contentType, String json, Progress upload, OptionalLong size) {
        static Body json(String contentType, String json) {
            return new Body(contentType, json, null, OptionalLong.empty());
        }

        static Body upload(Progress data, OptionalLong size) {
            return new Body("application/octet-stream", null, data, size);
        }

        BodyPublisher publisher() {
            if (upload == null) {
                return BodyPublishers.ofString(json, StandardCharsets.UTF_8);
            }
            BodyPublisher stream = BodyPublishers.ofInputStream(() -> upload);
            return size.isPresent() ? BodyPublishers.fromPublisher(stream, size.getAsLong()) : stream;
        }
    }

    private <T> T execute(RequestContext ctx, Call call, Body body, Reader<T> reader) {
        Objects.requireNonNull(ctx, "ctx");
        boolean mayHaveActed = false;
        for (int attempt = 1; ; attempt++) {
            boolean last = attempt >= options.maxAttempts();
            HttpResponse<InputStream> response;
            try {
                response = send(request(ctx, call, body), call, body);
            } catch (IOException e) {
                if (body != null && body.upload() != null) {
                    refuseWrongSize(call, body);
                }
                boolean unsent = neverSent(e) && (body == null || body.upload() == null || !body.upload().touched());
                if (!last && (call.idempotent() || unsent)) {
                    mayHaveActed |= !unsent;
                    pause(call, attempt, IdleTimeoutBody.describe(e));
                    continue;
                }
                throw new ImageServiceUnavailableException(prefix(call) + "no answer"
                        + attempts(attempt) + ": " + UntrustedText.sanitize(IdleTimeoutBody.describe(e), 300), -1, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageServiceException(prefix(call) + "interrupted", -1, e);
            }
            int status = response.statusCode();
            if (status >= 500 && call.idempotent() && !last) {
                String text = errorText(response);
                mayHaveActed = true;
                pause(call, attempt, "HTTP " + status + (text.isEmpty() ? "" : " " + text));
                continue;
            }
            if (status == 404 && mayHaveActed && call.method().equals("DELETE")) {
                LOG.info("{}the image is gone after a retry: an earlier attempt deleted it", prefix(call));
                closeQuietly(response.body());
                return null;
            }
            if (status >= 300) {
                throw error(call, response, attempt);
            }
            try {
                return reader.read(response);
            } catch (ImageServiceUnavailableException e) {
                // the answer's body broke off or stalled: as good as no answer
                closeQuietly(response.body());
                if (call.idempotent() && !last) {
                    mayHaveActed = true;
                    pause(call, attempt, e.getMessage());
                    continue;
                }
                throw e;
            }
        }
    }

    private HttpResponse<InputStream> send(HttpRequest request, Call call, Body body)
            throws IOException, InterruptedException {
        HttpResponse.BodyHandler<InputStream> handler = info -> new IdleTimeoutBody(options.readTimeout(),
                (reason, cause) -> new ImageServiceUnavailableException(prefix(call) + reason, -1, cause));
        if (body == null || body.upload() == null) {
            return client.send(request, handler);
        }
        // An upload has no overall deadline (it may be large): it fails when it makes no progress
        // (no byte taken from the data, no answer) for the read timeout.
        Progress progress = body.upload();
        progress.restartClock();
        CompletableFuture<HttpResponse<InputStream>> future = client.sendAsync(request, handler);
        long idle = options.readTimeout().toNanos();
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(idle / 4, TimeUnit.SECONDS.toNanos(1)));
        while (true) {
            try {
                return future.get(tick, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                long quiet = System.nanoTime() - progress.lastActivity();
                if (quiet > idle) {
                    future.cancel(true);
                    throw new java.net.http.HttpTimeoutException("the upload made no progress for "
                            + options.readTimeout().toMillis() + " ms after " + progress.count() + " bytes (read timeout)");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new IOException(cause);
            } catch (InterruptedException e) {
                future.cancel(true);
                throw e;
            }
        }
    }

    private HttpRequest request(RequestContext ctx, Call call, Body body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(endpoint + call.path()))
                .method(call.method(), body == null ? BodyPublishers.noBody() : body.publisher())
                .header("Accept", call.accept())
                .header("User-Agent", "diskimage");
        if (body == null || body.upload() == null) {
            builder.timeout(options.readTimeout());
        }
        if (body != null) {
            builder.header("Content-Type", body.contentType());
        }
        ctx.authToken().ifPresent(token -> builder.header("X-Auth-Token", token));
        ctx.userId().ifPresent(user -> builder.header("X-User-Id", user));
        ctx.projectId().ifPresent(project -> builder.header("X-Project-Id", project).header("X-Tenant-Id", project));
        if (!ctx.roles().isEmpty()) {
            builder.header("X-Roles", String.join(",", ctx.roles()));
        }
        if (ctx.authToken().isEmpty() && (ctx.userId().isPresent() || ctx.projectId().isPresent())) {
            builder.header("X-Identity-Status", "Confirmed");
        }
        if (ctx.requestId().length() <= MAX_REQUEST_ID) {
            builder.header("X-Openstack-Request-Id", ctx.requestId());
        }
        options.headers().forEach(builder::header);
        LOG.debug("{} {}{} [{}]", call.method(), endpoint, call.path(), ctx.requestId());
        return builder.build();
    }

    private void pause(Call call, int attempt, String reason) {
        long initial = options.initialBackoff().toNanos();
        long max = options.maxBackoff().toNanos();
        long delay = initial;
        for (int i = 1; i < attempt && delay < max; i++) {
            delay = delay > max / 2 ? max : delay * 2;
        }
        delay = Math.min(delay, max);
        long wait = delay <= 1 ? delay : delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        LOG.warn("{}attempt {} of {} failed ({}); retrying in {} ms", prefix(call), attempt, options.maxAttempts(),
                UntrustedText.sanitize(reason, 300), TimeUnit.NANOSECONDS.toMillis(wait));
        try {
            TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageServiceException(prefix(call) + "interrupted while waiting to retry", -1, e);
        }
    }

    /** Whether the request certainly never left: the connection could not be opened. */
    private static boolean neverSent(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private RuntimeException error(Call call, HttpResponse<InputStream> response, int attempt) {
        int status = response.statusCode();
        String text = errorText(response);
        String message = prefix(call) + "HTTP " + status + reason(status) + (text.isEmpty() ? "" : ": " + text)
                + requestId(response) + attempts(attempt);
        switch (status) {
            case 401:
            case 403:
                return new ImageServiceAuthorizationException(message, status, null);
            case 404:
                return new ImageNotFoundException(message);
            case 409:
                return new ImageConflictException(message, status, null);
            case 413:
                return new ImageQuotaExceededException(message, status, null);
            default:
                return status >= 500 ? new ImageServiceUnavailableException(message, status, null)
                        : new ImageServiceException(message, status, null);
        }
    }

    private static String reason(int status) {
        switch (status) {
            case 400: return " Bad Request";
            case 401: return " Unauthorized";
            case 403: return " Forbidden";
            case 404: return " Not Found";
            case 409: return " Conflict";
            case 413: return " Request Entity Too Large";
            case 500: return " Internal Server Error";
            case 502: return " Bad Gateway";
            case 503: return " Service Unavailable";
            case 504: return " Gateway Timeout";
            default: return "";
        }
    }

    private static String attempts(int attempt) {
        return attempt > 1 ? " (after " + attempt + " attempts)" : "";
    }

    private static String requestId(HttpResponse<?> response) {
        return response.headers().firstValue("X-Openstack-Request-Id")
                .map(id -> " [" + UntrustedText.sanitize(id, 100) + "]").orElse("");
    }

    /** The error body's text; a body that stalls or breaks off gives what arrived. */
    private static String errorText(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            return GlanceErrorText.of(in.readNBytes(MAX_ERROR_BODY));
        } catch (IOException | ImageServiceException e) {
            return "";
        }
    }

    private String prefix(Call call) {
        return location() + ": " + call.method() + " " + UntrustedText.sanitize(call.path(), 500) + ": ";
    }

    private JsonNode readJson(Call call, HttpResponse<InputStream> response) {
        int max = options.maxMetadataBytes();
        OptionalLong declared = response.headers().firstValueAsLong("Content-Length");
        try (InputStream in = response.body()) {
            if (declared.isPresent() && declared.getAsLong() > max) {
                throw tooLarge(call, declared.getAsLong() + " bytes", max);
            }
            byte[] bytes = in.readNBytes(max + 1);
            if (bytes.length > max) {
                throw tooLarge(call, "over " + max + " bytes", max);
            }
            JsonNode root = StrictJson.tree().readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new ImageServiceException(prefix(call) + "the answer is not a JSON object" + requestId(response),
                        response.statusCode(), null);
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ImageServiceException(prefix(call) + "malformed JSON answer: " + StrictJson.describe(e)
                    + requestId(response), response.statusCode(), e);
        } catch (IOException e) {
            throw new ImageServiceUnavailableException(prefix(call) + "reading the answer failed: "
                    + UntrustedText.sanitize(IdleTimeoutBody.describe(e), 300), -1, e);
        }
    }

    private ImageServiceException tooLarge(Call call, String size, int max) {
        return new ImageServiceException(prefix(call) + "refused a metadata answer of " + size + " (the limit is "
                + max + " bytes)", -1, null);
    }

    private ImageMeta meta(Call call, JsonNode image) {
        try {
            return GlanceImageJson.toMeta(image);
        } catch (IllegalArgumentException e) {
            throw new ImageServiceException(prefix(call) + "malformed image record: " + e.getMessage(), -1, e);
        }
    }

    private static String imagePath(String id) {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("empty image id");
        }
        return IMAGES + "/" + encode(id);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing an answer failed", e);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Listing: pages fetched as the stream is consumed

    private final class Pages implements Iterator<ImageMeta> {
        private final RequestContext ctx;
        private final Deque<ImageMeta> page = new ArrayDeque<>();
        private final Set<String> seen = new HashSet<>();
        private String next;

        Pages(RequestContext ctx, String first) {
            this.ctx = ctx;
            this.next = first;
        }

        @Override
        public boolean hasNext() {
            while (page.isEmpty() && next != null) {
                fetch();
            }
            return !page.isEmpty();
        }

        @Override
        public ImageMeta next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.removeFirst();
        }

        private void fetch() {
            Call call = Call.idempotent("GET", next, null);
            if (!seen.add(next)) {
                throw new ImageServiceException(prefix(call) + "the next page link repeats an earlier one", -1, null);
            }
            JsonNode answer = execute(ctx, call, null, response -> readJson(call, response));
            JsonNode images = answer.get("images");
            if (images == null || !images.isArray()) {
                throw new ImageServiceException(prefix(call) + "the answer has no images array", -1, null);
            }
            for (JsonNode image : images) {
                page.addLast(meta(call, image));
            }
            JsonNode link = answer.get("next");
            if (link == null || link.isNull() || images.isEmpty()) {
                next = null;
            } else if (!link.isTextual() || !link.asText().startsWith(IMAGES + "?")) {
                // an absolute or foreign link could send the token elsewhere
                throw new ImageServiceException(prefix(call) + "refused the next page link "
                        + UntrustedText.sanitize(link.toString(), 200), -1, null);
            } else {
                next = link.asText();
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Upload data: counts bytes, notes activity, never closes the caller's stream

    private static final class Progress extends FilterInputStream {
        private volatile long count;
        private volatile long lastActivity = System.nanoTime();
        private volatile boolean touched;
        private volatile boolean ended;

        Progress(InputStream in) {
            super(in);
        }

        void restartClock() {
            lastActivity = System.nanoTime();
        }

        long lastActivity() {
            return lastActivity;
        }

        long count() {
            return count;
        }

        boolean touched() {
            return touched;
        }

        boolean ended() {
            return ended;
        }

        @Override
        public int read() throws IOException {
            touched = true;
            int b = super.read();
            if (b >= 0) {
                count++;
            } else {
                ended = true;
            }
            lastActivity = System.nanoTime();
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            touched = true;
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            } else if (n < 0) {
                ended = true;
            }
            lastActivity = System.nanoTime();
            return n;
        }

        @Override
        public void close() {
            // the caller's stream: the caller closes it (ImageService#upload)
        }
    }
}
