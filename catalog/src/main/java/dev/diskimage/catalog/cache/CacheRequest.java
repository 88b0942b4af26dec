package dev.diskimage.catalog.cache;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageGate;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link ImageCache#fetch(CacheRequest)} should bring into the cache: the URL that names the
 * entry, the file name it is stored under, and how its bytes are checked (checksum, gate),
 * decoded and reported. Built with {@link #builder(URI, String)}; a gate is required, so nothing
 * enters the cache unadmitted.
 */
public final class CacheRequest {
    /** Longest file name accepted: Linux's NAME_MAX (255) less room for the partial file's suffix. */
    static final int MAX_FILE_NAME = 200;

    private final URI url;
    private final String fileName;
    private final Optional<Checksum> checksum;
    private final ImageGate gate;
    private final Optional<DiskFormat> declared;
    private final DownloadProgress progress;
    private final StreamDecoder decoder;
    private final Optional<ByteSource> source;

    private CacheRequest(Builder builder) {
        this.url = builder.url;
        this.fileName = builder.fileName;
        this.checksum = builder.checksum;
        this.gate = builder.gate;
        this.declared = builder.declared;
        this.progress = builder.progress;
        this.decoder = builder.decoder;
        this.source = builder.source;
    }

    /**
     * Starts a request.
     *
     * @param url the image's URL: names the cache entry ({@code by_location/<sha1 of url>}) and,
     *     unless {@link Builder#source(ByteSource)} says otherwise, is where the bytes come from
     *     ({@code http}, {@code https} or {@code file})
     * @param fileName the name the image is stored under: one path element, not starting with a
     *     dot (the entry's private files do), no control characters, at most 200 characters
     * @return the builder
     * @throws IllegalArgumentException if the URL is not absolute, longer than 8192 characters, or
     *     the file name is not acceptable
     */
    public static Builder builder(URI url, String fileName) {
        return new Builder(url, fileName);
    }

    /**
     * The URL naming the entry.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }

    /**
     * The stored file's name.
     *
     * @return the file name
     */
    public String fileName() {
        return fileName;
    }

    /**
     * The expected digest of the stored bytes.
     *
     * @return the checksum, empty when the caller has none (SHA-256 is then computed and recorded)
     */
    public Optional<Checksum> checksum() {
        return checksum;
    }

    /**
     * Admits the downloaded file before it becomes an entry.
     *
     * @return the gate
     */
    public ImageGate gate() {
        return gate;
    }

    /**
     * The format the image is said to have.
     *
     * @return the declared format, empty when the gate decides alone
     */
    public Optional<DiskFormat> declared() {
        return declared;
    }

    /**
     * Hears the download's progress.
     *
     * @return the listener
     */
    public DownloadProgress progress() {
        return progress;
    }

    /**
     * Turns downloaded bytes into stored bytes.
     *
     * @return the decoder
     */
    public StreamDecoder decoder() {
        return decoder;
    }

    /**
     * Where the bytes come from, when not from the URL.
     *
     * @return the source, empty for an HTTP(S) GET of (or a read of the {@code file:}) URL
     */
    public Optional<ByteSource> source() {
        return source;
    }

    /** Builds a {@link CacheRequest}. */
    public static final class Builder {
        private final URI url;
        private final String fileName;
        private Optional<Checksum> checksum = Optional.empty();
        private ImageGate gate;
        private Optional<DiskFormat> declared = Optional.empty();
        private DownloadProgress progress = DownloadProgress.NONE;
        private StreamDecoder decoder = StreamDecoder.IDENTITY;
        private Optional<ByteSource> source = Optional.empty();

        private Builder(URI url, String fileName) {
            this.url = requireUrl(url);
            this.fileName = requireFileName(fileName);
        }

        /**
         * The digest the stored bytes must have; checked before the file becomes an entry, and
         * again when a cached entry is reused whose size or modification time changed.
         *
         * @param value the checksum
         * @return this builder
         */
        public Builder checksum(Checksum value) {
            this.checksum = Optional.of(Objects.requireNonNull(value, "checksum"));
            return this;
        }

        /**
         * The gate that admits the downloaded file (required): production passes the
         * validator; a refused file is deleted and the gate's error reaches the caller.
         *
         * @param value the gate
         * @param declaredFormat the format the source says the image has, if it says
         * @return this builder
         */
        public Builder gate(ImageGate value, Optional<DiskFormat> declaredFormat) {
            this.gate = Objects.requireNonNull(value, "gate");
            this.declared = Objects.requireNonNull(declaredFormat, "declaredFormat");
            return this;
        }

        /**
         * The listener for download progress.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder progress(DownloadProgress value) {
            this.progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * Decodes the downloaded bytes before they are stored (e.g. xz); the checksum and the
         * gate see the decoded bytes.
         *
         * @param value the decoder
         * @return this builder
         */
        public Builder decoder(StreamDecoder value) {
            this.decoder = Objects.requireNonNull(value, "decoder");
            return this;
        }

        /**
         * Takes the bytes from {@code value} instead of the URL; the URL still names the entry.
         *
         * @param value the source
         * @return this builder
         */
        public Builder source(ByteSource value) {
            this.source = Optional.of(Objects.requireNonNull(value, "source"));
            return this;
        }

        /**
         * The request.
         *
         * @return the request
         * @throws IllegalStateException if no gate was given
         */
        public CacheRequest build() {
            if (gate == null) {
                throw new IllegalStateException("a cache request for " + url
                        + " needs a gate: nothing enters the cache unadmitted");
            }
            return new CacheRequest(this);
        }
    }

    static URI requireUrl(URI url) {
        Objects.requireNonNull(url, "url");
        if (!url.isAbsolute() || url.isOpaque() || url.toString().length() > EntryRecord.MAX_URL_CHARS) {
            throw new IllegalArgumentException("a cache entry needs an absolute hierarchical URL of at most "
                    + EntryRecord.MAX_URL_CHARS + " characters, not '"
                    + dev.diskimage.core.UntrustedText.sanitize(url.toString(), 300) + "'");
        }
        return url;
    }

    static String requireFileName(String fileName) {
        Objects.requireNonNull(fileName, "fileName");
        boolean ok = !fileName.isEmpty() && fileName.length() <= MAX_FILE_NAME && !fileName.startsWith(".")
                && fileName.indexOf('/') < 0 && fileName.indexOf('\\') < 0
                && fileName.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
        if (!ok) {
            throw new IllegalArgumentException("not an acceptable cache file name (one path element, not starting"
                    + " with '.', no control characters, at most " + MAX_FILE_NAME + " characters): '"
                    + dev.diskimage.core.UntrustedText.sanitize(fileName, 300) + "'");
        }
        return fileName;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CacheRequest[%s as %s]", url, fileName);
    }
}
