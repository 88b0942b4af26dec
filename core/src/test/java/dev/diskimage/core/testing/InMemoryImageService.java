package dev.diskimage.core.testing;

import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageQuery;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.ImageServiceException;
import dev.diskimage.core.service.ImageStatus;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An image service that keeps images in memory and hashes uploads as Glance does (md5 checksum,
 * sha512 multihash), for the flows' unit tests; the real Glance runs in the end-to-end tests.
 * Tests can alter what it stores and how it answers, to play a broken or lying service.
 */
public class InMemoryImageService implements ImageService {
    private final Map<String, ImageMeta> records = new LinkedHashMap<>();
    private final Map<String, byte[]> data = new HashMap<>();
    private final AtomicInteger downloads = new AtomicInteger();
    private volatile UnaryOperator<InputStream> downloadFault = UnaryOperator.identity();

    @Override
    public String location() {
        return "memory " + Integer.toHexString(System.identityHashCode(this));
    }

    @Override
    public synchronized ImageMeta get(RequestContext ctx, String id) {
        ImageMeta meta = records.get(id);
        if (meta == null) {
            throw new ImageNotFoundException("image " + id + " not found in " + location());
        }
        return meta;
    }

    @Override
    public synchronized Stream<ImageMeta> list(RequestContext ctx, ImageQuery query) {
        return records.values().stream()
                .filter(meta -> query.filters().entrySet().stream().allMatch(f -> matches(meta, f.getKey(), f.getValue())))
                .sorted(Comparator.comparing(ImageMeta::id))
                .toList().stream();
    }

    private static boolean matches(ImageMeta meta, String key, String value) {
        return switch (key) {
            case "status" -> meta.status().serviceName().equals(value);
            case "disk_format" -> meta.diskFormat().orElse("").equals(value);
            case "name" -> meta.name().orElse("").equals(value);
            default -> value.equals(meta.properties().get(key));
        };
    }

    @Override
    public synchronized ImageMeta create(RequestContext ctx, NewImage image) {
        String id = image.id().orElseGet(() -> UUID.randomUUID().toString());
        if (records.containsKey(id)) {
            throw new ImageConflictException("image " + id + " exists", 409, null);
        }
        ImageMeta meta = ImageMeta.builder(id).name(image.name()).diskFormat(image.diskFormat())
                .containerFormat(image.containerFormat()).visibility(image.visibility())
                .properties(image.properties()).build();
        records.put(id, meta);
        return meta;
    }

    @Override
    public ImageMeta upload(RequestContext ctx, String id, InputStream in, OptionalLong size) {
        synchronized (this) {
            if (get(ctx, id).status() != ImageStatus.QUEUED) {
                throw new ImageConflictException("image " + id + " already has data", 409, null);
            }
        }
        byte[] bytes;
        try {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return store(id, bytes);
    }

    /**
     * Creates an active image with data, as an upload to Glance leaves it.
     *
     * @param diskFormat the declared disk format
     * @param bytes the data
     * @return the record
     */
    public ImageMeta add(String diskFormat, byte[] bytes) {
        ImageMeta created = create(RequestContext.anonymous(), NewImage.of("test image", diskFormat));
        return store(created.id(), bytes);
    }

    private synchronized ImageMeta store(String id, byte[] bytes) {
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        hasher.update(bytes, 0, bytes.length);
        ImageDigests digests = hasher.digests();
        ImageMeta meta = records.get(id).toBuilder().status(ImageStatus.ACTIVE).size(bytes.length)
                .checksum(digests.md5()).multihash("sha512", digests.multihash()).build();
        records.put(id, meta);
        data.put(id, bytes.clone());
        return meta;
    }

    @Override
    public InputStream download(RequestContext ctx, String id) {
        byte[] bytes;
        synchronized (this) {
            if (get(ctx, id).status() != ImageStatus.ACTIVE) {
                throw new ImageServiceException("image " + id + " has no data");
            }
            bytes = data.get(id);
        }
        downloads.incrementAndGet();
        return downloadFault.apply(new ByteArrayInputStream(bytes));
    }

    @Override
    public synchronized ImageMeta update(RequestContext ctx, String id, ImageChanges changes, boolean purgeProps) {
        ImageMeta meta = get(ctx, id);
        Map<String, String> properties = new LinkedHashMap<>(purgeProps ? Map.of() : meta.properties());
        properties.putAll(changes.set());
        changes.remove().forEach(properties::remove);
        ImageMeta updated = meta.toBuilder().properties(properties).build();
        records.put(id, updated);
        return updated;
    }

    @Override
    public synchronized void delete(RequestContext ctx, String id) {
        get(ctx, id);
        records.remove(id);
        data.remove(id);
    }

    /**
     * Changes the stored bytes behind the record's back (a corrupted store).
     *
     * @param id the image
     * @param change gives the new bytes from the old
     */
    public synchronized void alterData(String id, UnaryOperator<byte[]> change) {
        data.put(id, change.apply(data.get(id).clone()));
    }

    /**
     * Changes the record behind the data's back (a lying service).
     *
     * @param id the image
     * @param change gives the new record from the old
     */
    public synchronized void alterRecord(String id, UnaryOperator<ImageMeta> change) {
        records.put(id, change.apply(records.get(id)));
    }

    /**
     * Wraps every later download stream (a connection that breaks, a slow one).
     *
     * @param fault gives the stream a download returns from the real one
     */
    public void downloadFault(UnaryOperator<InputStream> fault) {
        this.downloadFault = fault;
    }

    /**
     * How many downloads were opened.
     *
     * @return the count
     */
    public int downloads() {
        return downloads.get();
    }
}
