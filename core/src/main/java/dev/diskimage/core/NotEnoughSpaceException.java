package dev.diskimage.core;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The destination file system lacks the free space an image needs. Carries the numbers, so a
 * caller can report or retry elsewhere without parsing the message, which names them too.
 */
public class NotEnoughSpaceException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String image;
    private final transient Path path;
    private final transient Path mountPoint;
    private final long needed;
    private final long available;

    /**
     * Creates the error; the message names the image, the destination, its file system and both
     * sizes.
     *
     * @param image the image that does not fit
     * @param path the destination that was checked
     * @param mountPoint where the file system holding {@code path} is mounted
     * @param needed bytes needed ({@link Long#MAX_VALUE} when the need itself overflowed)
     * @param available bytes available to this process
     */
    public NotEnoughSpaceException(String image, Path path, Path mountPoint, long needed, long available) {
        super(String.format(Locale.ROOT,
                "not enough space at %s (file system mounted on %s) for image %s: %s bytes needed, %d bytes available",
                path, mountPoint, image, needed == Long.MAX_VALUE ? "at least " + needed : Long.toString(needed),
                available));
        this.image = Objects.requireNonNull(image, "image");
        this.path = Objects.requireNonNull(path, "path");
        this.mountPoint = Objects.requireNonNull(mountPoint, "mountPoint");
        this.needed = needed;
        this.available = available;
    }

    /** The image that does not fit. */
    public String image() {
        return image;
    }

    /** The destination that was checked. */
    public Path path() {
        return path;
    }

    /** Where the file system holding {@link #path()} is mounted. */
    public Path mountPoint() {
        return mountPoint;
    }

    /** Bytes needed; {@link Long#MAX_VALUE} when the need exceeded what a long can count. */
    public long needed() {
        return needed;
    }

    /** Bytes available to this process on that file system. */
    public long available() {
        return available;
    }
}
