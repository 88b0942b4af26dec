package dev.diskimage.catalog.cache;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.RecordFiles;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.core.UntrustedText;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk image cache: {@code <root>/by_location/<sha1 of the URL>/<file name>}, beside it a
 * record {@code .<file name>.json} (URL, checksum, size, format, when downloaded and last used,
 * referrers), the directory's lock file {@code .lock} and, during a download,
 * {@code .<file name>.partial-<pid>-<random>}.
 *
 * <p><b>Once, and whole.</b> {@link #fetch(CacheRequest)} holds the entry's change lock (an
 * in-process lock plus a file lock, see {@link EntryLocks}) from the moment it looks until the
 * entry is complete, so N threads or processes asking for one URL cause one download; the others
 * wait and find the entry. The bytes go to a partial file, are hashed as they are written, synced;
 * the checksum is compared and the gate admits the file; only then is it renamed to its name and,
 * after that, its record written. An entry is complete exactly when its record exists; a process
 * killed at any point leaves a partial file or a file without a record, which the next
 * {@code fetch} of that URL (holding the lock, so nobody else writes there) deletes.
 *
 * <p><b>Verified on reuse.</b> A cached file whose size differs from its record is corrupt; when
 * its modification time differs, it is hashed again and compared. A corrupt entry is deleted and
 * (by {@code fetch}) downloaded again.
 *
 * <p><b>In use.</b> An entry is in use while a {@link CachedImage} of it is open in any process
 * (a shared file lock) or while a referrer recorded with {@link #addReferrer} still exists.
 * {@link #prune(PrunePolicy)} never removes an entry in use.
 *
 * <p>Records are untrusted input: at most {@link EntryRecord#MAX_RECORD_BYTES}, strict JSON, every
 * field checked; a record that fails is treated as no record (the entry is incomplete).
 */
public final class ImageCache {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);

    /** The directory under the root holding one directory per URL. */
    static final String BY_LOCATION = "by_location";
    private static final Pattern ENTRY_DIRECTORY = Pattern.compile("[0-9a-f]{40}");
    private static final String RECORD_SUFFIX = ".json";
    private static final String PARTIAL_MARKER = ".partial-";
    /** {@code .<name>.partial-<pid>-<16 hex>}: a download or a record being written. */
    private static final Pattern PARTIAL_NAME = Pattern.compile("^\\..+" + Pattern.quote(PARTIAL_MARKER)
            + "\\d{1,19}-[0-9a-f]{16}$");
    private static final int COPY_BUFFER = 1 << 20;
    /** Progress is reported at most this often (besides start and end). */
    private static final long PROGRESS_INTERVAL_NANOS = 100_000_000L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final Path entries;
    private final CacheOptions options;
    private final Clock clock;
    private volatile HttpClient client;

    private ImageCache(Path root, CacheOptions options, Clock clock) {
        this.root = root;
        this.entries = root.resolve(BY_LOCATION);
        this.options = options;
        this.clock = clock;
    }

    /**
     * Opens the cache in {@code root}, creating the directory if missing, with the default
     * {@link CacheOptions}.
     *
     * @param root the cache directory
     * @return the cache
     * @throws ImageIoException if the directory cannot be created
     */
    public static ImageCache open(Path root) {
        return open(root, CacheOptions.defaults());
    }

    /**
     * Opens the cache in {@code root}, creating the directory if missing.
     *
     * @param root the cache directory
     * @param options timeouts and the space to keep free
     * @return the cache
     * @throws ImageIoException if the directory cannot be created
     */
    public static ImageCache open(Path root, CacheOptions options) {
        return open(root, options, Clock.systemUTC());
    }

    static ImageCache open(Path root, CacheOptions options, Clock clock) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(options, "options");
        Path real;
        try {
            Files.createDirectories(root.resolve(BY_LOCATION));
            real = root.toRealPath();
        } catch (IOException e) {
            throw new ImageIoException("cannot create the image cache", root, e);
        }
        return new ImageCache(real, options, clock);
    }

    /**
     * Where the cache lives unless told: {@code $DISKIMAGE_CACHE_DIR}; else
     * {@code $XDG_CACHE_HOME/diskimage} when that is an absolute path (the XDG base directory
     * specification ignores relative ones); else {@code ~/.cache/diskimage}.
     *
     * @return the default root
     */
    public static Path defaultRoot() {
        return defaultRoot(System.getenv(), System.getProperty("user.home"));
    }

    static Path defaultRoot(Map<String, String> environment, String home) {
        String own = environment.get("DISKIMAGE_CACHE_DIR");
        if (own != null && !own.isEmpty()) {
            return Path.of(own);
        }
        String xdg = environment.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "diskimage");
        }
        return Path.of(home, ".cache", "diskimage");
    }

    /**
     * The cache directory.
     *
     * @return its real absolute path
     */
    public Path root() {
        return root;
    }

    /**
     * The cached, verified, admitted image for the request, downloading it if it is not cached or
     * its cached file is corrupt. N threads and processes asking at once cause one download.
     *
     * @param request what to fetch
     * @return the entry, held in use until closed
     * @throws dev.diskimage.core.ImageNotFoundException if the server has no such file (404, 410)
     *     or a {@code file:} URL names no file
     * @throws DownloadFailedException if the connection fails, is reset or stalls, the server
     *     answers another error, or the body is shorter than announced
     * @throws ChecksumMismatchException if the bytes do not have the requested checksum
     * @throws ImageRefusedException if the gate refuses the image
     * @throws dev.diskimage.core.NotEnoughSpaceException if the download (of known length) does not
     *     fit the cache's file system, or it filled up during the download
     * @throws ImageIoException if the cache's files cannot be read or written
     */
    public CachedImage fetch(CacheRequest request) {
        Objects.requireNonNull(request, "request");
        Path directory = entryDirectory(request.url());
        createDirectory(directory);
        try (EntryLocks.Change change = EntryLocks.change(directory)) {
            removePartials(directory);
            Path file = directory.resolve(request.fileName());
            Optional<EntryRecord> existing = readRecord(directory, request.url(), request.fileName());
            List<Checksum> expected = new ArrayList<>();
            request.checksum().ifPresent(expected::add);
            List<String> referrers = List.of();
            if (existing.isPresent()) {
                EntryRecord record = existing.get();
                Optional<String> problem = problem(record, file, request.checksum());
                if (problem.isEmpty()) {
                    DiskFormat format = record.parsedFormat();
                    if (request.declared().isPresent() && !request.declared().get().sameQemuDriverAs(format)) {
                        // Admitted as another format than this caller declares: the gate decides again.
                        format = admit(request, file, request.url());
                    }
                    EntryRecord used = markUsed(directory, record, file);
                    LOG.debug("cache hit for {}: {}", request.url(), file);
                    return new CachedImage(file, request.url(), used.size(), used.parsedChecksum(), format, false,
                            change.hold());
                }
                referrers = livingReferrers(record).stream().map(Path::toString).toList();
                if (!referrers.isEmpty() || change.heldAnywhere()) {
                    expected.add(requireSameContent(request, record, file, problem.get()));
                }
                LOG.warn("the cached image {} for {} is not usable ({}); downloading it again", file, request.url(),
                        problem.get());
            } else if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && change.heldAnywhere()) {
                throw new CacheEntryInUseException(request.url(), file, "its record is missing or unreadable, so"
                        + " the bytes it must keep are unknown");
            }
            EntryRecord record = download(request, directory, file, expected, referrers);
            return new CachedImage(file, request.url(), record.size(), record.parsedChecksum(),
                    record.parsedFormat(), true, change.hold());
        }
    }

    /**
     * An entry in use may only be replaced by the same bytes (repairing a damaged file under an
     * overlay); the digest the replacement must have, or the error when the caller wants other bytes.
     */
    private static Checksum requireSameContent(CacheRequest request, EntryRecord record, Path file, String problem) {
        Checksum recorded = record.parsedChecksum();
        Optional<Checksum> wanted = request.checksum();
        if (wanted.isPresent() && wanted.get().algorithm() == recorded.algorithm() && !wanted.get().equals(recorded)) {
            throw new CacheEntryInUseException(request.url(), file, "it holds " + recorded + " and the request asks"
                    + " for " + wanted.get() + "; overlays built on it would break");
        }
        LOG.debug("the cached image {} is in use ({}); its replacement must have {}", file, problem, recorded);
        return recorded;
    }

    /**
     * The complete, verified entry for a URL, held in use, without downloading anything. A
     * corrupt entry is reported as absent, and deleted unless it is in use. While another thread
     * or process downloads or changes the entry, this waits for it.
     *
     * @param url the URL naming the entry
     * @param fileName the entry's file name
     * @return the entry held until closed, or empty when none is cached (or it was corrupt)
     * @throws ImageIoException if the cache's files cannot be read or written
     */
    public Optional<CachedImage> lookup(URI url, String fileName) {
        CacheRequest.requireUrl(url);
        CacheRequest.requireFileName(fileName);
        Path directory = entryDirectory(url);
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (EntryLocks.Change change = EntryLocks.change(directory)) {
            Path file = directory.resolve(fileName);
            Optional<EntryRecord> record = readRecord(directory, url, fileName);
            if (record.isEmpty()) {
                return Optional.empty();
            }
            Optional<String> problem = problem(record.get(), file, Optional.empty());
            if (problem.isPresent()) {
                if (livingReferrers(record.get()).isEmpty() && !change.heldAnywhere()) {
                    LOG.warn("the cached image {} for {} is not usable ({}); removing it", file, url, problem.get());
                    removeEntryFiles(directory, fileName);
                } else {
                    LOG.warn("the cached image {} for {} is not usable ({}), but in use: kept until fetched again",
                            file, url, problem.get());
                }
                return Optional.empty();
            }
            EntryRecord used = markUsed(directory, record.get(), file);
            return Optional.of(new CachedImage(file, url, used.size(), used.parsedChecksum(), used.parsedFormat(),
                    false, change.hold()));
        }
    }

    /**
     * Records a file that refers to the entry (an overlay whose backing file it is), so that the
     * entry counts as in use, and is not pruned, for as long as that file exists. Referrers that no
     * longer exist are forgotten at the same time.
     *
     * @param image an open entry of this cache
     * @param referrer the referring file
     * @throws IllegalArgumentException if the image is not an entry of this cache
     * @throws ImageException if the entry already has {@link EntryRecord#MAX_REFERRERS} living referrers
     * @throws ImageIoException if the entry's record cannot be read or written
     */
    public void addReferrer(CachedImage image, Path referrer) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(referrer, "referrer");
        Path directory = entryDirectory(image.url());
        if (!image.path().getParent().equals(directory)) {
            throw new IllegalArgumentException(image + " is not an entry of the cache in " + root);
        }
        String fileName = image.path().getFileName().toString();
        String added = referrer.toAbsolutePath().normalize().toString();
        try (EntryLocks.Change change = EntryLocks.change(directory)) {
            EntryRecord record = readRecord(directory, image.url(), fileName).orElseThrow(() ->
                    new ImageException("the cache entry " + image.path() + " has no record; it was removed while in use"));
            Set<String> kept = new LinkedHashSet<>();
            for (String existing : record.referrers()) {
                if (Files.exists(Path.of(existing), LinkOption.NOFOLLOW_LINKS)) {
                    kept.add(existing);
                }
            }
            kept.add(added);
            if (kept.size() > EntryRecord.MAX_REFERRERS) {
                throw new ImageException("the cache entry " + image.path() + " already has "
                        + EntryRecord.MAX_REFERRERS + " referrers; " + added + " was not recorded");
            }
            writeRecord(directory, record.withReferrers(new ArrayList<>(kept)));
        }
    }

    /**
     * The complete entries, most recently used first. Entries whose record cannot be read are
     * left out (and logged).
     *
     * @return the entries
     * @throws ImageIoException if the cache directory cannot be listed
     */
    public List<CacheEntry> list() {
        List<CacheEntry> result = new ArrayList<>();
        for (Path directory : entryDirectories()) {
            for (String fileName : recordedFileNames(directory)) {
                entry(directory, fileName).ifPresent(result::add);
            }
        }
        result.sort(Comparator.comparing(CacheEntry::lastUsed).reversed().thenComparing(e -> e.path().toString()));
        return result;
    }

    /**
     * Removes entries nobody uses: every entry unused for longer than the policy's maximum age,
     * then least recently used entries until all entries together hold at most its maximum size
     * (entries in use count towards the size but are kept). An entry being downloaded or changed
     * by someone else right now counts as in use. Also removes what crashed downloads left behind
     * in entry directories that are not busy.
     *
     * @param policy the limits
     * @return what was removed and what was kept because it is in use
     * @throws ImageIoException if the cache directory cannot be listed or a file cannot be deleted
     */
    public PruneResult prune(PrunePolicy policy) {
        Objects.requireNonNull(policy, "policy");
        sweep();
        List<CacheEntry> all = new ArrayList<>(list());
        all.sort(Comparator.comparing(CacheEntry::lastUsed).thenComparing(e -> e.path().toString()));
        long total = 0;
        for (CacheEntry entry : all) {
            total += entry.size();
        }
        Instant now = clock.instant();
        List<CacheEntry> removed = new ArrayList<>();
        List<CacheEntry> kept = new ArrayList<>();
        long freed = 0;
        for (CacheEntry entry : all) {
            boolean old = policy.maxAge().isPresent()
                    && entry.lastUsed().isBefore(now.minus(policy.maxAge().get()));
            boolean over = policy.maxBytes().isPresent() && total > policy.maxBytes().getAsLong();
            if (!old && !over) {
                continue;
            }
            if (remove(entry)) {
                removed.add(entry);
                total -= entry.size();
                freed += entry.size();
            } else {
                kept.add(entry);
            }
        }
        LOG.info("pruned the image cache in {}: {} entries removed ({} bytes), {} kept in use",
                root, removed.size(), freed, kept.size());
        return new PruneResult(removed, kept, freed);
    }

    // ---------------------------------------------------------------- entries

    /** {@code by_location/<sha1 hex of the URL string>}. */
    Path entryDirectory(URI url) {
        MessageDigest sha1 = ChecksumAlgorithm.SHA1.newDigest();
        String name = HexFormat.of().formatHex(sha1.digest(url.toString().getBytes(StandardCharsets.UTF_8)));
        return entries.resolve(name);
    }

    private static void createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new ImageIoException("cannot create the cache entry directory", directory, e);
        }
    }

    private static Path recordFile(Path directory, String fileName) {
        return directory.resolve("." + fileName + RECORD_SUFFIX);
    }

    /** What is wrong with a complete entry's file, if anything. */
    private static Optional<String> problem(EntryRecord record, Path file, Optional<Checksum> wanted) {
        Checksum recorded = record.parsedChecksum();
        if (wanted.isPresent() && wanted.get().algorithm() == recorded.algorithm() && !wanted.get().equals(recorded)) {
            return Optional.of("it has " + recorded + ", the request asks for " + wanted.get());
        }
        FileStamp stamp;
        try {
            stamp = FileStamp.of(file);
        } catch (NoSuchFileException e) {
            return Optional.of("the file is missing");
        } catch (IOException e) {
            throw new ImageIoException("cannot read the cached image", file, e);
        }
        if (!stamp.regularFile()) {
            return Optional.of("not a regular file");
        }
        if (stamp.size() != record.size()) {
            return Optional.of("its size is " + stamp.size() + " bytes, " + record.size() + " were stored");
        }
        boolean touched = stamp.touchedSince(record);
        boolean otherAlgorithm = wanted.isPresent() && wanted.get().algorithm() != recorded.algorithm();
        if (!touched && !otherAlgorithm) {
            return Optional.empty();
        }
        Checksum actual = hash(file, recorded.algorithm());
        if (!actual.equals(recorded)) {
            return Optional.of("it has " + actual + ", " + recorded + " was stored");
        }
        if (otherAlgorithm) {
            Checksum other = hash(file, wanted.get().algorithm());
            if (!other.equals(wanted.get())) {
                return Optional.of("it has " + other + ", the request asks for " + wanted.get());
            }
        }
        return Optional.empty();
    }

    private static Checksum hash(Path file, ChecksumAlgorithm algorithm) {
        MessageDigest digest = algorithm.newDigest();
        byte[] buffer = new byte[COPY_BUFFER];
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ImageIoException("cannot read the cached image", file, e);
        }
        return new Checksum(algorithm, HexFormat.of().formatHex(digest.digest()));
    }

    /** The record, or empty when it is missing or cannot be trusted (logged). */
    private Optional<EntryRecord> readRecord(Path directory, URI url, String fileName) {
        Path file = recordFile(directory, fileName);
        byte[] content;
        try {
            content = readBounded(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageIoException("cannot read the cache record", file, e);
        }
        if (content == null) {
            LOG.warn("ignoring the cache record {}: larger than {} bytes", file, EntryRecord.MAX_RECORD_BYTES);
            return Optional.empty();
        }
        try {
            return Optional.of(EntryRecord.parse(content, url, fileName));
        } catch (EntryRecord.Invalid e) {
            LOG.warn("ignoring the cache record {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** The file's bytes, or null when it is larger than a record may be; links are not followed. */
    private static byte[] readBounded(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return RecordFiles.readBounded(channel, EntryRecord.MAX_RECORD_BYTES).orElse(null);
        }
    }

    private void writeRecord(Path directory, EntryRecord record) {
        Path target = recordFile(directory, record.fileName());
        Path temporary = partialName(directory, record.fileName() + RECORD_SUFFIX);
        try {
            RecordFiles.replace(temporary, target, record.toJson());
        } catch (IOException e) {
            throw new ImageIoException("cannot write the cache record", target, e);
        }
    }

    private EntryRecord markUsed(Path directory, EntryRecord record, Path file) {
        EntryRecord used = record.withUse(clock.instant(), stamp(file));
        writeRecord(directory, used);
        return used;
    }

    private static FileStamp stamp(Path file) {
        try {
            return FileStamp.of(file);
        } catch (IOException e) {
            throw new ImageIoException("cannot read the cached image", file, e);
        }
    }

    private static Path partialName(Path directory, String fileName) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return directory.resolve("." + fileName + PARTIAL_MARKER + ProcessHandle.current().pid() + "-"
                + HexFormat.of().formatHex(random));
    }

    /**
     * Deletes every partial file in the directory. Only called with the change lock held: every
     * writer holds it, so any partial file present belongs to a process that died.
     */
    private static void removePartials(Path directory) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, ".*" + PARTIAL_MARKER + "*")) {
            for (Path file : files) {
                if (PARTIAL_NAME.matcher(file.getFileName().toString()).matches()
                        && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(file);
                    LOG.info("removed {}, left behind by an interrupted download", file);
                }
            }
        } catch (IOException e) {
            throw new ImageIoException("cannot clean up the cache entry directory", directory, e);
        }
    }

    /** Deletes the record first (the entry stops being complete), then the file. */
    private static void removeEntryFiles(Path directory, String fileName) {
        Path record = recordFile(directory, fileName);
        Path file = directory.resolve(fileName);
        try {
            Files.deleteIfExists(record);
            Files.deleteIfExists(file);
            RecordFiles.syncDirectory(directory);
        } catch (IOException e) {
            throw new ImageIoException("cannot remove the cache entry", file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", file, IoErrorText.describe(e));
        }
    }

    // ---------------------------------------------------------------- download

    /**
     * Downloads, verifies, admits and stores the entry (with the lock held), replacing an older
     * file of the entry only once the new one is verified and admitted; returns its record.
     *
     * @param expected digests the stored bytes must have (the caller's; the recorded one of an
     *     entry in use that is being repaired); the first one's algorithm is recorded, SHA-256 if none
     * @param referrers the living referrers of the entry being replaced, kept in the new record
     */
    private EntryRecord download(CacheRequest request, Path directory, Path file, List<Checksum> expected,
            List<String> referrers) {
        URI url = request.url();
        Path partial = partialName(directory, request.fileName());
        ByteSource source = request.source().orElseGet(() -> new UrlSource(httpClient(), options, url, file));
        try {
            Instant started = clock.instant();
            Checksum checksum;
            Map<ChecksumAlgorithm, Checksum> actual = new EnumMap<>(ChecksumAlgorithm.class);
            long stored;
            try (Download download = open(source, url, file)) {
                OptionalLong length = download.length();
                if (length.isPresent()) {
                    SpaceCheck.checkAvailableSpace(directory, length.getAsLong(), options.reserveBytes(),
                            url.toString());
                }
                ChecksumAlgorithm primary = expected.isEmpty() ? ChecksumAlgorithm.SHA256 : expected.get(0).algorithm();
                Map<ChecksumAlgorithm, MessageDigest> digests = new EnumMap<>(ChecksumAlgorithm.class);
                digests.put(primary, primary.newDigest());
                expected.forEach(sum -> digests.computeIfAbsent(sum.algorithm(), ChecksumAlgorithm::newDigest));
                stored = copy(request, download, partial, digests.values(), file);
                for (Map.Entry<ChecksumAlgorithm, MessageDigest> digest : digests.entrySet()) {
                    actual.put(digest.getKey(),
                            new Checksum(digest.getKey(), HexFormat.of().formatHex(digest.getValue().digest())));
                }
                checksum = actual.get(primary);
            } catch (IOException e) {
                throw new DownloadFailedException(url, file, e);
            }
            for (Checksum sum : expected) {
                if (!sum.equals(actual.get(sum.algorithm()))) {
                    throw new ChecksumMismatchException(url, sum, actual.get(sum.algorithm()));
                }
            }
            DiskFormat format = admit(request, partial, url);
            makeReadOnly(partial);
            try {
                // The old entry (if any) stays whole until its replacement is verified and admitted;
                // its record goes first, so a crash from here on leaves no complete-looking entry.
                Files.deleteIfExists(recordFile(directory, request.fileName()));
                RecordFiles.moveIntoPlace(partial, file);
            } catch (IOException e) {
                throw new ImageIoException("cannot move the downloaded image into place at", file, e);
            }
            FileStamp stamp = stamp(file);
            Instant now = clock.instant();
            EntryRecord record = new EntryRecord(EntryRecord.VERSION, url.toString(), request.fileName(), stored,
                    stamp.mtimeMillis(), stamp.ctimeMillis(), checksum.toString(), format.qemuName(), now.toString(),
                    now.toString(), referrers);
            writeRecord(directory, record);
            LOG.info("cached {} as {} ({} bytes, {}, {}) in {}", url, file, stored, format.qemuName(), checksum,
                    Duration.between(started, now));
            return record;
        } finally {
            deleteQuietly(partial);
        }
    }

    private static Download open(ByteSource source, URI url, Path file) {
        try {
            return Objects.requireNonNull(source.open(), "the byte source opened nothing");
        } catch (IOException e) {
            throw new DownloadFailedException(url, file, e);
        } catch (UncheckedIOException e) {
            throw new DownloadFailedException(url, file, e.getCause());
        }
    }

    /** Streams the source through the decoder into {@code partial}, hashing what is stored. */
    private long copy(CacheRequest request, Download download, Path partial, Collection<MessageDigest> digests,
            Path file)
            throws IOException {
        String name = request.fileName();
        OptionalLong total = download.length();
        DownloadProgress progress = request.progress();
        CountingStream counted = new CountingStream(download.stream(), name, total, progress);
        progress.transferred(name, 0, total);
        long stored = 0;
        byte[] buffer = new byte[COPY_BUFFER];
        try (InputStream decoded = request.decoder().decode(counted);
                FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = decoded.read(buffer)) >= 0) {
                for (MessageDigest digest : digests) {
                    digest.update(buffer, 0, n);
                }
                ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                try {
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    throw writeFailure(request, partial, e, total.orElse(stored + n));
                }
                stored += n;
            }
            if (total.isPresent() && counted.count() != total.getAsLong()) {
                throw new IOException("the source ended after " + counted.count() + " of the "
                        + total.getAsLong() + " bytes it announced");
            }
            try {
                out.force(true);
            } catch (IOException e) {
                throw writeFailure(request, partial, e, total.orElse(stored));
            }
        }
        progress.transferred(name, counted.count(), total);
        return stored;
    }

    /** A failed write: out of space (needing at least {@code needed} bytes), or another I/O error. */
    private RuntimeException writeFailure(CacheRequest request, Path partial, IOException e, long needed) {
        if (SpaceCheck.isOutOfSpace(e)) {
            return SpaceCheck.outOfSpace(partial.getParent(), needed, request.url().toString());
        }
        return new ImageIoException("cannot write the download of " + request.url() + " to", partial, e);
    }

    private static DiskFormat admit(CacheRequest request, Path file, URI url) {
        try {
            return Objects.requireNonNull(request.gate().admit(file, request.declared()), "the gate returned no format");
        } catch (ImageException e) {
            LOG.debug("the image downloaded from {} was refused: {}", url, UntrustedText.sanitize(e.getMessage(), 500));
            throw new ImageRefusedException(url, e);
        }
    }

    private static void makeReadOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.debug("could not make {} read-only: {}", file, e.getMessage());
        }
    }

    private HttpClient httpClient() {
        HttpClient value = client;
        if (value == null) {
            synchronized (this) {
                value = client;
                if (value == null) {
                    value = UrlSource.client(options);
                    client = value;
                }
            }
        }
        return value;
    }

    /** Counts the bytes read from the source and reports progress. */
    private final class CountingStream extends InputStream {
        private final InputStream in;
        private final String name;
        private final OptionalLong total;
        private final DownloadProgress progress;
        private long count;
        private long lastReport = System.nanoTime();

        CountingStream(InputStream in, String name, OptionalLong total, DownloadProgress progress) {
            this.in = in;
            this.name = name;
            this.total = total;
            this.progress = progress;
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                advance(n);
            }
            return n;
        }

        private void advance(int n) throws IOException {
            count += n;
            if (total.isPresent() && count > total.getAsLong()) {
                throw new IOException("the source sent more than the " + total.getAsLong() + " bytes it announced");
            }
            long now = System.nanoTime();
            if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
                lastReport = now;
                progress.transferred(name, count, total);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    // ---------------------------------------------------------------- listing and pruning

    private List<Path> entryDirectories() {
        List<Path> result = new ArrayList<>();
        try (DirectoryStream<Path> directories = Files.newDirectoryStream(entries)) {
            for (Path directory : directories) {
                if (ENTRY_DIRECTORY.matcher(directory.getFileName().toString()).matches()
                        && Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                    result.add(directory);
                }
            }
        } catch (NoSuchFileException e) {
            return result;
        } catch (IOException e) {
            throw new ImageIoException("cannot list the image cache", entries, e);
        }
        result.sort(Comparator.naturalOrder());
        return result;
    }

    /** File names that have a record file in the directory. */
    private static List<String> recordedFileNames(Path directory) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, ".*" + RECORD_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String fileName = name.substring(1, name.length() - RECORD_SUFFIX.length());
                if (!PARTIAL_NAME.matcher(name).matches() && isFileName(fileName)) {
                    names.add(fileName);
                }
            }
        } catch (NoSuchFileException e) {
            return names;
        } catch (IOException e) {
            throw new ImageIoException("cannot list the cache entry directory", directory, e);
        }
        return names;
    }

    private static boolean isFileName(String fileName) {
        try {
            CacheRequest.requireFileName(fileName);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** One listed entry, read without the change lock (records are replaced whole). */
    private Optional<CacheEntry> entry(Path directory, String fileName) {
        Path recordPath = recordFile(directory, fileName);
        EntryRecord record;
        URI url;
        try {
            byte[] content = readBounded(recordPath);
            if (content == null) {
                LOG.warn("ignoring the cache record {}: larger than {} bytes", recordPath, EntryRecord.MAX_RECORD_BYTES);
                return Optional.empty();
            }
            record = EntryRecord.parse(content, fileName);
            url = record.uri();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ImageIoException("cannot read the cache record", recordPath, e);
        } catch (EntryRecord.Invalid e) {
            LOG.warn("ignoring the cache record {}: {}", recordPath, e.getMessage());
            return Optional.empty();
        }
        if (!entryDirectory(url).equals(directory)) {
            LOG.warn("ignoring the cache record {}: its URL does not belong in this directory", recordPath);
            return Optional.empty();
        }
        Path file = directory.resolve(fileName);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        List<Path> living = livingReferrers(record);
        boolean inUse = !living.isEmpty() || EntryLocks.inUse(directory);
        return Optional.of(new CacheEntry(url, file, record.size(), record.lastUsedInstant(), inUse,
                record.parsedChecksum(), record.parsedFormat(), record.downloadedInstant(), living));
    }

    private static List<Path> livingReferrers(EntryRecord record) {
        List<Path> living = new ArrayList<>();
        for (Path referrer : record.referrerPaths()) {
            if (Files.exists(referrer, LinkOption.NOFOLLOW_LINKS)) {
                living.add(referrer);
            }
        }
        return living;
    }

    /** Removes one entry if nobody uses or changes it now; false when it is kept. */
    private boolean remove(CacheEntry entry) {
        Path directory = entry.path().getParent();
        String fileName = entry.path().getFileName().toString();
        EntryLocks.Change change = EntryLocks.tryChange(directory);
        if (change == null) {
            return false;
        }
        try (change) {
            Optional<EntryRecord> record = readRecord(directory, entry.url(), fileName);
            if (record.isEmpty()) {
                return false;
            }
            if (!record.get().lastUsedInstant().equals(entry.lastUsed())) {
                return false; // used since it was listed
            }
            if (!livingReferrers(record.get()).isEmpty() || change.heldAnywhere()) {
                return false;
            }
            removeEntryFiles(directory, fileName);
            LOG.info("removed the cache entry {} for {} ({} bytes, last used {})", entry.path(), entry.url(),
                    entry.size(), entry.lastUsed());
            return true;
        }
    }

    /**
     * Removes what interrupted downloads left in directories nobody is changing: partial files, and
     * files without a record (a process killed between the rename and the record).
     */
    private void sweep() {
        for (Path directory : entryDirectories()) {
            EntryLocks.Change change = EntryLocks.tryChange(directory);
            if (change == null) {
                continue;
            }
            try (change) {
                removePartials(directory);
                Set<String> recorded = Set.copyOf(recordedFileNames(directory));
                try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
                    for (Path file : files) {
                        String name = file.getFileName().toString();
                        if (!name.startsWith(".") && !recorded.contains(name)
                                && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                            Files.deleteIfExists(file);
                            LOG.info("removed {}, a download whose record was never written", file);
                        }
                    }
                } catch (IOException e) {
                    throw new ImageIoException("cannot clean up the cache entry directory", directory, e);
                }
            }
        }
    }
}
