package dev.diskimage.conversion.images;

import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.validation.ValidatedImage;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One scope's hold on a downloaded image of {@link TemporaryImages}: the file stays until the
 * last scope holding it closes. Thread-safe; closing twice releases once.
 */
public final class TemporaryImage implements AutoCloseable {
    private final DownloadedImage image;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    TemporaryImage(DownloadedImage image, Runnable release) {
        this.image = Objects.requireNonNull(image, "image");
        this.release = Objects.requireNonNull(release, "release");
    }

    /**
     * Where the downloaded image is.
     *
     * @return the file's path, valid until the last scope closes
     */
    public Path path() {
        return image.path();
    }

    /**
     * The service's record the data was verified against.
     *
     * @return the record
     */
    public ImageMeta meta() {
        return image.meta();
    }

    /**
     * The validated file, ready to be converted.
     *
     * @return the validated image
     */
    public ValidatedImage image() {
        return image.image();
    }

    /**
     * The verified download behind this scope.
     *
     * @return the download
     */
    public DownloadedImage download() {
        return image;
    }

    /** Releases this scope's hold; the last one deletes the file. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }

    @Override
    public String toString() {
        return "TemporaryImage[" + image.meta().describe() + " at " + image.path() + "]";
    }
}
