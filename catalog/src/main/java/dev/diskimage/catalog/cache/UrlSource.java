package dev.diskimage.catalog.cache;

import dev.diskimage.catalog.IdleTimeoutBody;
import dev.diskimage.core.ImageNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The default {@link ByteSource}: an HTTP(S) GET of the entry's URL, or a read of a {@code file:}
 * URL. Redirects are followed (mirrors redirect), never from HTTPS to HTTP. 404 and 410 are
 * {@link ImageNotFoundException}; any other status but 200, a refused, reset or stalled
 * connection is a {@link DownloadFailedException} naming the URL.
 */
final class UrlSource implements ByteSource {
    private final HttpClient client;
    private final CacheOptions options;
    private final URI url;
    private final Path target;

    UrlSource(HttpClient client, CacheOptions options, URI url, Path target) {
        this.client = client;
        this.options = options;
        this.url = url;
        this.target = target;
    }

    static HttpClient client(CacheOptions options) {
        return HttpClient.newBuilder()
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    @Override
    public Download open() throws IOException {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "file":
                return openFile();
            case "http":
            case "https":
                return openHttp();
            default:
                throw new IllegalArgumentException("cannot download " + url + ": only http, https and file URLs"
                        + " are supported (give the request a ByteSource for others)");
        }
    }

    private Download openFile() throws IOException {
        Path file = Path.of(url);
        try {
            InputStream stream = Files.newInputStream(file);
            return new Download(stream, OptionalLong.of(Files.size(file)));
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException("no image at " + url, e);
        }
    }

    private Download openHttp() throws IOException {
        HttpRequest request = HttpRequest.newBuilder(url).GET().timeout(options.idleTimeout()).build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, info -> new IdleTimeoutBody(options.idleTimeout(),
                    (reason, cause) -> new DownloadFailedException(url, target, new IOException(reason, cause))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + url);
        } catch (IOException e) {
            throw new IOException(IdleTimeoutBody.describe(e), e);
        }
        int status = response.statusCode();
        if (status == 200) {
            return new Download(response.body(), contentLength(response));
        }
        response.body().close();
        if (status == 404 || status == 410) {
            throw new ImageNotFoundException("no image at " + url + " (HTTP " + status + ")");
        }
        throw new IOException("the server answered HTTP " + status);
    }

    /** The declared length, when it is a sane number; a malformed one is ignored (the body decides). */
    private static OptionalLong contentLength(HttpResponse<?> response) {
        return response.headers().firstValue("content-length").map(text -> {
            String trimmed = text.trim();
            if (trimmed.isEmpty() || trimmed.length() > 18 || !trimmed.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return OptionalLong.empty();
            }
            // At most 18 digits, so below 10^18 and within EntryRecord.MAX_SIZE (2^60): no further bound.
            return OptionalLong.of(Long.parseLong(trimmed));
        }).orElse(OptionalLong.empty());
    }
}
