package dev.diskimage.catalog.templates;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.catalog.cache.CacheRequest;
import dev.diskimage.catalog.cache.CachedImage;
import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumMismatchException;
import dev.diskimage.catalog.cache.DownloadProgress;
import dev.diskimage.catalog.cache.ImageCache;
import dev.diskimage.catalog.cache.ImageRefusedException;
import dev.diskimage.catalog.cache.StreamDecoder;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.OrphanedFiles;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local store of template versions (lago's {@code TemplateStore}): each version is kept as
 * {@code <root>/repo:template:version} (raw) or {@code repo:template:version.<format>}
 * ({@link StoreMode#KEEP_FORMAT}), beside {@code repo:template:version.hash} (the published
 * digest) and {@code repo:template:version.metadata} (the published JSON object).
 *
 * <pre>{@code
 * TemplateStore store = TemplateStore.builder(storeDir).cache(ImageCache.open(cacheDir))
 *         .gate(ImageValidator.of(policy)).build();
 * StoredTemplate t = store.get(repo.version("el7-base"));     // raw, fetched once
 * }</pre>
 *
 * <p>How a version gets in, under the version's lock ({@code repo:template:version.lock}, held
 * across threads and processes, so N concurrent gets fetch once): the {@code .hash} and
 * {@code .metadata} are read first; an {@code http} source's image comes through the shared
 * {@link ImageCache} ({@code <handle>.xz}, decompressed, when the server has it, else
 * {@code <handle>}), which verifies the digest and has the {@link ImageGate} admit the bytes
 * before anything else sees them; a {@code file} source's image is copied (decompressed from
 * {@code <handle>.xz} when that exists) into a temporary file in the store, hashed on the way,
 * compared, and admitted by the gate. Only then is it converted to raw with
 * {@code qemu-img convert -f <admitted format>} (never a probe) or copied as it is, into a
 * temporary sibling that is renamed into place after the sidecars are written: a stored image
 * is always complete, and its presence means its sidecars are there. A second get returns the
 * stored file without fetching anything. Temporary files of a killed process are removed by
 * the next get (their names carry its pid). Thread-safe.
 */
public final class TemplateStore {
    private static final Logger LOG = LoggerFactory.getLogger(TemplateStore.class);

    /** Largest {@code .metadata} read, in bytes. */
    public static final int MAX_METADATA_BYTES = 1 << 20;
    /** Default cap on an image's (decompressed) size: 1 TiB. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 1L << 40;

    private static final String TEMP_MARKER = ".tmp-";
    private static final Pattern TEMP_NAME = Pattern.compile("^\\..*" + Pattern.quote(TEMP_MARKER)
            + "(\\d{1,19})-[0-9a-f]{16}$");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int COPY_BUFFER = 1 << 16;

    private final Path root;
    private final Supplier<ImageCache> cache;
    private final ImageGate gate;
    private final Supplier<QemuImg> qemuImg;
    private final DownloadProgress progress;
    private final long maxImageBytes;

    private TemplateStore(Builder b) {
        this.root = b.root;
        this.cache = memoize(b.cache != null ? () -> b.cache : () -> ImageCache.open(ImageCache.defaultRoot()));
        this.gate = b.gate;
        this.qemuImg = memoize(b.qemuImg != null ? () -> b.qemuImg : QemuImg::system);
        this.progress = b.progress;
        this.maxImageBytes = b.maxImageBytes;
    }

    /**
     * Starts a store at {@code root}, created (with its parents) when it is built.
     *
     * @param root the store directory
     * @return a builder; the gate is required
     */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /**
     * The store directory.
     *
     * @return its absolute path
     */
    public Path root() {
        return root;
    }

    /**
     * {@link #get(TemplateVersion, StoreMode)} in {@link StoreMode#RAW}.
     *
     * @param version the version
     * @return the stored template
     */
    public StoredTemplate get(TemplateVersion version) {
        return get(version, StoreMode.RAW);
    }

