package dev.diskimage.catalog.templates;

import dev.diskimage.core.IoErrorText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads a small document (a repository's JSON, a version's {@code .hash} or {@code .metadata})
 * from a file or an http(s) URL, whole, with a cap on its size and, over HTTP, connect and idle
 * timeouts, so a hostile or stalled server can neither exhaust memory nor hang the caller.
 * A missing document is an empty answer; every other failure is an {@link IOException} whose
 * message says what happened.
 */
final class SmallDocument {
    /** Connect timeout, and the longest wait for the next bytes of an answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private SmallDocument() {
    }

    /**
     * Reads a local file of at most {@code maxBytes}.
     *
     * @return the bytes, or empty when the file does not exist
     * @throws IOException if it is not a regular file, is larger, or cannot be read
     */
    static Optional<byte[]> read(Path file, int maxBytes) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.exists(file)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("not a regular file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(readCapped(in, maxBytes));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * GETs a URL (http or https; redirects followed within the same scheme) whose answer has at
     * most {@code maxBytes}.
     *
     * @return the body, or empty for a 404 or 410
     * @throws IOException for any other status, a timeout, a reset or a larger body
     */
    static Optional<byte[]> get(URI url, int maxBytes) throws IOException {
        URLConnection opened = url.toURL().openConnection();
        if (!(opened instanceof HttpURLConnection)) {
            throw new IOException("not an http or https URL");
        }
        HttpURLConnection connection = (HttpURLConnection) opened;
        connection.setConnectTimeout((int) TIMEOUT.toMillis());
        connection.setReadTimeout((int) TIMEOUT.toMillis());
        connection.setInstanceFollowRedirects(true);
        connection.setUseCaches(false);
        try {
            int status = connection.getResponseCode();
            if (status == HttpURLConnection.HTTP_NOT_FOUND || status == HttpURLConnection.HTTP_GONE) {
                return Optional.empty();
            }
            if (status / 100 != 2) {
                throw new IOException("HTTP status " + status);
            }
            long length = connection.getContentLengthLong();
            if (length > maxBytes) {
                throw new IOException("the answer has " + length + " bytes, more than the " + maxBytes + " accepted");
            }
            try (InputStream in = connection.getInputStream()) {
                return Optional.of(readCapped(in, maxBytes));
            }
        } catch (SocketTimeoutException e) {
            throw new IOException("no answer within " + TIMEOUT.toSeconds() + " s", e);
        } finally {
            connection.disconnect();
        }
    }

    private static byte[] readCapped(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (out.size() + (long) n > maxBytes) {
                throw new IOException("more than the " + maxBytes + " bytes accepted");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** One line for an I/O error, without the Java class name. */
    static String describe(IOException error) {
        return IoErrorText.describe(error);
    }
}
