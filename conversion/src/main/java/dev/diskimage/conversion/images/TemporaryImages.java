package dev.diskimage.conversion.images;

import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Downloads an image once per scope and shares the file: Cinder's {@code TemporaryImages}, made
 * thread-safe.
 *
 * <pre>{@code
 * try (TemporaryImage tmp = TemporaryImages.fetch(service, ctx, imageId)) {
 *     volumeImages.fetchToVolumeFormat(...);   // reuses tmp's file instead of downloading again
 * }                                            // deleted when the last scope holding it closes
 * }</pre>
 *
 * <p>Images are keyed by (service location, user, image id), as Cinder keys them by user and
 * image. Scopes opened at the same time for the same key download once: the first downloads,
 * the others wait for it and share the file; a failed download fails every waiting scope and is
 * tried again by the next one. The file lives in the conversion directory under the backend's
 * naming scheme, so {@link ImageConversionDirectory#cleanupTemporaryFiles()} removes what a
 * crashed process left. Thread-safe.
 */
public final class TemporaryImages {

    private static final class Shared {
        static final TemporaryImages INSTANCE = using(ImageDownloader.using(
                ImageValidator.of(ImagePolicy.defaults(), QemuImg.system()), ImageConversionDirectory.systemDefault()));
    }

    private record Key(String service, String user, String imageId) {
    }

    /** One image's download and the number of open scopes holding it. Guarded by the map's lock. */
    private static final class Entry {
        final CompletableFuture<DownloadedImage> download = new CompletableFuture<>();
        int holders = 1;
    }

    private final ImageDownloader downloader;
    private final Map<Key, Entry> entries = new HashMap<>();

    private TemporaryImages(ImageDownloader downloader) {
        this.downloader = Objects.requireNonNull(downloader, "downloader");
    }

    /**
     * A registry that downloads with {@code downloader}.
     *
     * @param downloader how images are downloaded, verified and validated
     * @return an empty registry
     */
    public static TemporaryImages using(ImageDownloader downloader) {
        return new TemporaryImages(downloader);
    }

    /**
     * The process-wide registry: the default policy, the system's qemu-img and the default
     * conversion directory.
     *
     * @return the shared registry
     */
    public static TemporaryImages shared() {
        return Shared.INSTANCE;
    }

    /**
     * Opens a scope on an image in the {@linkplain #shared() shared registry}.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param imageId the image
     * @return the scope; close it
     */
    public static TemporaryImage fetch(ImageService service, RequestContext ctx, String imageId) {
        return shared().open(service, ctx, imageId);
    }

    /**
     * The downloader this registry uses.
     *
     * @return the downloader
     */
    public ImageDownloader downloader() {
        return downloader;
    }

    /**
     * Opens a scope on an image: downloads it unless an open scope already holds it.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param imageId the image
     * @return the scope, holding the verified, validated file until closed
     */
    public TemporaryImage open(ImageService service, RequestContext ctx, String imageId) {
        return open(service, ctx, imageId, () -> downloader.download(service, ctx, imageId));
    }

    /** Opens a scope on an image whose record the caller has read already: no second metadata call. */
    TemporaryImage open(ImageService service, RequestContext ctx, ImageMeta meta) {
        return open(service, ctx, meta.id(), () -> downloader.download(service, ctx, meta));
    }

    private TemporaryImage open(ImageService service, RequestContext ctx, String imageId,
            Supplier<DownloadedImage> download) {
        Key key = new Key(service.location(), ctx.userKey(), imageId);
        Entry entry;
        boolean first;
        synchronized (entries) {
            entry = entries.get(key);
            first = entry == null;
            if (first) {
                entry = new Entry();
                entries.put(key, entry);
            } else {
                entry.holders++;
            }
        }
        if (first) {
            try {
                entry.download.complete(download.get());
            } catch (RuntimeException | Error e) {
                forget(key, entry);
                entry.download.completeExceptionally(e);
                throw e;
            }
        }
        return scope(key, entry);
    }

    /**
     * Another scope on an image that an open scope holds already, without downloading.
     *
     * @param service where the image is
     * @param ctx who asks
     * @param imageId the image
     * @return a new scope sharing the file, or empty when no open scope holds the image
     */
    public Optional<TemporaryImage> reuse(ImageService service, RequestContext ctx, String imageId) {
        Key key = new Key(service.location(), ctx.userKey(), imageId);
        Entry entry;
        synchronized (entries) {
            entry = entries.get(key);
            if (entry == null) {
                return Optional.empty();
            }
            entry.holders++;
        }
        return Optional.of(scope(key, entry));
    }

    /**
     * How many images are held by open scopes now.
     *
     * @return the number of distinct images
     */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private TemporaryImage scope(Key key, Entry entry) {
        return new TemporaryImage(await(key, entry), () -> release(key, entry));
    }

    /** Waits for the download of an entry this caller holds; a failure releases the hold. */
    private DownloadedImage await(Key key, Entry entry) {
        try {
            return entry.download.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            release(key, entry);
            throw new IllegalStateException("interrupted while waiting for the download of image " + key.imageId(), e);
        } catch (ExecutionException | CompletionException e) {
            release(key, entry);
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Drops a hold; the last hold on a downloaded image deletes its file. */
    private void release(Key key, Entry entry) {
        boolean last;
        synchronized (entries) {
            entry.holders--;
            last = entry.holders == 0;
            if (last && entries.get(key) == entry) {
                entries.remove(key);
            }
        }
        if (last && entry.download.isDone() && !entry.download.isCompletedExceptionally()) {
            entry.download.join().close();
        }
    }

    /** A failed download: later scopes must try again rather than share the failure. */
    private void forget(Key key, Entry entry) {
        synchronized (entries) {
            if (entries.get(key) == entry) {
                entries.remove(key);
            }
        }
    }
}