    /**
     * The stored version, fetched, verified, admitted and stored first when it is not there yet.
     *
     * @param version the version
     * @param mode raw (lago's form) or the admitted format
     * @return the stored template; {@link StoredTemplate#created()} says whether this call stored it
     * @throws TemplateNotFoundException if the image, its {@code .hash} or its {@code .metadata} does not exist
     * @throws TemplateFileException if one of them cannot be read or is malformed, or a store file cannot be written
     * @throws ChecksumMismatchException if the image's digest differs from its {@code .hash}
     * @throws ImageRefusedException if the gate refused the image (its error is the cause)
     * @throws dev.diskimage.core.NotEnoughSpaceException if the store's file system has no room
     *     for the copy or the raw conversion (qemu-img measure's required size)
     * @throws ImageException for other failures: a download error of the cache, a failed conversion
     */
    public StoredTemplate get(TemplateVersion version, StoreMode mode) {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(mode, "mode");
        Optional<StoredTemplate> stored = storedOrEmpty(version, mode);
        if (stored.isPresent()) {
            return stored.get();
        }
        try (StoreLock lock = StoreLock.acquire(root.resolve(version.storeName() + ".lock"))) {
            // Another thread or process may have stored it while this one waited.
            stored = storedOrEmpty(version, mode);
            if (stored.isPresent()) {
                return stored.get();
            }
            OrphanedFiles.remove(root, ".*" + TEMP_MARKER + "*", TEMP_NAME, "partial template", Files::deleteIfExists);
            return fetchAndStore(version, mode);
        }
    }

    /**
     * The stored version, without fetching anything.
     *
     * @param version the version
     * @param mode the form asked for
     * @return the stored template, or empty when it is not stored in that form (or a sidecar is missing)
     * @throws TemplateFileException if a sidecar exists but cannot be read or is malformed
     */
    public Optional<StoredTemplate> lookup(TemplateVersion version, StoreMode mode) {
        Optional<Path> image = Optional.empty();
        DiskFormat format = DiskFormat.RAW;
        if (mode == StoreMode.RAW) {
            Path raw = root.resolve(version.storeName());
            image = Files.isRegularFile(raw, LinkOption.NOFOLLOW_LINKS) ? Optional.of(raw) : Optional.empty();
        } else {
            for (DiskFormat candidate : DiskFormat.values()) {
                Path kept = keptPath(version, candidate);
                if (Files.isRegularFile(kept, LinkOption.NOFOLLOW_LINKS)) {
                    image = Optional.of(kept);
                    format = candidate;
                    break;
                }
            }
        }
        if (image.isEmpty()) {
            return Optional.empty();
        }
        Path hashFile = root.resolve(version.storeName() + ".hash");
        Path metadataFile = root.resolve(version.storeName() + ".metadata");
        try {
            Optional<byte[]> hash = SmallDocument.read(hashFile, HashText.MAX_BYTES);
            Optional<byte[]> metadata = SmallDocument.read(metadataFile, MAX_METADATA_BYTES);
            if (hash.isEmpty() || metadata.isEmpty()) {
                LOG.info("stored template {} has no {}; fetching it again", image.get(),
                        hash.isEmpty() ? hashFile.getFileName() : metadataFile.getFileName());
                return Optional.empty();
            }
            Checksum checksum = parseHash(hash.get(), hashFile.toString());
            String json = parseMetadata(metadata.get(), metadataFile.toString());
            return Optional.of(new StoredTemplate(version, image.get(), format, checksum, json, false));
        } catch (IOException e) {
            throw new TemplateFileException("could not read the sidecars of " + image.get() + ": "
                    + SmallDocument.describe(e), e);
        }
    }

    /** {@link #lookup}, where a stored sidecar that is damaged means "store it again". */
    private Optional<StoredTemplate> storedOrEmpty(TemplateVersion version, StoreMode mode) {
        try {
            return lookup(version, mode);
        } catch (TemplateFileException e) {
            LOG.warn("{}; storing template {} again", e.getMessage(), version);
            return Optional.empty();
        }
    }

    private Path keptPath(TemplateVersion version, DiskFormat format) {
        return root.resolve(version.storeName() + "." + format.qemuName());
    }

