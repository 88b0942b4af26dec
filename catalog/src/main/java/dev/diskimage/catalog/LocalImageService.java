package dev.diskimage.catalog;

import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.OrphanedFiles;
import dev.diskimage.core.RecordFiles;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded image service: a directory holding, per image, its metadata {@code <id>.json}
 * and, once uploaded, its data {@code <id>.data}. Ids are canonical lower-case UUIDs, chosen
 * with {@link java.util.UUID#randomUUID()} unless the caller gives one; no other id is accepted,
 * so no file name is ever built from anything but a UUID.
 *
 * <p>Both files appear whole or not at all: metadata is written to a temporary sibling, synced
 * and renamed over the old file; data is written to {@code .<id>.data.partial-<pid>-<random>},
 * hashed in the same pass (MD5 {@code checksum} and SHA-512 {@code os_hash_value}, as Glance
 * computes them), synced and renamed, and only then is the image marked {@code active}. An upload
 * that fails (the stream throws, fewer or more bytes than declared, disk full) removes its partial
 * file and leaves the image {@code queued}, so the upload can be retried; Glance's v2 API does the
 * same for most failures rather than marking the image {@code killed}. Partial files of a process
 * that was killed are removed the next time a service opens the directory.
 *
 * <p>Safe to share between threads and between processes on one directory: every
 * read-modify-write of an image's metadata holds that image's lock (a lock on
 * {@code .<id>.lock}, plus an in-process lock, since file locks are per process). Readers
 * ({@code get}, {@code list}, {@code download}) take no lock: they see either the old or the new
 * file, never a torn one. The lock is not held while data streams in, so other changes to the
 * image go on during an upload; the upload checks again, under the lock, that the image is still
 * queued before its data becomes the image's. Two uploads to one image within one process: the
 * second is refused at once; across processes: the one that finishes second is refused.
 *
 * <p>Metadata files are read as untrusted input: at most 1 MiB, strict JSON (no duplicate keys,
 * no unknown keys, no nulls, no values of the wrong type), and the id inside must be the file's
 * name; anything else is an {@link ImageRecordCorruptException} naming the file.
 *
 * <p>{@code min_disk}, {@code min_ram} and {@code protected} are attributes of the record (set
 * them by those names in {@link NewImage#properties()} or {@link ImageChanges}); {@link ImageMeta}
 * shows them among the properties. {@code created_at} and {@code updated_at} are kept in the file
 * for sorting and filtering; {@link ImageMeta} has no place for them. A protected image cannot be
 * deleted ({@link ImageConflictException}).
 */
public final class LocalImageService implements ImageService {
    private static final Logger LOG = LoggerFactory.getLogger(LocalImageService.class);

    /** Largest metadata file read: Glance's records are a few KiB even with many properties. */
    public static final long MAX_RECORD_BYTES = 1 << 20;

    /** Attributes of the record itself; they can be set (some) but never removed or used as property names. */
    static final Set<String> CORE_ATTRIBUTES = Set.of("id", "name", "status", "disk_format", "container_format",
            "visibility", "owner", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "min_disk",
            "min_ram", "protected", "created_at", "updated_at", "locations", "direct_url", "self", "file", "schema",
            "tags");

    /** The attributes a caller may set; the others belong to the service. */
    private static final Set<String> SETTABLE = Set.of("name", "disk_format", "container_format", "visibility",
            "min_disk", "min_ram", "protected");

    private static final List<String> SORT_KEYS = List.of("created_at", "updated_at", "name", "size", "id",
            "status", "disk_format", "container_format", "visibility", "min_disk", "min_ram");

    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final String RECORD_SUFFIX = ".json";
    private static final String DATA_SUFFIX = ".data";
    private static final String PARTIAL_MARKER = ".partial-";
    /** {@code .<uuid>.data.partial-<pid>-<16 hex>} and the same for {@code .json}; group 1 is the pid. */
    private static final Pattern PARTIAL_NAME = Pattern.compile("^\\.[0-9a-f-]{36}\\.(?:data|json)"
            + Pattern.quote(PARTIAL_MARKER) + "(\\d{1,19})-[0-9a-f]{16}$");
    private static final int COPY_BUFFER = 1 << 20;
    private static final int LOCK_ATTEMPTS = 1000;

    /**
     * In-process locks, striped by id and shared by every instance in this JVM: a JVM holds a file
     * lock for all its threads, and a second lock on the same file from one JVM is an error.
     */
    private static final ReentrantLock[] STRIPES = new ReentrantLock[64];
    /** Images with an upload running in this JVM: {@code <directory>/<id>}. */
    private static final Set<String> UPLOADING = ConcurrentHashMap.newKeySet();
    private static final SecureRandom RANDOM = new SecureRandom();

    static {
        for (int i = 0; i < STRIPES.length; i++) {
            STRIPES[i] = new ReentrantLock();
        }
    }

    private final Path directory;
    private final Clock clock;

    private LocalImageService(Path directory, Clock clock) {
        this.directory = directory;
        this.clock = clock;
    }

    /**
     * Opens (and creates, if missing) an image directory, removing the partial files that killed
     * processes left in it.
     *
     * @param directory the directory that holds the images
     * @return the service
     * @throws ImageServiceException if the path is not a directory or cannot be created or read
     */
    public static LocalImageService open(Path directory) {
        return open(directory, Clock.systemUTC());
    }

    static LocalImageService open(Path directory, Clock clock) {
        Objects.requireNonNull(directory, "directory");
        Path real;
        try {
            Files.createDirectories(directory);
            real = directory.toRealPath();
        } catch (IOException e) {
            throw new ImageServiceException("cannot open the image directory " + directory + ": "
                    + IoErrorText.describe(e), -1, e);
        }
        if (!Files.isDirectory(real)) {
            throw new ImageServiceException("the image directory " + directory + " is not a directory");
        }
        LocalImageService service = new LocalImageService(real, clock);
        service.removeStaleFiles();
        return service;
    }

    /**
     * The directory this service keeps its images in.
     *
     * @return its real absolute path
     */
    public Path directory() {
        return directory;
    }

    /**
     * Names the service: {@code directory <absolute real path>}.
     *
     * @return the location
     */
    @Override
    public String location() {
        return "directory " + directory;
    }

    /**
     * One image's record, read without a lock (metadata files are replaced whole).
     *
     * @param ctx who asks (not used: a directory has no users)
     * @param id the image's id
     * @return its record
     * @throws ImageNotFoundException if there is no such image, or the id is not a canonical UUID
     * @throws ImageRecordCorruptException if its metadata file cannot be trusted
     */
    @Override
    public ImageMeta get(RequestContext ctx, String id) {
        return read(requireKnownId(id)).toMeta();
    }

    /**
     * The images a query selects. Filters match exactly, on attributes ({@code name},
     * {@code status}, {@code disk_format}, {@code container_format}, {@code visibility},
     * {@code owner}, {@code min_disk}, ...) and extra properties alike. Sort keys:
     * {@code created_at}, {@code updated_at}, {@code name}, {@code size}, {@code id},
     * {@code status}, {@code disk_format}, {@code container_format}, {@code visibility},
     * {@code min_disk}, {@code min_ram}; ties are broken by id, and images without the key come
     * first in ascending order. The directory is scanned when the stream is first consumed,
     * keeping only each selected image's id and sort key; records are then read a page at a time
     * ({@link ImageQuery#pageSize()}), so an image deleted meanwhile is left out.
     *
     * @param ctx who asks (not used)
     * @param query filters, sort order and page size
     * @return the images, lazily
     * @throws ImageServiceException for an unknown sort key, or (while consuming) an
     *     unreadable directory
     * @throws ImageRecordCorruptException (while consuming) if a metadata file cannot be trusted
     */
    @Override
    public Stream<ImageMeta> list(RequestContext ctx, ImageQuery query) {
        Objects.requireNonNull(query, "query");
        if (!SORT_KEYS.contains(query.sortKey())) {
            throw new ImageServiceException("images in " + directory + " cannot be sorted by '"
                    + UntrustedText.sanitize(query.sortKey(), 100) + "'; sort keys: " + SORT_KEYS);
        }
        Iterator<ImageMeta> pages = new PagedIterator(query);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * Creates a {@code queued} image record. Its owner is the context's project, if any.
     * {@code min_disk}, {@code min_ram} and {@code protected} may be given among the properties.
     *
     * @param ctx who asks
     * @param image the record to create
     * @return the record as created
     * @throws ImageServiceException if the given id is not a canonical lower-case UUID, a format
     *     or visibility is unknown, or a property names a read-only attribute
     * @throws ImageConflictException if an image with the given id exists
     */
    @Override
    public ImageMeta create(RequestContext ctx, NewImage image) {
        Objects.requireNonNull(image, "image");
        String id = image.id().orElseGet(() -> java.util.UUID.randomUUID().toString());
        if (!CANONICAL_UUID.matcher(id).matches()) {
            throw new ImageServiceException("an image id must be a canonical lower-case UUID, not '"
                    + UntrustedText.sanitize(id, 100) + "'");
        }
        String now = now();
        StoredImage.Draft draft = new StoredImage.Draft();
        draft.id = id;
        draft.status = ImageStatus.QUEUED.serviceName();
        draft.owner = ctx.projectId().orElse(null);
        draft.createdAt = now;
        draft.updatedAt = now;
        Map<String, String> values = new TreeMap<>(image.properties());
        values.put("name", image.name());
        values.put("disk_format", image.diskFormat());
        values.put("container_format", image.containerFormat());
        values.put("visibility", image.visibility());
        apply(draft, values);
        StoredImage record = draft.build();
        return locked(id, () -> {
            if (Files.exists(recordFile(id), LinkOption.NOFOLLOW_LINKS)) {
                throw new ImageConflictException("image " + id + " already exists in " + directory, -1, null);
            }
            write(record);
            return record.toMeta();
        });
    }

    /**
     * Uploads an image's data and makes the image {@code active} with its size and hashes. On
     * failure nothing is left behind and the image stays {@code queued}.
     *
     * @param ctx who asks
     * @param id the image, {@code queued}
     * @param data the bytes; read to its end, not closed
     * @param size the number of bytes, if known: more or fewer bytes are refused
     * @return the record after the upload, {@code active}
     * @throws ImageNotFoundException if there is no such image (or it was deleted meanwhile)
     * @throws ImageConflictException if the image has data already or another upload to it is running
     * @throws ImageServiceException if the data cannot be read or written, or its size is not the declared one
     */
    @Override
    public ImageMeta upload(RequestContext ctx, String id, InputStream data, OptionalLong size) {
        requireKnownId(id);
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(size, "size");
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("negative size " + size.getAsLong());
        }
        String key = directory + "/" + id;
        if (!UPLOADING.add(key)) {
            throw new ImageConflictException("image " + id + " in " + directory
                    + ": another upload to it is running", -1, null);
        }
        try {
            requireQueued(read(id), "upload");
            Path partial = directory.resolve("." + id + DATA_SUFFIX + PARTIAL_MARKER + OrphanedFiles.ownerTag() + "-"
                    + randomHex());
            try {
                ImageDigests digests = receive(id, partial, data, size);
                return locked(id, () -> {
                    StoredImage current = read(id);
                    requireQueued(current, "upload");
                    moveIntoPlace(partial, dataFile(id));
                    StoredImage.Draft draft = current.toDraft();
                    draft.status = ImageStatus.ACTIVE.serviceName();
                    draft.size = digests.size();
                    draft.checksum = digests.md5();
                    draft.osHashAlgo = digests.algorithm().serviceName();
                    draft.osHashValue = digests.multihash();
                    draft.updatedAt = now();
                    StoredImage active = draft.build();
                    write(active);
                    return active.toMeta();
                });
            } finally {
                deleteQuietly(partial);
            }
        } finally {
            UPLOADING.remove(key);
        }
    }

    /**
     * Opens an active image's data file.
     *
     * @param ctx who asks
     * @param id the image
     * @return the data; the caller closes it
     * @throws ImageNotFoundException if there is no such image
     * @throws ImageServiceException if the image is not active, or its data file is missing
     */
    @Override
    public InputStream download(RequestContext ctx, String id) {
        StoredImage image = read(requireKnownId(id));
        if (image.imageStatus() != ImageStatus.ACTIVE) {
            throw new ImageServiceException("image " + image.toMeta().describe() + " in " + directory + " is "
                    + image.status() + ", not active: it has no data to download");
        }
        Path file = dataFile(id);
        try {
            return Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new ImageServiceException("cannot open the data of image " + id + " (" + file + "): "
                    + IoErrorText.describe(e), -1, e);
        }
    }

    /**
     * Changes an image's record under its lock. Settable attributes: {@code name},
     * {@code disk_format}, {@code container_format}, {@code visibility}, {@code min_disk},
     * {@code min_ram}, {@code protected}; every other name is an extra property.
     *
     * @param ctx who asks
     * @param id the image
     * @param changes values to set and properties to remove
     * @param purgeProps whether extra properties that {@code changes} does not set are removed
     * @return the record after the change
     * @throws ImageNotFoundException if there is no such image
     * @throws ImageServiceException if a change sets a read-only attribute, removes an
     *     attribute, or gives an attribute a value it cannot have
     */
    @Override
    public ImageMeta update(RequestContext ctx, String id, ImageChanges changes, boolean purgeProps) {
        requireKnownId(id);
        Objects.requireNonNull(changes, "changes");
        for (String key : changes.remove()) {
            if (CORE_ATTRIBUTES.contains(key)) {
                throw new ImageServiceException("image " + id + ": attribute " + key + " cannot be removed");
            }
        }
        return locked(id, () -> {
            StoredImage.Draft draft = read(id).toDraft();
            if (purgeProps) {
                draft.properties.keySet().retainAll(changes.set().keySet());
            }
            draft.properties.keySet().removeAll(changes.remove());
            apply(draft, changes.set());
            draft.updatedAt = now();
            StoredImage changed = draft.build();
            write(changed);
            return changed.toMeta();
        });
    }

    /**
     * Deletes an image's metadata and data.
     *
     * @param ctx who asks
     * @param id the image
     * @throws ImageNotFoundException if there is no such image
     * @throws ImageConflictException if the image is protected
     */
    @Override
    public void delete(RequestContext ctx, String id) {
        requireKnownId(id);
        locked(id, () -> {
            StoredImage image = read(id);
            if (image.protectedImage()) {
                throw new ImageConflictException("image " + image.toMeta().describe() + " in " + directory
                        + " is protected: set protected to false first", -1, null);
            }
            try {
                // The record first: without it the image is gone, and a data file left by a crash
                // here is removed the next time the directory is opened.
                Files.delete(recordFile(id));
                RecordFiles.syncDirectory(directory);
                Files.deleteIfExists(dataFile(id));
            } catch (IOException e) {
                throw new ImageServiceException("cannot delete image " + id + " from " + directory + ": "
                        + IoErrorText.describe(e), -1, e);
            }
            return null;
        });
    }

    @Override
    public String toString() {
        return "LocalImageService[" + directory + "]";
    }

    // ---------------------------------------------------------------- records

    private void apply(StoredImage.Draft draft, Map<String, String> values) {
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String key = entry.getKey();
            String value = entry.getValue();
            if (CORE_ATTRIBUTES.contains(key) && !SETTABLE.contains(key)) {
                throw new ImageServiceException("image " + draft.id + ": attribute " + key + " is read-only");
            }
            switch (key) {
                case "name":
                    draft.name = bounded(draft.id, key, value);
                    break;
                case "disk_format":
                    draft.diskFormat = oneOf(draft.id, key, value, StoredImage.DISK_FORMATS);
                    break;
                case "container_format":
                    draft.containerFormat = oneOf(draft.id, key, value, StoredImage.CONTAINER_FORMATS);
                    break;
                case "visibility":
                    draft.visibility = oneOf(draft.id, key, value, StoredImage.VISIBILITIES);
                    break;
                case "min_disk":
                    draft.minDisk = count(draft.id, key, value);
                    break;
                case "min_ram":
                    draft.minRam = count(draft.id, key, value);
                    break;
                case "protected":
                    if (!value.equals("true") && !value.equals("false")) {
                        throw invalid(draft.id, key, value, "true or false");
                    }
                    draft.protectedImage = Boolean.valueOf(value);
                    break;
                default:
                    if (key.isEmpty() || key.length() > StoredImage.MAX_KEY_LENGTH) {
                        throw new ImageServiceException("image " + draft.id + ": a property name must have 1 to "
                                + StoredImage.MAX_KEY_LENGTH + " characters");
                    }
                    if (value.length() > StoredImage.MAX_VALUE_LENGTH) {
                        throw new ImageServiceException("image " + draft.id + ": property "
                                + UntrustedText.sanitize(key, 100) + " is longer than "
                                + StoredImage.MAX_VALUE_LENGTH + " characters");
                    }
                    draft.properties.put(key, value);
            }
        }
        if (draft.properties.size() > StoredImage.MAX_PROPERTIES) {
            throw new ImageServiceException("image " + draft.id + ": more than " + StoredImage.MAX_PROPERTIES
                    + " properties");
        }
    }

    private static String bounded(String id, String key, String value) {
        if (value.length() > StoredImage.MAX_KEY_LENGTH) {
            throw new ImageServiceException("image " + id + ": " + key + " is longer than "
                    + StoredImage.MAX_KEY_LENGTH + " characters");
        }
        return value;
    }

    private static String oneOf(String id, String key, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw invalid(id, key, value, "one of " + new java.util.TreeSet<>(allowed));
        }
        return value;
    }

    private static Long count(String id, String key, String value) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0 && value.equals(Long.toString(parsed))) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(id, key, value, "a whole number, 0 or more");
    }

    private static ImageServiceException invalid(String id, String key, String value, String expected) {
        return new ImageServiceException("image " + id + ": " + key + " '" + UntrustedText.sanitize(value, 100)
                + "' is not " + expected);
    }

    private static void requireQueued(StoredImage image, String what) {
        if (image.imageStatus() != ImageStatus.QUEUED) {
            throw new ImageConflictException("image " + image.toMeta().describe() + " is " + image.status()
                    + ": " + what + " needs a queued image (data can be uploaded once)", -1, null);
        }
    }

    /** The id, if it can name an image here; anything else cannot exist. */
    private String requireKnownId(String id) {
        Objects.requireNonNull(id, "id");
        if (!CANONICAL_UUID.matcher(id).matches()) {
            throw new ImageNotFoundException("no image '" + UntrustedText.sanitize(id, 100) + "' in " + directory
                    + " (image ids are UUIDs)");
        }
        return id;
    }

    private StoredImage read(String id) {
        Path file = recordFile(id);
        byte[] content;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                throw new ImageRecordCorruptException(file, "not a regular file", null);
            }
            content = RecordFiles.readBounded(channel, (int) MAX_RECORD_BYTES).orElseThrow(() ->
                    new ImageRecordCorruptException(file, "larger than " + MAX_RECORD_BYTES + " bytes", null));
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException("no image " + id + " in " + directory, e);
        } catch (IOException e) {
            if (Files.isSymbolicLink(file)) {
                throw new ImageRecordCorruptException(file, "a symbolic link", e);
            }
            throw new ImageServiceException("cannot read " + file + ": " + IoErrorText.describe(e), -1, e);
        }
        return StoredImage.parse(file, id, content);
    }

    /** Writes a record beside its file, syncs it and renames it into place. */
    private void write(StoredImage record) {
        Path target = recordFile(record.id());
        Path temporary = directory.resolve("." + record.id() + RECORD_SUFFIX + PARTIAL_MARKER
                + OrphanedFiles.ownerTag() + "-" + randomHex());
        try {
            RecordFiles.replace(temporary, target, record.toJson());
        } catch (IOException e) {
            throw new ImageServiceException("cannot write " + target + ": " + IoErrorText.describe(e), -1, e);
        }
    }

    private void moveIntoPlace(Path source, Path target) {
        try {
            RecordFiles.moveIntoPlace(source, target);
        } catch (IOException e) {
            throw new ImageServiceException("cannot move " + source + " to " + target + ": "
                    + IoErrorText.describe(e), -1, e);
        }
    }

    /** Copies the data into the partial file, hashing it in the same pass; syncs the file. */
    private ImageDigests receive(String id, Path partial, InputStream data, OptionalLong size) {
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        byte[] buffer = new byte[COPY_BUFFER];
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            while (true) {
                int n;
                try {
                    // Whole buffers, whatever the stream hands out per read (a socket gives a few
                    // KiB): the hasher runs md5 and sha512 on two threads only for large chunks.
                    n = data.readNBytes(buffer, 0, buffer.length);
                } catch (IOException e) {
                    throw new ImageServiceException("image " + id + ": reading the data to upload failed: "
                            + IoErrorText.describe(e), -1, e);
                }
                if (n == 0) {
                    break;
                }
                hasher.update(buffer, 0, n);
                if (size.isPresent() && hasher.size() > size.getAsLong()) {
                    throw new ImageServiceException("image " + id + ": the data is longer than the "
                            + size.getAsLong() + " bytes declared");
                }
                ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            }
            if (size.isPresent() && hasher.size() != size.getAsLong()) {
                throw new ImageServiceException("image " + id + ": " + hasher.size() + " bytes arrived, but "
                        + size.getAsLong() + " were declared");
            }
            out.force(true);
        } catch (IOException e) {
            throw new ImageServiceException("image " + id + ": cannot write its data to " + partial + ": "
                    + IoErrorText.describe(e), -1, e);
        }
        return hasher.digests();
    }

    /**
     * Runs {@code action} holding the image's lock: the in-process stripe, then an exclusive lock
     * on {@code .<id>.lock}. Delete removes the lock file while holding it, so a lock taken on a
     * file that is no longer (or no longer the same file) at that path is dropped and taken again.
     */
    @SuppressWarnings("try") // the lock is held for the block, never referenced in it
    private <T> T locked(String id, Supplier<T> action) {
        ReentrantLock stripe = STRIPES[Math.floorMod(id.hashCode(), STRIPES.length)];
        stripe.lock();
        try {
            Path file = lockFile(id);
            for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    Object before = fileKey(file);
                    try (FileLock lock = channel.lock()) {
                        if (before != null && before.equals(fileKey(file))) {
                            try {
                                return action.get();
                            } finally {
                                // A lock file lives as long as its record: none is left behind by a
                                // delete, or by a call for an id that has no record.
                                if (!Files.exists(recordFile(id), LinkOption.NOFOLLOW_LINKS)) {
                                    deleteQuietly(file);
                                }
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new ImageServiceException("cannot lock image " + id + " (" + file + "): "
                            + IoErrorText.describe(e), -1, e);
                }
            }
            throw new ImageServiceException("cannot lock image " + id + " (" + file + "): it keeps being replaced");
        } finally {
            stripe.unlock();
        }
    }

    private static Object fileKey(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private Path recordFile(String id) {
        return directory.resolve(id + RECORD_SUFFIX);
    }

    private Path dataFile(String id) {
        return directory.resolve(id + DATA_SUFFIX);
    }

    private Path lockFile(String id) {
        return directory.resolve("." + id + ".lock");
    }

    private String now() {
        return Instant.now(clock).toString();
    }

    private static String randomHex() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", file, IoErrorText.describe(e));
        }
    }

    /**
     * Removes what killed processes left: partial data and metadata files whose pid is gone
     * ({@link OrphanedFiles}), and data files whose record a crashed delete already removed.
     */
    private void removeStaleFiles() {
        OrphanedFiles.remove(directory, ".*" + PARTIAL_MARKER + "*", PARTIAL_NAME, "partial image file", entry -> {
            if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                Files.deleteIfExists(entry);
            }
        });
        List<String> orphans = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*" + DATA_SUFFIX)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                String id = name.substring(0, name.length() - DATA_SUFFIX.length());
                if (CANONICAL_UUID.matcher(id).matches()
                        && !Files.exists(recordFile(id), LinkOption.NOFOLLOW_LINKS)) {
                    orphans.add(id);
                }
            }
        } catch (IOException e) {
            LOG.warn("could not look for orphaned data files in {}: {}", directory, IoErrorText.describe(e));
        }
        for (String id : orphans) {
            locked(id, () -> {
                if (!Files.exists(recordFile(id), LinkOption.NOFOLLOW_LINKS)) {
                    deleteQuietly(dataFile(id));
                    LOG.info("removed the data file of image {} in {}, whose record was deleted", id, directory);
                }
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- listing

    /** An image's place in a listing: its id and the value it sorts by. */
    private record Entry(String id, Comparable<Object> key) {
    }

    /** Scans on first use, then reads the selected records a page at a time. */
    private final class PagedIterator implements Iterator<ImageMeta> {
        private final ImageQuery query;
        private List<Entry> order;
        private int position;
        private final List<ImageMeta> page = new ArrayList<>();
        private int pageIndex;

        PagedIterator(ImageQuery query) {
            this.query = query;
        }

        @Override
        public boolean hasNext() {
            if (order == null) {
                order = scan(query);
            }
            while (pageIndex >= page.size()) {
                if (position >= order.size()) {
                    return false;
                }
                page.clear();
                pageIndex = 0;
                int end = Math.min(order.size(), position + query.pageSize());
                for (Entry entry : order.subList(position, end)) {
                    try {
                        StoredImage image = read(entry.id());
                        if (matches(image, query.filters())) {
                            page.add(image.toMeta());
                        }
                    } catch (ImageNotFoundException e) {
                        // deleted since the scan
                    }
                }
                position = end;
            }
            return true;
        }

        @Override
        public ImageMeta next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.get(pageIndex++);
        }
    }

    private List<Entry> scan(ImageQuery query) {
        List<Entry> entries = new ArrayList<>();
        Function<StoredImage, Comparable<?>> key = sortKey(query.sortKey());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + RECORD_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.length() - RECORD_SUFFIX.length());
                if (!CANONICAL_UUID.matcher(id).matches()) {
                    continue; // not ours: a service never writes such a name
                }
                StoredImage image;
                try {
                    image = read(id);
                } catch (ImageNotFoundException e) {
                    continue; // deleted while we looked
                }
                if (matches(image, query.filters())) {
                    @SuppressWarnings("unchecked")
                    Comparable<Object> value = (Comparable<Object>) key.apply(image);
                    entries.add(new Entry(id, value));
                }
            }
        } catch (IOException e) {
            throw new ImageServiceException("cannot list the image directory " + directory + ": "
                    + IoErrorText.describe(e), -1, e);
        }
        Comparator<Entry> byKey = Comparator.comparing(Entry::key, Comparator.nullsFirst(Comparator.naturalOrder()));
        Comparator<Entry> order = byKey.thenComparing(Entry::id);
        entries.sort(query.ascending() ? order : order.reversed());
        return entries;
    }

    private static Function<StoredImage, Comparable<?>> sortKey(String key) {
        switch (key) {
            case "created_at":
                return StoredImage::created;
            case "updated_at":
                return StoredImage::updated;
            case "size":
                return StoredImage::size;
            case "min_disk":
                return StoredImage::minDisk;
            case "min_ram":
                return StoredImage::minRam;
            default:
                return image -> image.value(key);
        }
    }

    private static boolean matches(StoredImage image, Map<String, String> filters) {
        for (Map.Entry<String, String> filter : filters.entrySet()) {
            if (!filter.getValue().equals(image.value(filter.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
