package dev.diskimage.conversion.images;

import dev.diskimage.core.TemporaryFile;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.validation.ValidatedImage;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An image downloaded, verified and validated into a temporary file of the conversion
 * directory; closing the handle deletes the file. Thread-safe; close deletes at most once.
 */
public final class DownloadedImage implements AutoCloseable {
    private final StreamedImage stream;
    private final ValidatedImage image;
    private final TemporaryFile file;

    DownloadedImage(StreamedImage stream, ValidatedImage image, TemporaryFile file) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.image = Objects.requireNonNull(image, "image");
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * The service's record the data was verified against.
     *
     * @return the record
     */
    public ImageMeta meta() {
        return stream.meta();
    }

    /**
     * What the pass found: digests and the stream validator's report.
     *
     * @return the pass's result
     */
    public StreamedImage stream() {
        return stream;
    }

    /**
     * The file, validated again as a file, with the qemu-img cross-check.
     *
     * @return the validated image, ready to be converted
     */
    public ValidatedImage image() {
        return image;
    }

    /**
     * Where the data is.
     *
     * @return the temporary file's path
     */
    public Path path() {
        return image.path();
    }

    /** Deletes the file. */
    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "DownloadedImage[" + stream.meta().describe() + " at " + image.path() + "]";
    }
}