    private StoredTemplate fetchAndStore(TemplateVersion version, StoreMode mode) {
        Sidecar hash = sidecar(version, ".hash", HashText.MAX_BYTES);
        Checksum checksum = parseHash(hash.content(), hash.where());
        Sidecar metadataFile = sidecar(version, ".metadata", MAX_METADATA_BYTES);
        String metadata = parseMetadata(metadataFile.content(), metadataFile.where());
        if (version.source() instanceof HttpTemplateSource) {
            try (CachedImage cached = fetchCached(version, (HttpTemplateSource) version.source(), checksum)) {
                return store(version, mode, cached.path(), cached.format(), false, checksum, metadata);
            }
        }
        Path copy = tempPath(version);
        try {
            DiskFormat format = copyVerified(version, (FileTemplateSource) version.source(), checksum, copy);
            return store(version, mode, copy, format, true, checksum, metadata);
        } finally {
            deleteQuietly(copy);
        }
    }

    /** A sidecar's bytes, and where they were read (for messages). */
    private record Sidecar(byte[] content, String where) {
    }

    /**
     * Reads {@code <handle>.xz<suffix>} or {@code <handle><suffix>}: lago looks beside the
     * compressed image first.
     */
    private static Sidecar sidecar(TemplateVersion version, String suffix, int maxBytes) {
        TemplateSource source = version.source();
        List<String> candidates = version.handle().endsWith(".xz")
                ? List.of(version.handle() + suffix)
                : List.of(version.handle() + ".xz" + suffix, version.handle() + suffix);
        for (String candidate : candidates) {
            try {
                Optional<byte[]> document = source instanceof HttpTemplateSource
                        ? SmallDocument.get(((HttpTemplateSource) source).resolve(candidate), maxBytes)
                        : SmallDocument.read(((FileTemplateSource) source).resolve(candidate), maxBytes);
                if (document.isPresent()) {
                    return new Sidecar(document.get(), source.describe(candidate));
                }
            } catch (IOException e) {
                throw new TemplateFileException("could not read "
                        + UntrustedText.sanitize(source.describe(candidate), 500)
                        + " of template " + version + ": " + UntrustedText.sanitize(SmallDocument.describe(e), 300), e);
            }
        }
        throw new TemplateNotFoundException("template " + version + " has no " + suffix + " file (looked for "
                + UntrustedText.sanitize(String.join(" and ", candidates.stream().map(source::describe).toList()), 1000)
                + ")");
    }

    private static Checksum parseHash(byte[] content, String where) {
        try {
            return HashText.parse(content);
        } catch (IllegalArgumentException e) {
            throw new TemplateFileException("the hash file " + UntrustedText.sanitize(where, 500) + " is malformed: "
                    + e.getMessage(), e);
        }
    }

    private static String parseMetadata(byte[] content, String where) {
        JsonNode node;
        try {
            node = StrictJson.tree().readTree(content);
        } catch (JsonProcessingException e) {
            throw new TemplateFileException("the metadata file " + UntrustedText.sanitize(where, 500)
                    + " is malformed JSON: " + StrictJson.describe(e), e);
        } catch (IOException e) {
            throw new TemplateFileException("the metadata file " + UntrustedText.sanitize(where, 500)
                    + " could not be read: " + SmallDocument.describe(e), e);
        }
        if (node == null || !node.isObject()) {
            throw new TemplateFileException("the metadata file " + UntrustedText.sanitize(where, 500)
                    + " is not a JSON object", null);
        }
        return node.toString();
    }

    private CachedImage fetchCached(TemplateVersion version, HttpTemplateSource source, Checksum checksum) {
        String handle = version.handle();
        String fileName = handle.substring(handle.lastIndexOf('/') + 1);
        if (handle.endsWith(".xz")) {
            return cache.get().fetch(request(source.resolve(handle), stripXz(fileName), checksum, true));
        }
        URI compressed = source.resolve(handle + ".xz");
        URI plain = source.resolve(handle);
        Optional<CachedImage> cached = cache.get().lookup(compressed, fileName);
        if (cached.isEmpty()) {
            cached = cache.get().lookup(plain, fileName);
        }
        if (cached.isPresent()) {
            Optional<Checksum> recorded = cached.get().checksum();
            if (recorded.isPresent() && recorded.get().equals(checksum)) {
                return cached.get();
            }
            // Verified against another digest (a new one published for the same URL, or another
            // algorithm): the cache's fetch with this digest decides.
            cached.get().close();
        }
        try {
            return cache.get().fetch(request(compressed, fileName, checksum, true));
        } catch (ImageNotFoundException e) {
            LOG.debug("{} does not exist; fetching {}", compressed, plain);
            return cache.get().fetch(request(plain, fileName, checksum, false));
        }
    }

