package dev.diskimage.catalog.distro;

import dev.diskimage.core.IoErrorText;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads a mirror's small files: directory listings and checksum files, over HTTP(S) or from a
 * {@code file:} mirror (where a listing is the directory's entries). Every read is bounded in
 * size and time; a 404 is an answer ({@link Optional#empty()}), anything else that fails is a
 * {@link MirrorException} naming the URL.
 */
final class MirrorReader {
    /** How long one request may take, start to end: listings are small. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** How long connecting may take. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient client;
    private final Duration requestTimeout;

    MirrorReader() {
        this(REQUEST_TIMEOUT);
    }

    /** A reader whose requests may take at most {@code requestTimeout} (tests use a short one). */
    MirrorReader(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /**
     * The entries of a directory.
     *
     * @param directory the directory's URL, ending with {@code /}
     * @return its entries (directories end with {@code /}), or empty when it does not exist
     */
    Optional<List<String>> list(URI directory) {
        if (isFile(directory)) {
            Path path = Path.of(directory);
            if (!Files.isDirectory(path)) {
                return Optional.empty();
            }
            List<String> names = new ArrayList<>();
            try (Stream<Path> entries = Files.list(path)) {
                entries.limit(DirectoryListing.MAX_ENTRIES).forEach(entry -> {
                    String name = entry.getFileName().toString();
                    if (EntryName.isSafe(name)) {
                        names.add(Files.isDirectory(entry) ? name + "/" : name);
                    }
                });
            } catch (IOException e) {
                throw new MirrorException(directory, describe(e), e);
            }
            names.sort(null);
            return Optional.of(names);
        }
        return read(directory, DirectoryListing.MAX_BYTES).map(html -> DirectoryListing.entries(directory, html));
    }

    /**
     * A small text file.
     *
     * @param url the file's URL
     * @param maxBytes the most it may hold
     * @return its text (UTF-8), or empty when it does not exist
     */
    Optional<String> read(URI url, int maxBytes) {
        if (isFile(url)) {
            Path path = Path.of(url);
            try (InputStream in = Files.newInputStream(path)) {
                return Optional.of(bounded(url, in, maxBytes));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new MirrorException(url, describe(e), e);
            }
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(requestTimeout).GET().build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status == 404 || status == 410) {
                    return Optional.empty();
                }
                if (status != 200) {
                    throw new MirrorException(url, "HTTP " + status, null);
                }
                return Optional.of(bounded(url, body, maxBytes));
            }
        } catch (HttpTimeoutException e) {
            throw new MirrorException(url, e instanceof HttpConnectTimeoutException ? describe(e)
                    : "no answer within " + requestTimeout.toMillis() + " ms", e);
        } catch (IOException e) {
            throw new MirrorException(url, describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorException(url, "interrupted", e);
        }
    }

    private static String bounded(URI url, InputStream in, int maxBytes) throws IOException {
        byte[] bytes = in.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
            throw new MirrorException(url, "larger than " + maxBytes + " bytes", null);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static boolean isFile(URI url) {
        return "file".equals(url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT));
    }

    /**
     * The reason in words. The HTTP client wraps network failures in exceptions without a
     * message (a refused connection is a {@code ConnectException} with a null message), so the
     * causes are searched for the one that says what happened.
     */
    static String describe(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
            }
            if (cause instanceof UnknownHostException) {
                return "unknown host";
            }
            if (cause instanceof ConnectException) {
                return "connection refused";
            }
            if (cause instanceof IOException io && io.getMessage() != null && !io.getMessage().isBlank()) {
                return IoErrorText.describe(io);
            }
        }
        return IoErrorText.describe(e);
    }
}