    private static String stripXz(String fileName) {
        String stripped = fileName.substring(0, fileName.length() - ".xz".length());
        return stripped.isEmpty() ? fileName : stripped;
    }

    private CacheRequest request(URI url, String fileName, Checksum checksum, boolean xz) {
        CacheRequest.Builder builder = CacheRequest.builder(url, fileName)
                .checksum(checksum)
                .gate(gate, Optional.empty())
                .progress(progress);
        if (xz) {
            builder.decoder(StreamDecoder.xz(maxImageBytes));
        }
        return builder.build();
    }

    /** Copies a file source's image into {@code copy}, decompressing, hashing, then has the gate admit it. */
    private DiskFormat copyVerified(TemplateVersion version, FileTemplateSource source, Checksum expected, Path copy) {
        String handle = version.handle();
        Path compressed = handle.endsWith(".xz") ? source.resolve(handle) : source.resolve(handle + ".xz");
        Path plain = source.resolve(handle);
        boolean xz = Files.isRegularFile(compressed);
        Path from = xz ? compressed : plain;
        if (!xz && !Files.isRegularFile(plain)) {
            throw new TemplateNotFoundException("the image of template " + version + " does not exist (looked for "
                    + (handle.endsWith(".xz") ? plain : compressed + " and " + plain) + ")");
        }
        URI url = from.toUri();
        MessageDigest digest = expected.algorithm().newDigest();
        long total = 0;
        try {
            if (!xz) {
                SpaceCheck.checkAvailableSpace(copy, Files.size(from), version.storeName());
            }
        } catch (IOException e) {
            throw new TemplateFileException("could not read " + from + " for template " + version + ": "
                    + SmallDocument.describe(e), e);
        }
        try (InputStream file = Files.newInputStream(from);
             InputStream in = (xz ? StreamDecoder.xz(maxImageBytes) : StreamDecoder.capped(maxImageBytes)).decode(file);
             OutputStream out = Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[COPY_BUFFER];
            OptionalLong length = xz ? OptionalLong.empty() : OptionalLong.of(Files.size(from));
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                total += n;
                progress.transferred(version.storeName(), total, length);
            }
        } catch (IOException e) {
            if (SpaceCheck.isOutOfSpace(e)) {
                throw SpaceCheck.outOfSpace(copy, total, version.storeName());
            }
            throw new TemplateFileException("could not copy " + from + " for template " + version + ": "
                    + SmallDocument.describe(e), e);
        }
        Checksum actual = new Checksum(expected.algorithm(), HexFormat.of().formatHex(digest.digest()));
        if (!actual.equals(expected)) {
            throw new ChecksumMismatchException(url, expected, actual);
        }
        try {
            return gate.admit(copy, Optional.empty());
        } catch (ImageException e) {
            throw new ImageRefusedException(url, e);
        }
    }

    /**
     * Writes the sidecars, then the image into a temporary sibling renamed into place last, so a
     * present image always has its sidecars.
     */
    private StoredTemplate store(TemplateVersion version, StoreMode mode, Path image, DiskFormat format,
                                 boolean movable, Checksum checksum, String metadata) {
        Path target = mode == StoreMode.RAW ? root.resolve(version.storeName()) : keptPath(version, format);
        Path partial = tempPath(version);
        try {
            boolean convert = mode == StoreMode.RAW && format != DiskFormat.RAW;
            long needed = convert ? qemuImg.get().measure(image, format, DiskFormat.RAW).required()
                    : movable ? 0 : Files.size(image);
            SpaceCheck.checkAvailableSpace(partial, needed, version.storeName());
            if (convert) {
                LOG.info("converting template {} from {} to raw", version, format.qemuName());
                qemuImg.get().convert(QemuImgConvertRequest.builder(image, format, partial, DiskFormat.RAW).build());
            } else if (movable) {
                Files.move(image, partial, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.copy(image, partial);
            }
            writeAtomically(version, root.resolve(version.storeName() + ".hash"),
                    checksum.hex().getBytes(StandardCharsets.US_ASCII));
            writeAtomically(version, root.resolve(version.storeName() + ".metadata"),
                    metadata.getBytes(StandardCharsets.UTF_8));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("stored template {} as {}", version, target);
            return new StoredTemplate(version, target, mode == StoreMode.RAW ? DiskFormat.RAW : format, checksum,
                    metadata, true);
        } catch (IOException e) {
            if (SpaceCheck.isOutOfSpace(e)) {
                throw SpaceCheck.outOfSpace(target, 0, version.storeName());
            }
            throw new ImageIoException("could not store template " + version + " as", target, e);
        } finally {
            deleteQuietly(partial);
        }
    }

    private void writeAtomically(TemplateVersion version, Path file, byte[] content) throws IOException {
        Path partial = tempPath(version);
        try {
            Files.write(partial, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            deleteQuietly(partial);
        }
    }

    /** A fresh, unguessable hidden sibling name carrying this JVM's pid; nothing is created. */
    private Path tempPath(TemplateVersion version) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return root.resolve("." + version.storeName() + TEMP_MARKER + OrphanedFiles.ownerTag() + "-"
                + HexFormat.of().formatHex(random));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete the temporary file {}: {}", file, SmallDocument.describe(e));
        }
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    /** Options of a {@link TemplateStore}. */
    public static final class Builder {
        private final Path root;
        private ImageCache cache;
        private ImageGate gate;
        private QemuImg qemuImg;
        private DownloadProgress progress = DownloadProgress.NONE;
        private long maxImageBytes = DEFAULT_MAX_IMAGE_BYTES;

        private Builder(Path root) {
            this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        }

        /**
         * The cache {@code http} images are downloaded into (shared with the distro images);
         * default: {@link ImageCache#defaultRoot()}, opened on first use.
         *
         * @param value the cache
         * @return this builder
         */
        public Builder cache(ImageCache value) {
            this.cache = Objects.requireNonNull(value, "cache");
            return this;
        }

        /**
         * The gate every image must pass before it is converted or stored (required):
         * production code passes the validator.
         *
         * @param value the gate
         * @return this builder
         */
        public Builder gate(ImageGate value) {
            this.gate = Objects.requireNonNull(value, "gate");
            return this;
        }

        /**
         * The qemu-img that converts to raw; default {@link QemuImg#system()}, found on first use.
         *
         * @param value the qemu-img
         * @return this builder
         */
        public Builder qemuImg(QemuImg value) {
            this.qemuImg = Objects.requireNonNull(value, "qemuImg");
            return this;
        }

        /**
         * The listener told of download and copy progress.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder progress(DownloadProgress value) {
            this.progress = Objects.requireNonNull(value, "progress");
            return this;
        }

        /**
         * The largest image (after decompression) accepted; default {@link #DEFAULT_MAX_IMAGE_BYTES}.
         *
         * @param value bytes, at least 1
         * @return this builder
         */
        public Builder maxImageBytes(long value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxImageBytes must be positive: " + value);
            }
            this.maxImageBytes = value;
            return this;
        }

        /**
         * Creates the store directory and the store.
         *
         * @return the store
         * @throws IllegalStateException if no gate was given
         * @throws ImageIoException if the directory cannot be created
         */
        public TemplateStore build() {
            if (gate == null) {
                throw new IllegalStateException("a template store needs a gate (the validator) to admit images");
            }
            try {
                Files.createDirectories(root);
            } catch (IOException e) {
                throw new ImageIoException("could not create the template store", root, e);
            }
            return new TemplateStore(this);
        }
    }
}
